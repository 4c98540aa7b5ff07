"""The intent model: the seed set, the scikit-learn pipeline, and how it is measured.

Pure: no database, no settings, no files but the seed set shipped next to this module. The
model is word (1-2) and character (2-5, within word boundaries) n-gram TF-IDF features into
a multinomial logistic regression, whose probabilities are what the confidence threshold
reads. Character n-grams carry the typos and the five languages without a tokeniser per
language; word bigrams carry "not arrived" against "arrived". Measured in
``benchmarks/assist.py`` (accuracy and macro-F1 per language on a held-out split).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from scipy.special import softmax
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support
from sklearn.model_selection import train_test_split
from sklearn.pipeline import FeatureUnion, Pipeline

INTENTS: tuple[str, ...] = (
    "order_status",
    "cancel_order",
    "change_order",
    "refund_return",
    "shipping_delivery",
    "product_question",
    "payment_billing",
    "complaint",
    "technical_issue",
    "human_agent",
    "greeting",
    "thanks_ack",
    "opening_hours",
    "other",
)
OTHER = "other"
LANGUAGES: tuple[str, ...] = ("en", "es", "pt", "fr", "de")
SEED_FILE = Path(__file__).resolve().parent / "data" / "intents.jsonl"
# Bump when the pipeline's shape changes: a model file of another version is retrained.
PIPELINE_VERSION = 1
HELD_OUT_FRACTION = 0.25
SPLIT_SEED = 7


@dataclass(frozen=True)
class Example:
    """One labelled sentence (``language`` may be blank for an agent's correction)."""

    text: str
    intent: str
    language: str = ""


def load_seed(path: Path = SEED_FILE) -> list[Example]:
    """The sentences written for Baton (see ``data/SOURCES.md``), one JSON object a line."""
    examples = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            examples.append(Example(row["text"], row["intent"], row.get("lang", "")))
    return examples


def build_pipeline() -> Pipeline:
    features = FeatureUnion(
        [
            (
                "words",
                TfidfVectorizer(
                    analyzer="word",
                    ngram_range=(1, 2),
                    sublinear_tf=True,
                    strip_accents="unicode",
                    # Emoji and "?" are words here: "👍" alone is an acknowledgement.
                    token_pattern=r"(?u)\b\w+\b|[^\w\s]",  # noqa: S106 (not a password)
                ),
            ),
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char_wb",
                    ngram_range=(2, 5),
                    sublinear_tf=True,
                    strip_accents="unicode",
                ),
            ),
        ]
    )
    return Pipeline(
        [("features", features), ("classifier", LogisticRegression(C=100.0, max_iter=3000))]
    )


def train(examples: Sequence[Example]) -> Pipeline:
    pipeline = build_pipeline()
    pipeline.fit([e.text for e in examples], [e.intent for e in examples])
    return pipeline


def predict(pipeline: Any, text: str, threshold: float) -> tuple[str, float]:
    """The most probable intent and its probability; ``other`` below ``threshold`` (the
    probability is still the top one's, so a reader sees how unsure it was)."""
    probabilities = pipeline.predict_proba([text])[0]
    best = int(probabilities.argmax())
    confidence = float(probabilities[best])
    intent = str(pipeline.classes_[best])
    return (intent if confidence >= threshold else OTHER), confidence


class Scorer:
    """The fitted pipeline's ``predict_proba`` for one text, without scikit-learn's
    per-call validation: the two vectorisers, one sparse-dense product, a softmax (what
    multinomial logistic regression computes). About three times faster for a single short
    message, the same probabilities (checked in tests/assist/test_intents.py)."""

    def __init__(self, pipeline: Any) -> None:
        features = pipeline.named_steps["features"]
        classifier = pipeline.named_steps["classifier"]
        self.vectorizers = [vectorizer for _, vectorizer in features.transformer_list]
        self.coef = np.ascontiguousarray(classifier.coef_.T)
        self.intercept = classifier.intercept_
        self.classes = [str(c) for c in classifier.classes_]

    def probabilities(self, text: str) -> np.ndarray:
        row = sparse.hstack([v.transform([text]) for v in self.vectorizers]).tocsr()
        return softmax(np.asarray(row @ self.coef).ravel() + self.intercept)

    def predict(self, text: str, threshold: float) -> tuple[str, float]:
        probabilities = self.probabilities(text)
        best = int(probabilities.argmax())
        confidence = float(probabilities[best])
        return (self.classes[best] if confidence >= threshold else OTHER), confidence


def split(examples: Sequence[Example]) -> tuple[list[Example], list[Example]]:
    """A fixed, stratified (intent by language) held-out split: the same every run, so two
    measurements compare."""
    strata = [f"{e.intent}/{e.language}" for e in examples]
    counts = Counter(strata)
    # A stratum of one (an agent's lone correction) cannot be split: it trains.
    keep = [i for i, s in enumerate(strata) if counts[s] >= 2]
    alone = [examples[i] for i, s in enumerate(strata) if counts[s] < 2]
    train_idx, test_idx = train_test_split(
        keep,
        test_size=HELD_OUT_FRACTION,
        random_state=SPLIT_SEED,
        stratify=[strata[i] for i in keep],
    )
    return [examples[i] for i in train_idx] + alone, [examples[i] for i in test_idx]


@dataclass
class Evaluation:
    """How a model trained on the training part does on the held-out part."""

    accuracy: float
    macro_f1: float
    per_intent: dict[str, dict[str, float]]  # intent → precision, recall, f1, support
    per_language: dict[str, dict[str, float]]  # language → accuracy, macro_f1, support
    confusions: list[tuple[str, str, int]] = field(default_factory=list)  # true, predicted, n
    train_size: int = 0
    test_size: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "accuracy": self.accuracy,
            "macro_f1": self.macro_f1,
            "per_intent": self.per_intent,
            "per_language": self.per_language,
            "confusions": [list(c) for c in self.confusions],
            "train_size": self.train_size,
            "test_size": self.test_size,
        }


def evaluate(examples: Sequence[Example], threshold: float = 0.0) -> Evaluation:
    """Train on the training part of ``split(examples)``, measure on the held-out part."""
    training, held_out = split(examples)
    pipeline = train(training)
    truth = [e.intent for e in held_out]
    guessed = [predict(pipeline, e.text, threshold)[0] for e in held_out]
    return score(held_out, truth, guessed, train_size=len(training))


def score(
    held_out: Sequence[Example], truth: list[str], guessed: list[str], train_size: int = 0
) -> Evaluation:
    labels = sorted(set(truth) | set(guessed))
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, guessed, labels=labels, zero_division=0
    )
    per_intent = {
        label: {
            "precision": float(precision[i]),
            "recall": float(recall[i]),
            "f1": float(f1[i]),
            "support": int(support[i]),
        }
        for i, label in enumerate(labels)
    }
    by_language: dict[str, list[int]] = defaultdict(list)
    for i, example in enumerate(held_out):
        by_language[example.language or "?"].append(i)
    per_language = {
        language: {
            "accuracy": float(accuracy_score([truth[i] for i in idx], [guessed[i] for i in idx])),
            "macro_f1": float(
                f1_score(
                    [truth[i] for i in idx],
                    [guessed[i] for i in idx],
                    average="macro",
                    zero_division=0,
                )
            ),
            "support": len(idx),
        }
        for language, idx in sorted(by_language.items())
    }
    confusions = Counter((t, g) for t, g in zip(truth, guessed, strict=True) if t != g)
    return Evaluation(
        accuracy=float(accuracy_score(truth, guessed)),
        macro_f1=float(f1_score(truth, guessed, average="macro", zero_division=0)),
        per_intent=per_intent,
        per_language=per_language,
        confusions=[(t, g, n) for (t, g), n in confusions.most_common()],
        train_size=train_size,
        test_size=len(held_out),
    )


def with_corrections(seed: Iterable[Example], corrections: Iterable[Example]) -> list[Example]:
    """The seed set plus agents' corrections; a correction of a seed sentence replaces it
    (the agents know their customers' meaning better than we guessed)."""
    corrected = {c.text.strip().casefold(): c for c in corrections}
    kept = [e for e in seed if e.text.strip().casefold() not in corrected]
    return kept + list(corrected.values())
