"""The pure intent module: the seed set, the split, predictions and corrections."""

from __future__ import annotations

from collections import Counter

import pytest

from baton.assist.intents import (
    INTENTS,
    LANGUAGES,
    OTHER,
    Example,
    Scorer,
    load_seed,
    predict,
    score,
    split,
    train,
    with_corrections,
)


def test_the_seed_set_has_a_dozen_sentences_per_intent_and_language():
    texts = [e.text.casefold() for e in load_seed()]
    assert len(texts) == len(set(texts)), "a sentence twice would sit on both sides of the split"
    counts = Counter((e.intent, e.language) for e in load_seed())
    for intent in INTENTS:
        for language in LANGUAGES:
            assert counts[(intent, language)] >= 12, (intent, language)
    assert {e.intent for e in load_seed()} == set(INTENTS)


def test_the_held_out_split_is_fixed_and_keeps_every_stratum():
    examples = load_seed()
    first, second = split(examples), split(examples)
    assert [e.text for e in first[1]] == [e.text for e in second[1]]
    held_out = Counter((e.intent, e.language) for e in first[1])
    assert len(held_out) == len(INTENTS) * len(LANGUAGES)
    assert not {e.text for e in first[0]} & {e.text for e in first[1]}


def test_a_lone_correction_trains_rather_than_breaking_the_split():
    examples = [*load_seed(), Example("zorblax frimp", "complaint", "")]
    training, held_out = split(examples)
    assert "zorblax frimp" in {e.text for e in training}
    assert "zorblax frimp" not in {e.text for e in held_out}


def test_below_the_threshold_the_answer_is_other_and_the_scorer_agrees():
    pipeline = train(load_seed())
    intent, confidence = predict(pipeline, "where is my order??", 0.0)
    assert intent == "order_status"
    assert predict(pipeline, "where is my order??", confidence + 0.01) == (OTHER, confidence)
    scorer = Scorer(pipeline)
    for text in ("where is my order??", "quiero un reembolso", "👍", "zzz", ""):
        expected = pipeline.predict_proba([text])[0]
        assert scorer.probabilities(text) == pytest.approx(expected, abs=1e-9)
        assert scorer.predict(text, 0.3) == pytest.approx(predict(pipeline, text, 0.3))


def test_a_correction_of_a_seed_sentence_replaces_it():
    seed = [Example("ok", "thanks_ack", "en"), Example("hi", "greeting", "en")]
    merged = with_corrections(seed, [Example(" OK ", "complaint")])
    assert sorted((e.text.strip(), e.intent) for e in merged) == [
        ("OK", "complaint"),
        ("hi", "greeting"),
    ]


def test_score_reports_per_language_and_confusions():
    held_out = [Example("a", "greeting", "en"), Example("b", "greeting", "es")]
    evaluation = score(held_out, ["greeting", "greeting"], ["greeting", "thanks_ack"])
    assert evaluation.accuracy == pytest.approx(0.5)
    assert evaluation.per_language["en"]["accuracy"] == 1.0
    assert evaluation.per_language["es"]["accuracy"] == 0.0
    assert evaluation.confusions == [("greeting", "thanks_ack", 1)]
