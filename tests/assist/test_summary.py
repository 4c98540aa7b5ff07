"""The extractive handoff summary (pure)."""

from __future__ import annotations

from baton.assist.summary import SummaryMessage, summarise_handoff


def m(author: str, text: str) -> SummaryMessage:
    return SummaryMessage(author, text)


def test_question_tried_fields_and_the_unanswered_message():
    summary = summarise_handoff(
        [
            m("customer", "hola"),
            m("customer", "mi pedido 4521 no llegó"),
            m("bot", "¿Me das tu número de pedido?"),
            m("customer", "4521"),
            m("bot", "Lo veo en camino, llega mañana."),
            m("customer", "eso dijeron ayer, quiero hablar con alguien"),
        ],
        {"order_number": "4521", "email": "", "name": "Ana"},
    )
    assert summary.question == "mi pedido 4521 no llegó"
    assert summary.tried == ["¿Me das tu número de pedido?", "Lo veo en camino, llega mañana."]
    assert summary.fields == [("Order number", "4521"), ("Name", "Ana")]
    assert summary.unanswered == "eso dijeron ayer, quiero hablar con alguien"
    assert not summary.is_empty


def test_only_a_greeting_is_still_the_question_and_notes_are_not_tried():
    summary = summarise_handoff([m("customer", "hi"), m("note", "VIP, be nice")])
    assert summary.question == "hi"
    assert summary.tried == []
    assert summary.unanswered == ""


def test_everything_answered_leaves_nothing_waiting_and_long_text_is_clipped():
    long = "word " * 200
    summary = summarise_handoff([m("customer", long), m("agent", "done")])
    assert summary.question.endswith("…")
    assert len(summary.question) <= 300
    assert summary.unanswered == ""


def test_an_empty_conversation_summarises_to_nothing():
    assert summarise_handoff([], None).is_empty
