"""The timeline's registry: every kind the models know has a template, unknown kinds still
render, and a new kind is one registration."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.template.loader import get_template
from django.utils import timezone

from baton.conversations.models import AuditEvent, EventKind, Message, MessageType
from baton.web import timeline
from baton.web.queries import TimelineItem


def _event_item(kind: str, **fields) -> TimelineItem:
    event = AuditEvent(kind=kind, created_at=timezone.now(), **fields)
    return TimelineItem("event", event.created_at, event=event)


def _message_item(type_: str, **fields) -> TimelineItem:
    fields.setdefault("direction", "inbound")
    message = Message(pk=7, conversation_id=1, type=type_, timestamp=timezone.now(), **fields)
    return TimelineItem("message", message.timestamp, message=message)


def _render(item: TimelineItem, **context) -> str:
    page = Template("{% load inbox %}{% timeline_item item %}")
    return page.render(Context({"item": item, **context}))


@pytest.mark.parametrize("kind", EventKind.values)
def test_every_event_kind_has_a_template_that_exists(kind):
    renderer = timeline.EVENT_RENDERERS[kind]
    get_template(renderer.template)


@pytest.mark.parametrize("message_type", MessageType.values)
def test_every_message_type_has_a_template_that_exists(message_type):
    renderer = timeline.MESSAGE_RENDERERS[message_type]
    get_template(renderer.template)


def test_an_unknown_event_kind_renders_the_generic_line():
    html = _render(_event_item("sla_breached_in_a_newer_release", reason="<b>x</b>"))
    assert "sla_breached_in_a_newer_release" in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html  # escaped like any other row


def test_an_unknown_message_type_renders_as_text():
    html = _render(_message_item("poll", text="<script>alert(1)</script>"))
    assert 'class="msg inbound type-poll"' in html
    assert "&lt;script&gt;" in html


@pytest.mark.parametrize(
    ("message_type", "status", "shown"),
    [
        ("edit", "received", False),
        ("revoke", "received", False),
        ("reaction", "sent", False),
        ("reaction", "failed", True),
        ("text", "received", True),
    ],
)
def test_rows_that_only_change_another_message_are_not_shown(message_type, status, shown):
    html = _render(_message_item(message_type, text="x", status=status, direction="outbound"))
    assert bool(html.strip()) == shown


def test_a_new_kind_is_one_registration(monkeypatch):
    monkeypatch.setitem(timeline.EVENT_RENDERERS, "sla_missed", timeline.EVENT_RENDERERS["alert"])
    assert "<strong>Alert</strong> · first reply late" in _render(
        _event_item("sla_missed", reason="first reply late")
    )


def test_a_context_function_adds_variables(monkeypatch):
    seen = []

    def always_retry(message, page):
        seen.append((message.text, page.get("marker")))
        return {"can_retry": True}

    renderer = timeline.ItemRenderer(
        "web/timeline/message_text.html", timeline.MESSAGE_FRAME, context=always_retry
    )
    monkeypatch.setitem(timeline.MESSAGE_RENDERERS, "text", renderer)
    item = _message_item("text", text="lost", status="failed", direction="outbound")
    html = _render(item, marker="page", conversation=type("C", (), {"pk": 1})())
    assert "Retry" in html
    assert seen == [("lost", "page")]


def test_retry_shows_when_the_viewer_may_resend():
    class Offered:
        offered = {"retry": object()}

    item = _message_item("text", text="lost", status="failed", direction="outbound")
    conversation = type("C", (), {"pk": 1})()
    assert "Retry" in _render(item, actions=Offered(), conversation=conversation)
    assert "Retry" not in _render(item, conversation=conversation)
