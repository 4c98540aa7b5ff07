"""``bots.engine``: the pure step function, every step type, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from baton.bots.definition import parse_flow
from baton.bots.engine import (
    MAX_HOPS,
    Close,
    Context,
    CustomerInput,
    Handoff,
    Option,
    RecordCsat,
    SaveField,
    SendButtons,
    SendList,
    SendTemplate,
    SendText,
    SessionState,
    SkipCsat,
    Start,
    Timeout,
    WaitFor,
    advance,
    check_value,
    is_escape,
    parse_score,
)
from tests.bots.flows import closing, front_desk

NOW = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)


def says(text, reply_id="", title=""):
    return CustomerInput(text=text, reply_id=reply_id, reply_title=title)


@pytest.fixture
def desk():
    return parse_flow(front_desk())


def test_start_sends_the_menu_and_waits(desk):
    state, actions = advance(desk, SessionState(), Start())
    assert actions == [
        SendButtons(
            "Hi! What can we do for you?",
            (Option("track", "Track my order"), Option("talk", "Talk to us")),
        ),
        WaitFor("menu", 600),
    ]
    assert state.step == "menu"
    assert state.path == ("menu",)
    # Starting twice does nothing.
    assert advance(desk, state, Start()) == (state, [])


def test_button_ask_handoff_with_fields_and_note(desk):
    state, _ = advance(desk, SessionState(), Start())
    state, actions = advance(desk, state, says("Track my order", "track", "Track my order"))
    assert actions == [SendText("Your order number?"), WaitFor("order_no", None)]
    state, actions = advance(desk, state, says("12a"))
    assert actions == [SendText("Only digits, please."), WaitFor("order_no", None)]
    assert state.retries == 1
    state, actions = advance(desk, state, says(" 1234 "))
    assert actions == [
        SaveField("order_number", "1234"),
        SendText("Thanks! A colleague takes over for order 1234."),
        Handoff(
            team="Support",
            agent=None,
            note="Order 1234",
            fields={"order_number": "1234"},
            reason="flow step 'to_support'",
        ),
    ]
    assert state.finished
    assert state.step is None
    assert state.path == ("menu", "order_no", "to_support")
    assert state.answers == (
        ("menu", "Track my order"),
        ("order_no", "12a"),
        ("order_no", " 1234 "),
    )
    # A finished session takes nothing more.
    assert advance(desk, state, says("hello?")) == (state, [])


def test_options_by_typed_title_or_number(desk):
    state, _ = advance(desk, SessionState(), Start())
    _, actions = advance(desk, state, says("talk to US!"))
    assert isinstance(actions[0], Handoff)
    assert actions[0].team == "Sales"
    _, actions = advance(desk, state, says("1"))
    assert actions[0] == SendText("Your order number?")


def test_unknown_choice_is_asked_again_then_goes_back_to_a_person(desk):
    state, _ = advance(desk, SessionState(), Start())
    state, actions = advance(desk, state, says("what are your opening hours"))
    assert isinstance(actions[0], SendButtons)
    assert actions[1] == WaitFor("menu", 600)
    state, actions = advance(desk, state, says("still no"))
    assert actions == [
        Handoff(
            None,
            None,
            "",
            {},
            "the bot could not take 'still no' at 'menu'",
            to_last_owner=True,
        )
    ]
    assert state.finished


def test_ask_retries_exhausted_hands_off_or_goes_on_fail():
    flow = front_desk()
    flow["steps"][1]["max_retries"] = 0
    state, _ = advance(parse_flow(flow), SessionState(), Start())
    state, _ = advance(parse_flow(flow), state, says("track", "track"))
    _, actions = advance(parse_flow(flow), state, says("nope"))
    assert isinstance(actions[0], Handoff)
    assert actions[0].to_last_owner
    flow["steps"][1]["on_fail"] = "to_sales"
    _, actions = advance(parse_flow(flow), state, says("nope"))
    assert actions[0].team == "Sales"


@pytest.mark.parametrize(
    "text",
    [
        "agent",
        "HUMANO",
        "Atendente!",
        "quero falar com um atendente",
        "persona real",
        "Mensch",
        "je veux un humain",
        "operador por favor",
        "I want a real person",
    ],
)
def test_escape_words_hand_off_from_anywhere(desk, text):
    state, _ = advance(desk, SessionState(), Start())
    state, actions = advance(desk, state, says(text))
    assert actions == [
        Handoff(None, None, "", {}, "the customer asked for a person", to_last_owner=True)
    ]
    state2, _ = advance(desk, SessionState(), Start())
    state2, _ = advance(desk, state2, says("", "track", "Track my order"))
    _, actions = advance(desk, state2, says(text))
    assert isinstance(actions[0], Handoff)


def test_escape_is_not_a_long_message_or_a_tap():
    words = ["agent"]
    assert not is_escape("my travel agent booked the wrong hotel for our whole family trip", words)
    assert not is_escape("agents", words)
    assert is_escape("Agent?", words)


def test_escape_team_is_used(desk):
    flow = parse_flow(front_desk(escape_team="Sales"))
    state, _ = advance(flow, SessionState(), Start())
    _, actions = advance(flow, state, says("human"))
    assert actions[0].team == "Sales"


def test_timeout_takes_the_branch_by_business_hours(desk):
    state, _ = advance(desk, SessionState(), Start())
    open_now = Context(facts={"time.within_business_hours": True})
    _, actions = advance(desk, state, Timeout("menu"), open_now)
    assert isinstance(actions[0], Handoff)
    assert actions[0].team == "Sales"
    closed = Context(facts={"time.within_business_hours": False})
    after, actions = advance(desk, state, Timeout("menu"), closed)
    assert actions == [Close("Write again any time!")]
    assert after.path == ("menu", "after_silence", "closed_for_now")
    assert after.answers == (("menu", "(no answer)"),)


def test_stale_timeout_does_nothing(desk):
    state, _ = advance(desk, SessionState(), Start())
    state, _ = advance(desk, state, says("", "track"))
    assert advance(desk, state, Timeout("menu")) == (state, [])
    # A step without a timeout cannot time out either.
    assert advance(desk, state, Timeout("order_no")) == (state, [])


def branching_flow():
    return parse_flow(
        {
            "name": "Branchy",
            "start": "lang",
            "steps": [
                {
                    "id": "lang",
                    "type": "branch",
                    "branches": [
                        {
                            "when": {
                                "field": "conversation.language",
                                "op": "equals",
                                "value": "pt",
                            },
                            "next": "pt",
                        },
                        {
                            "when": {
                                "all": [
                                    {
                                        "field": "contact.attributes.tier",
                                        "op": "equals",
                                        "value": "gold",
                                    },
                                    {"field": "contact.labels", "op": "contains", "value": "vip"},
                                ]
                            },
                            "next": "vip",
                        },
                    ],
                    "default": "ask",
                },
                {"id": "pt", "type": "close", "text": "Olá!"},
                {"id": "vip", "type": "handoff", "team": "VIP"},
                {
                    "id": "ask",
                    "type": "ask",
                    "text": "Age?",
                    "save_as": "age",
                    "validate": "number",
                    "next": "adult",
                },
                {
                    "id": "adult",
                    "type": "branch",
                    "branches": [
                        {"when": {"field": "bot.age", "op": "gte", "value": 18}, "next": "vip"}
                    ],
                    "default": "pt",
                },
            ],
        }
    )


def test_branch_reads_language_contact_and_collected_fields():
    flow = branching_flow()
    _, actions = advance(
        flow, SessionState(), Start(), Context(facts={"conversation.language": "pt"})
    )
    assert actions == [Close("Olá!")]
    gold = {"contact.attributes": {"tier": "gold"}, "contact.labels": ["vip"]}
    _, actions = advance(flow, SessionState(), Start(), Context(facts=gold))
    assert actions[0].team == "VIP"
    state, actions = advance(flow, SessionState(), Start())
    assert actions == [SendText("Age?"), WaitFor("ask", None)]
    _, actions = advance(flow, state, says("42"))
    assert actions == [
        SaveField("age", "42"),
        Handoff("VIP", None, "", {"age": "42"}, "flow step 'vip'"),
    ]
    _, actions = advance(flow, state, says("12"))
    assert actions == [SaveField("age", "12"), Close("Olá!")]


def faq_flow():
    return parse_flow(
        {
            "name": "FAQ",
            "start": "faq",
            "steps": [
                {
                    "id": "faq",
                    "type": "faq",
                    "text": "Ask me anything.",
                    "entries": [
                        {
                            "question": "What are your opening hours?",
                            "keywords": ["hours", "open", "horario"],
                            "answer": "9 to 5, Monday to Friday.",
                        },
                        {
                            "question": "How do I return an item?",
                            "keywords": ["return", "refund", "devolução"],
                            "answer": "Use the form on our site.",
                            "next": "done",
                        },
                    ],
                    "next": "human",
                },
                {"id": "done", "type": "close"},
                {"id": "human", "type": "handoff", "team": "Support"},
            ],
        }
    )


def test_faq_keywords_then_fuzzy_then_fall_through():
    flow = faq_flow()
    state, actions = advance(flow, SessionState(), Start())
    assert actions == [SendText("Ask me anything."), WaitFor("faq", None)]
    state, actions = advance(flow, state, says("When are you OPEN?"))
    assert actions == [SendText("9 to 5, Monday to Friday."), WaitFor("faq", None)]
    # Accents do not matter; an answer with a next goes on.
    _, actions = advance(flow, state, says("quero uma devolucao"))
    assert actions == [SendText("Use the form on our site."), Close()]
    # No keyword, but close to a question (a typo).
    _, actions = advance(flow, state, says("how do i retrun an itme"))
    assert actions[0] == SendText("Use the form on our site.")
    # Nothing matches: fall through to the next step.
    _, actions = advance(flow, state, says("my parcel arrived broken"))
    assert isinstance(actions[0], Handoff)
    assert actions[0].team == "Support"


def test_csat_list_comment_and_record():
    flow = parse_flow(closing(comment=True))
    ctx = Context(window_open=True, now=NOW)
    state, actions = advance(flow, SessionState(), Start(), ctx)
    assert isinstance(actions[0], SendList)
    assert next(row.title for row in actions[0].rows) == "5 ⭐ Excellent"
    assert all(len(row.title) <= 24 for row in actions[0].rows)
    assert actions[1] == WaitFor("rate", None)
    state, actions = advance(flow, state, says("5 ⭐ Excellent", "csat_5", "5 ⭐ Excellent"), ctx)
    assert actions == [
        SendText("Thanks! Anything you would like to add? (or type 'no')"),
        WaitFor("rate", None),
    ]
    state, actions = advance(flow, state, says("Ana was great"), ctx)
    assert actions == [
        RecordCsat(5, "Ana was great"),
        SendText("Thank you for your feedback!"),
        Close("Have a nice day!"),
    ]
    assert state.finished


def test_csat_without_comment_and_no_comment_answer():
    flow = parse_flow(closing())
    state, _ = advance(flow, SessionState(), Start())
    _, actions = advance(flow, state, says("2"))
    assert actions[0] == RecordCsat(2, "")
    flow = parse_flow(closing(comment=True))
    state, _ = advance(flow, SessionState(), Start())
    state, _ = advance(flow, state, says("4"))
    _, actions = advance(flow, state, says("No."))
    assert actions[0] == RecordCsat(4, "")


def test_csat_anything_else_goes_back_to_a_person():
    flow = parse_flow(closing())
    state, _ = advance(flow, SessionState(), Start())
    _, actions = advance(flow, state, says("Actually my order still has not arrived"))
    assert actions == [
        Handoff(
            None,
            None,
            "",
            {},
            "the bot could not take 'Actually my order still has not arrived' at 'rate'",
            to_last_owner=True,
        )
    ]
    flow = parse_flow(closing(max_retries=1))
    state, _ = advance(flow, SessionState(), Start())
    state, actions = advance(flow, state, says("hmm"))
    assert actions == [SendText("Please choose a rating from 1 to 5."), WaitFor("rate", None)]


def test_csat_outside_the_window_template_or_skip():
    skipped = Context(window_open=False, now=NOW)
    state, actions = advance(parse_flow(closing()), SessionState(), Start(), skipped)
    assert actions == [
        SkipCsat("the 24-hour window is closed and no template is set"),
        Close("Have a nice day!"),
    ]
    flow = parse_flow(closing(template="csat_request"))
    state, actions = advance(flow, SessionState(), Start(), skipped)
    assert actions == [SendTemplate("csat_request", "en_US"), WaitFor("rate", None)]
    _, actions = advance(flow, state, says("5", "5", "5"), skipped)
    assert actions[0] == RecordCsat(5, "")


def test_csat_at_most_once_per_contact_per_n_days():
    recent = Context(last_csat_at=NOW - timedelta(days=2), now=NOW)
    _, actions = advance(parse_flow(closing()), SessionState(), Start(), recent)
    assert actions == [
        SkipCsat("rated 2.0 days ago (at most once per 7 days)"),
        Close("Have a nice day!"),
    ]
    _, actions = advance(parse_flow(closing(once_per_days=1)), SessionState(), Start(), recent)
    assert isinstance(actions[0], SendList)


def test_a_flow_that_runs_out_of_steps_closes():
    flow = parse_flow(
        {
            "name": "Hi",
            "start": "hi",
            "steps": [{"id": "hi", "type": "message", "text": "Hello {{name}}"}],
        }
    )
    state, actions = advance(flow, SessionState(fields={"name": "Ana"}), Start())
    assert actions == [SendText("Hello Ana"), Close()]
    assert state.finished


def test_a_loop_without_waiting_hands_off():
    flow = parse_flow(
        {
            "name": "Loop",
            "start": "a",
            "steps": [
                {"id": "a", "type": "message", "text": "A", "next": "b"},
                {"id": "b", "type": "message", "text": "B", "next": "a"},
            ],
        }
    )
    _, actions = advance(flow, SessionState(), Start())
    assert len([a for a in actions if isinstance(a, SendText)]) == MAX_HOPS
    assert isinstance(actions[-1], Handoff)
    assert "loops" in actions[-1].reason


def test_list_message_rows():
    flow = parse_flow(
        {
            "name": "L",
            "start": "pick",
            "steps": [
                {
                    "id": "pick",
                    "type": "message",
                    "text": "Pick",
                    "list": {
                        "button": "Options",
                        "rows": [
                            {"id": "a", "title": "Alpha", "description": "first", "next": "end"},
                            {"id": "b", "title": "Beta", "next": "end"},
                        ],
                    },
                },
                {"id": "end", "type": "close", "text": "Bye"},
            ],
        }
    )
    state, actions = advance(flow, SessionState(), Start())
    assert actions[0] == SendList(
        "Pick", "Options", (Option("a", "Alpha", "first"), Option("b", "Beta"))
    )
    _, actions = advance(flow, state, says("Beta", "b", "Beta"))
    assert actions == [Close("Bye")]


@pytest.mark.parametrize(
    ("text", "rule", "value"),
    [
        ("  hi ", None, "hi"),
        ("", None, None),
        ("12,5", "number", "12,5"),
        ("twelve", "number", None),
        ("Ana@Example.com", "email", "ana@example.com"),
        ("ana@", "email", None),
        ("31/12/2025", "date", "2025-12-31"),
        ("2025-02-30", "date", None),
        ("+55 (11) 91234-5678", "phone", "+5511912345678"),
        ("123", "phone", None),
        ("AB-1234", "^[A-Z]{2}-[0-9]{4}$", "AB-1234"),
        ("ab-1234x", "^[A-Z]{2}-[0-9]{4}$", None),
    ],
)
def test_check_value(text, rule, value):
    assert check_value(text, rule) == value


@pytest.mark.parametrize(
    ("event", "score"),
    [
        (says("", "csat_3"), 3),
        (says("", "csat_9"), None),
        (says("4 ⭐ Good"), 4),
        (says("⭐⭐"), 2),
        (says("10"), None),
        (says("great"), None),
    ],
)
def test_parse_score(event, score):
    assert parse_score(event) == score
