"""The ``/bots/`` manager pages: permissions, the list (version, running sessions, enable,
delete), create and edit with per-step errors (a new version each save; running sessions
stay on theirs), the diagram on the edit page, and the test run (nothing sent or stored)."""

from __future__ import annotations

import json

import pytest

from baton.agents.models import Team
from baton.bots.actions import do_create_flow
from baton.bots.models import BotSession, Flow, FlowVersion
from baton.conversations.models import AuditEvent, Message
from tests.bots.flows import front_desk
from tests.bots.helpers import customer_writes
from tests.conftest import make_user


@pytest.fixture
def teams(db):
    return {name: Team.objects.get_or_create(name=name)[0] for name in ("Support", "Sales")}


@pytest.fixture
def desk(teams, inbox):
    return do_create_flow(front_desk(), None)


@pytest.fixture
def manager_client(client, db):
    client.force_login(make_user("maria", role="manager"))
    return client


PAGES = [
    ("get", "/bots/"),
    ("get", "/bots/new"),
    ("get", "/bots/{id}/"),
    ("post", "/bots/{id}/toggle"),
    ("post", "/bots/{id}/delete"),
    ("post", "/bots/test-run"),
]


@pytest.mark.parametrize(("method", "path"), PAGES)
@pytest.mark.parametrize(
    ("caller", "expected"), [("anonymous", 302), ("agent", 403), ("manager", None), ("admin", None)]
)
def test_only_managers_and_admins_reach_the_pages(client, desk, method, path, caller, expected):
    if caller != "anonymous":
        client.force_login(make_user(caller, role=caller))
    data = {"definition": json.dumps(front_desk()), "restart": "on"} if "test-run" in path else {}
    response = getattr(client, method)(path.format(id=desk.pk), data)
    if expected is None:
        assert response.status_code in (200, 302)
        if response.status_code == 302:
            assert "/login" not in response["Location"]
    else:
        assert response.status_code == expected
    if expected == 403:
        assert "You cannot open this page" in response.text  # the app's styled page
        assert "Only managers and admins can change bot flows." in response.text
    assert Flow.objects.filter(pk=desk.pk, enabled=True).exists() == (
        expected is not None or method == "get" or "test-run" in path
    )


def test_the_list_shows_version_inbox_and_running_sessions(manager_client, desk, inbox):
    customer_writes(manager_client, "hello")  # a new conversation: the flow starts
    page = manager_client.get("/bots/")
    assert page.status_code == 200
    row = page.text.split(f'data-flow="{desk.pk}"')[1].split("</tr>")[0]
    assert "Front desk" in row
    assert "v1" in row
    assert "Every inbox" in row
    assert '<td class="running">1</td>' in row
    assert "Every new conversation" in row
    assert "Enabled" in row


def test_a_manager_creates_a_flow_through_the_form(manager_client, teams, inbox):
    assert "Front desk" in manager_client.get("/bots/new").text  # starts from the example
    body = front_desk(name="Desk two")
    response = manager_client.post(
        "/bots/new", {"definition": json.dumps(body), "inbox": str(inbox.pk)}
    )
    assert response.status_code == 302
    flow = Flow.objects.get(name="Desk two")
    assert flow.inbox == inbox
    assert flow.current_version.number == 1
    assert flow.current_version.definition["steps"][0]["id"] == "menu"
    audit = AuditEvent.objects.filter(data__model="bots.Flow", data__object_id=flow.pk).get()
    assert audit.actor.username == "maria"
    assert audit.data["change"] == "created"


def test_errors_name_the_step_and_nothing_is_saved(manager_client, desk):
    broken = front_desk()
    broken["steps"][0]["buttons"][1]["next"] = "nowhere"
    broken["steps"][0]["buttons"] += [
        {"id": f"b{i}", "title": f"B{i}", "next": "to_sales"} for i in range(3)
    ]
    response = manager_client.post(f"/bots/{desk.pk}/", {"definition": json.dumps(broken)})
    assert response.status_code == 400
    errors = response.text.split('class="error flow-errors"')[1].split("</ul>")[0]
    assert "step &#x27;menu&#x27;" in errors
    assert "nowhere" in errors
    assert FlowVersion.objects.filter(flow=desk).count() == 1
    not_json = manager_client.post(f"/bots/{desk.pk}/", {"definition": "{oops"})
    assert not_json.status_code == 400
    assert "Enter a valid JSON" in not_json.text


def test_editing_adds_a_version_and_running_sessions_stay_on_theirs(manager_client, desk):
    customer_writes(manager_client, "hi")
    running = BotSession.objects.get()
    changed = front_desk()
    changed["steps"][0]["text"] = "Welcome back!"
    response = manager_client.post(f"/bots/{desk.pk}/", {"definition": json.dumps(changed)})
    assert response.status_code == 302
    desk.refresh_from_db()
    assert desk.current_version.number == 2
    assert desk.current_version.definition["steps"][0]["text"] == "Welcome back!"
    running.refresh_from_db()
    assert running.flow_version.number == 1
    assert [v.number for v in FlowVersion.objects.filter(flow=desk).order_by("number")] == [1, 2]


def test_the_edit_page_draws_the_steps_and_escapes_them(manager_client, teams, inbox):
    hostile = front_desk()
    hostile["steps"][0]["text"] = "<script>alert(1)</script>"
    flow = do_create_flow(hostile, None)
    page = manager_client.get(f"/bots/{flow.pk}/")
    assert page.status_code == 200
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="flow-diagram"' in page.text
    assert 'data-step="order_no"' in page.text
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_toggle_and_delete(manager_client, desk, inbox):
    manager_client.post(f"/bots/{desk.pk}/toggle")
    desk.refresh_from_db()
    assert not desk.enabled
    customer_writes(manager_client, "hi")  # disabled: no session
    assert not BotSession.objects.exists()
    manager_client.post(f"/bots/{desk.pk}/delete")
    assert not Flow.objects.filter(pk=desk.pk).exists()


def test_a_flow_that_ran_is_not_deleted(manager_client, desk, inbox):
    customer_writes(manager_client, "hi")
    response = manager_client.post(f"/bots/{desk.pk}/delete", follow=True)
    assert Flow.objects.filter(pk=desk.pk).exists()
    assert "disable it instead" in response.text


def test_the_list_costs_the_same_queries_for_more_flows(
    manager_client, desk, django_assert_num_queries
):
    manager_client.get("/bots/")  # warm the session and the user
    with django_assert_num_queries(4) as one:
        manager_client.get("/bots/")
    for i in range(3):
        do_create_flow(front_desk(name=f"Desk {i}"), None)
    with django_assert_num_queries(len(one.captured_queries)):
        assert manager_client.get("/bots/").text.count("data-flow=") == 4


def _trial(client, definition, history, **move):
    data = {"definition": json.dumps(definition), "history": json.dumps(history), **move}
    return client.post("/bots/test-run", data)


def test_the_test_run_plays_the_flow_and_sends_nothing(manager_client, teams, inbox):
    start = _trial(manager_client, front_desk(), [], restart="on")
    assert start.status_code == 200
    assert "Hi! What can we do for you?" in start.text
    assert 'name="reply_id" value="track"' in start.text
    tapped = _trial(manager_client, front_desk(), [], reply_id="track")
    assert "Your order number?" in tapped.text
    assert "Taps <strong>Track my order</strong>" in tapped.text  # by its title
    history = [{"kind": "reply", "text": "", "reply_id": "track"}]
    wrong = _trial(manager_client, front_desk(), history, text="abc")
    assert "Only digits, please." in wrong.text
    history.append({"kind": "text", "text": "abc", "reply_id": ""})
    done = _trial(manager_client, front_desk(), history, text="123456")
    assert "Saved order_number = 123456" in done.text
    assert "Hands off to Support" in done.text
    assert "Order 123456" in done.text
    assert 'id="trial-done"' in done.text
    assert not Message.objects.exists()
    assert not BotSession.objects.exists()


def test_the_test_run_takes_the_timeout_and_business_hours(manager_client, teams, inbox):
    silent = _trial(manager_client, front_desk(), [], silence="on", within_business_hours="on")
    assert "Hands off to Sales" in silent.text
    after_hours = _trial(manager_client, front_desk(), [], silence="on")
    assert "Hands off to Sales" not in after_hours.text


def test_the_test_run_refuses_an_invalid_flow_naming_the_step(manager_client, db):
    broken = front_desk()
    broken["steps"][1]["next"] = "gone"
    response = _trial(manager_client, broken, [], restart="on")
    assert response.status_code == 400
    assert "step &#x27;order_no&#x27;: next &#x27;gone&#x27; is not a step." in response.text
