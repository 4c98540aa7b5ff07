"""Reports against a hand-counted week (tests/dashboard/world.py): figures, scoping, CSV.

The same file runs on SQLite and on PostgreSQL (DATABASE_URL): the expected numbers are
the same literals on both, which is the "both databases agree" check for every figure."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from baton.core.errors import PermissionDenied
from baton.dashboard import reports
from baton.dashboard.reports import get_report_filter
from tests.dashboard.world import FIRST_DAY, LAST_DAY, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


def report(user, **choices):
    return get_report_filter(user, since=FIRST_DAY, until=LAST_DAY, **choices)


def test_summary_for_the_manager_of_support(world):
    summary = reports.get_summary(*report(world.maria))
    assert summary["conversations_created"] == 4  # c1 c2 c3 c7
    assert summary["conversations_resolved"] == 4  # c1 c3 c4 c7
    assert summary["first_responses"] == 4
    assert summary["first_response_seconds_median"] == pytest.approx(180)
    assert summary["first_response_seconds_p90"] == pytest.approx(510)
    assert summary["resolutions_timed"] == 3
    assert summary["resolution_seconds_median"] == pytest.approx(32400)
    assert summary["resolution_seconds_p90"] == pytest.approx(78480)
    assert summary["sla_hit_rate"] == pytest.approx(
        {"overall": 4 / 7, "first_response": 2 / 3, "next_response": 0.5, "resolution": 0.5}
    )
    by_metric = {row["metric"]: row for row in summary["sla"]}
    assert by_metric["first_response"] | {"hit_rate": None} == {
        "metric": "first_response",
        "label": "First response",
        "met": 2,
        "missed": 1,
        "no_target": 1,
        "breaches": 1,
        "hit_rate": None,
    }
    assert by_metric["resolution"]["breaches"] == 1


def test_admins_see_every_team(world):
    summary = reports.get_summary(*report(world.ada))
    assert summary["conversations_created"] == 5  # and c5 of Sales
    assert summary["conversations_resolved"] == 5
    # 10 30 60 300 600 -> median 60; p90 at 3.6: 300 + 0.6 × 300
    assert summary["first_response_seconds_median"] == pytest.approx(60)
    assert summary["first_response_seconds_p90"] == pytest.approx(480)
    assert summary["sla_hit_rate"]["overall"] == pytest.approx(6 / 9)


def test_a_manager_never_sees_another_team(world):
    summary = reports.get_summary(*report(world.sam))
    assert summary["conversations_created"] == 1  # c5
    assert summary["first_response_seconds_median"] == pytest.approx(10)
    with pytest.raises(PermissionDenied):
        report(world.maria, team_id=world.sales.pk)
    with pytest.raises(PermissionDenied):
        report(world.maria, agent_id=world.carl.pk)
    with pytest.raises(PermissionDenied):
        report(world.alice)


def test_filters_by_agent_and_inbox(world):
    by_alice = reports.get_summary(*report(world.maria, agent_id=world.alice.pk))
    assert by_alice["first_responses"] == 3  # c1 c4 c7: 30 60 300
    assert by_alice["first_response_seconds_median"] == pytest.approx(60)
    assert by_alice["conversations_resolved"] == 2  # c1 c4 (c7 was the bot's when resolved)
    second = reports.get_summary(*report(world.maria, inbox_id=world.second.pk))
    assert second["conversations_created"] == 1  # c7
    assert second["first_response_seconds_median"] == pytest.approx(30)


def test_handoffs(world):
    assert reports.get_handoffs(*report(world.maria)) == {
        "requested": 4,
        "accepted": 2,
        "declined": 1,
        "expired": 1,
        "cancelled": 0,
        "pending": 0,
        "accept_seconds_median": pytest.approx(210),
        "accept_seconds_p90": pytest.approx(282),
    }
    assert reports.get_handoffs(*report(world.sam))["requested"] == 1


def test_bot_containment(world):
    bots = reports.get_bot_containment(*report(world.maria))
    assert bots == {
        "bots_exist": True,
        "applies": True,
        "resolved": 4,
        "contained": 1,  # c3; c7 had a human reply before the bot resolved it
        "rate": pytest.approx(0.25),
    }


def test_bot_containment_without_any_bot_is_none_not_zero_percent(world):
    world.botty.role = "agent"  # test setup: an installation without any bot user
    world.botty.save()
    bots = reports.get_bot_containment(*report(world.maria))
    assert bots["bots_exist"] is False
    assert bots["contained"] == 0
    assert bots["rate"] is None


def test_agent_table(world):
    rows = {row["username"]: row for row in reports.get_agent_rows(*report(world.maria))}
    # Support's people (ada, the admin, is a member too), no bot, nobody of Sales
    assert set(rows) == {"ada", "alice", "bob", "maria"}
    assert rows["alice"] | {"id": 0, "name": ""} == {
        "id": 0,
        "name": "",
        "username": "alice",
        "conversations_handled": 2,
        "replies": 3,
        "first_responses": 3,
        "first_response_seconds_median": pytest.approx(60),
        "resolutions": 2,
        "handoffs_in": 2,
        "handoffs_out": 2,
    }
    assert rows["bob"]["replies"] == 1
    assert rows["bob"]["first_response_seconds_median"] == pytest.approx(600)
    assert rows["bob"]["handoffs_in"] == 2
    assert rows["maria"]["replies"] == 0
    assert rows["maria"]["first_response_seconds_median"] is None


def test_agent_table_query_count_does_not_grow_with_people(world):
    args = report(world.ada)
    with CaptureQueriesContext(connection) as queries:
        reports.get_agent_rows(*args)
    assert len(queries) <= 8


def test_summary_query_count(world):
    args = report(world.maria)
    with CaptureQueriesContext(connection) as queries:
        reports.get_summary(*args)
    assert len(queries) <= 5


def test_heatmap_volume_and_staffing(world):
    cells = {(c["weekday"], c["hour"]): c for c in reports.get_heatmap(*report(world.maria))}
    assert len(cells) == 168
    messages = {k: c["customer_messages"] for k, c in cells.items() if c["customer_messages"]}
    assert messages == {(0, 9): 1, (1, 14): 1, (2, 9): 1, (3, 16): 1}
    assert cells[0, 9]["conversations_created"] == 1
    assert cells[0, 9]["agents_on_shift"] == 2  # alice's shift and bob (no shifts: always)
    assert cells[0, 3]["agents_on_shift"] == 1  # bob only
    assert cells[2, 9]["agents_on_shift"] == 1  # alice's day off
    assert cells[5, 10]["agents_on_shift"] == 1  # Saturday: bob


def test_daily_series(world):
    days = reports.get_daily(*report(world.maria))
    assert [d["created"] for d in days] == [1, 1, 1, 1, 0, 0, 0]
    assert [d["resolved"] for d in days] == [2, 0, 1, 1, 0, 0, 0]


def test_default_range_is_the_last_seven_days_in_the_team_zone(world):
    world.support.time_zone = "Europe/Madrid"
    world.support.save()
    f, _ = get_report_filter(world.maria, today=LAST_DAY)
    assert f.time_zone == "Europe/Madrid"
    assert (f.first_day, f.last_day) == (FIRST_DAY, LAST_DAY)
    assert f.since.isoformat() == "2025-03-03T00:00:00+01:00"


# --- the pages and the CSV -------------------------------------------------------------

QUERY = f"since={FIRST_DAY}&until={LAST_DAY}"


def read_csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_page_shows_the_figures(client, world):
    client.force_login(world.maria)
    response = client.get(f"/reports/?{QUERY}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "3 min 0 s" in html  # first response median, 180 s
    assert "8 min 30 s" in html  # p90, 510 s
    assert "25.0 %" in html  # bot containment
    assert "available once bot flows land" in html
    assert "<svg" in html
    assert "carl" not in html


def test_agents_are_refused_the_page_and_the_csv(client, world):
    client.force_login(world.alice)
    assert client.get("/reports/").status_code == 403
    assert client.get(f"/reports/agents.csv?{QUERY}").status_code == 403


def test_another_teams_filter_is_refused(client, world):
    client.force_login(world.maria)
    response = client.get(f"/reports/agents.csv?{QUERY}&team={world.sales.pk}")
    assert response.status_code == 403


def test_agents_csv_matches_the_hand_count(client, world):
    client.force_login(world.maria)
    rows = read_csv(client.get(f"/reports/agents.csv?{QUERY}"))
    assert rows[0] == [
        "Username", "Name", "Conversations handled", "Replies", "First responses",
        "First response, median", "Resolutions", "Handoffs in", "Handoffs out",
    ]  # fmt: skip
    by_user = {row[0]: row for row in rows[1:]}
    assert by_user["alice"][2:] == ["2", "3", "3", "60.0", "2", "2", "2"]
    assert by_user["bob"][2:] == ["1", "1", "1", "600.0", "0", "2", "2"]
    assert "carl" not in by_user


def test_summary_and_tables_csv(client, world):
    client.force_login(world.maria)
    summary = {row[0]: row[2] for row in read_csv(client.get(f"/reports/summary.csv?{QUERY}"))}
    assert summary["conversations_created"] == "4"
    assert summary["first_response_seconds_median"] == "180.0"
    assert summary["first_response_seconds_p90"] == "510.0"
    assert summary["sla_hit_rate"] == "0.5714"
    handoffs = {row[0]: row[2] for row in read_csv(client.get(f"/reports/handoffs.csv?{QUERY}"))}
    assert handoffs["requested"] == "4"
    assert handoffs["accept_seconds_median"] == "210.0"
    heat = read_csv(client.get(f"/reports/heatmap.csv?{QUERY}"))
    assert len(heat) == 169
    assert heat[10] == ["Mon", "9", "1", "1", "2.00"]
    sla = read_csv(client.get(f"/reports/sla.csv?{QUERY}"))
    assert sla[1] == ["First response", "2", "1", "1", "1", "0.6667"]
    assert client.get(f"/reports/nothing.csv?{QUERY}").status_code == 404


def test_csv_defuses_formulas(client, world):
    world.alice.display_name = "=HYPERLINK(1)"
    world.alice.save()
    client.force_login(world.maria)
    rows = read_csv(client.get(f"/reports/agents.csv?{QUERY}"))
    assert "'=HYPERLINK(1)" in [row[1] for row in rows]


# --- the API ---------------------------------------------------------------------------


def test_api_summary(client, world):
    client.force_login(world.maria)
    body = client.get(f"/api/v1/reports/summary?{QUERY}").json()
    assert body["conversations_created"] == 4
    assert body["first_response_seconds_median"] == pytest.approx(180)
    assert body["sla_hit_rate"]["first_response"] == pytest.approx(2 / 3)
    assert body["time_zone"] == "UTC"


def test_api_scoping(client, world):
    client.force_login(world.alice)
    assert client.get("/api/v1/reports/summary").status_code == 403
    client.force_login(world.maria)
    refused = client.get(f"/api/v1/reports/summary?{QUERY}&team={world.sales.pk}")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    client.force_login(world.sam)
    body = client.get(f"/api/v1/reports/summary?{QUERY}").json()
    assert body["conversations_created"] == 1


def test_api_summary_is_in_the_openapi_document(client, world):
    client.force_login(world.maria)
    document = client.get("/api/v1/openapi.json").json()
    operation = document["paths"]["/api/v1/reports/summary"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"since", "until", "team", "agent"}
