"""The editor's test run (bots.trial): the pure engine replays a customer conversation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from baton.bots.definition import parse_flow
from baton.bots.engine import Context
from baton.bots.trial import Said, play
from tests.bots.flows import closing, front_desk

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_a_rating_from_the_list_is_recorded_then_the_flow_closes():
    run = play(parse_flow(closing()), [Said("reply", reply_id="csat_5")], Context(now=NOW))
    first, answer = run.turns
    assert first.said is None
    assert first.step == "rate"
    assert [o.id for o in first.lines[0].options][:1] == ["csat_5"]
    assert answer.said == Said("reply", "5 ⭐ Excellent", "csat_5")  # shown by its title
    texts = [line.text for line in answer.lines]
    assert "Records a rating of 5" in texts
    assert "Resolves the conversation after: Have a nice day!" in texts
    assert run.finished
    assert run.options == ()


def test_a_recent_rating_skips_the_question():
    context = Context(last_csat_at=NOW - timedelta(days=2), now=NOW)
    run = play(parse_flow(closing()), [], context)
    assert run.turns[0].lines[0].text.startswith("Does not ask for a rating: rated 2.0 days ago")
    assert run.finished


def test_options_stay_offered_until_answered_and_escape_words_hand_off():
    flow = parse_flow(front_desk())
    run = play(flow, [Said("text", "what?")], Context(now=NOW))
    assert [o.id for o in run.options] == ["track", "talk"]  # asked again
    assert run.waits_with_timeout  # the menu has an on_timeout
    escaped = play(flow, [Said("text", "humano")], Context(now=NOW))
    assert escaped.finished
    assert escaped.turns[-1].lines[0].text.startswith("Hands off to the team queue")


def test_moves_after_the_end_are_ignored():
    flow = parse_flow(front_desk())
    moves = [Said("reply", reply_id="talk"), Said("text", "hello?"), Said("silence")]
    run = play(flow, moves, Context(now=NOW))
    assert len(run.turns) == 2
    assert run.finished
    assert Said.from_dict({"kind": "teleport"}) is None
    assert Said.from_dict(Said("text", "x").as_dict()) == Said("text", "x")
