"""Signed but hostile bodies: one bad item never takes the batch down (issue #9, item 4).

Every case posts the bad item next to a good message: the answer is a 200, the good message
is stored, and the bad item is stored sanitised or kept as a dead letter with its JSON.
Runs on SQLite and, with DATABASE_URL, on PostgreSQL (which refuses NULs and lone
surrogates that SQLite would take).
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from baton.conversations.models import Message
from baton.whatsapp.models import DeadLetter, Inbox
from tests.conftest import SAMPLES_DIR, load_sample, meta_bytes, post_webhook

PNID = "1122334455667"


def good_entry(wamid: str) -> dict[str, Any]:
    """An entry with one ordinary text message, of a customer of its own, for the inbox."""
    entry = load_sample("inbound_text.json")["entry"][0]
    value = entry["changes"][0]["value"]
    value["contacts"] = [{"profile": {"name": "Good Customer"}, "wa_id": "34699999999"}]
    value["messages"][0].update(id=wamid, **{"from": "34699999999"})
    value["messages"][0]["text"]["body"] = "the good one"
    return entry


def with_good_message(payload: dict[str, Any], wamid: str = "wamid.good") -> dict[str, Any]:
    if isinstance(payload.get("entry"), list):
        payload["entry"].append(good_entry(wamid))
    return payload


def text_message(**changes: Any) -> dict[str, Any]:
    payload = load_sample("inbound_text.json")
    payload["entry"][0]["changes"][0]["value"]["messages"][0].update(changes)
    return payload


def value_of(payload: dict[str, Any]) -> dict[str, Any]:
    return payload["entry"][0]["changes"][0]["value"]


def assert_good_message_stored(response, wamid: str = "wamid.good") -> None:
    assert response.status_code == 200, response.content
    assert Message.objects.filter(wamid=wamid, text="the good one").exists()


def dead_letter_text() -> str:
    return json.dumps([d.payload for d in DeadLetter.objects.all()], ensure_ascii=False)


@pytest.mark.parametrize("key", ["messages", "statuses", "contacts", "errors"])
@pytest.mark.parametrize("wrong", [7, 2.5, "text", {"id": "wamid.x"}, True])
def test_lists_of_the_wrong_type_are_dead_lettered(client, inbox, key, wrong):
    payload = load_sample("inbound_text.json")
    value_of(payload)[key] = wrong
    response = post_webhook(client, meta_bytes(with_good_message(payload)))
    assert_good_message_stored(response)
    letter = DeadLetter.objects.get(detail=f'"{key}" is not a list')
    assert letter.payload[key] == wrong


@pytest.mark.parametrize("wrong", [["button_reply"], {"type": "button_reply"}, None])
def test_interactive_type_of_the_wrong_type_is_stored(client, inbox, wrong):
    payload = load_sample("inbound_interactive_button_reply.json")
    value_of(payload)["metadata"]["phone_number_id"] = PNID
    value_of(payload)["messages"][0]["interactive"]["type"] = wrong
    wamid = value_of(payload)["messages"][0]["id"]
    response = post_webhook(client, meta_bytes(with_good_message(payload)))
    assert_good_message_stored(response)
    stored = Message.objects.get(wamid=wamid)
    assert stored.type == "interactive"
    assert stored.content["interactive_type"] == ""


def test_nul_characters_are_removed_everywhere(client, inbox):
    payload = text_message(text={"body": "zero\x00byte"}, context={"id\x00": "a\x00b"})
    value_of(payload)["contacts"][0]["profile"]["name"] = "Ana\x00"
    response = post_webhook(client, meta_bytes(with_good_message(payload)))
    assert_good_message_stored(response)
    stored = Message.objects.get(wamid="wamid.xyzxyz")
    assert stored.text == "zerobyte"
    assert stored.context == {"id": "ab"}
    assert stored.conversation.contact.profile_name == "Ana"
    assert stored.raw["text"]["body"] == "zerobyte"


def test_a_dead_letter_with_nuls_and_surrogates_is_itself_storable(client, inbox):
    payload = load_sample("status_failed_131047_reengagement.json")
    value_of(payload)["metadata"]["phone_number_id"] = PNID
    value_of(payload)["statuses"][0].update(id="wamid.marker", status="read", note="a\x00b")
    body = meta_bytes(with_good_message(payload)).replace(b"wamid.marker", b"wamid.\\ud800marker")
    response = post_webhook(client, body)
    assert_good_message_stored(response)
    letter = DeadLetter.objects.get(reason="unknown_message")
    assert letter.payload["status"]["id"] == "wamid.\ufffdmarker"
    assert letter.payload["status"]["note"] == "ab"


def test_lone_surrogates_are_replaced(client, inbox):
    body = meta_bytes(with_good_message(text_message(text={"body": "x"})))
    body = body.replace(b'"body":"x"', b'"body":"half \\ud83d of an emoji \\ude00"')
    response = post_webhook(client, body)
    assert_good_message_stored(response)
    stored = Message.objects.get(wamid="wamid.xyzxyz")
    assert stored.text == "half \ufffd of an emoji \ufffd"


def test_a_flow_reply_nested_100k_deep_is_stored_without_its_response(client, inbox):
    payload = load_sample("inbound_interactive_nfm_reply_flow.json")
    value_of(payload)["metadata"]["phone_number_id"] = PNID
    message = value_of(payload)["messages"][0]
    message["interactive"]["nfm_reply"]["response_json"] = "[" * 100_000 + "]" * 100_000
    response = post_webhook(client, meta_bytes(with_good_message(payload)))
    assert_good_message_stored(response)
    stored = Message.objects.get(wamid=message["id"])
    assert stored.content["response_error"] == "response_json is nested too deeply to read"


def test_nesting_deeper_than_storable_is_cut_off_and_the_message_kept(client, inbox):
    deep: Any = "bottom"
    for _ in range(300):
        deep = [deep]
    payload = text_message(context={"forwarded": True, "deep": deep})
    response = post_webhook(client, meta_bytes(with_good_message(payload)))
    assert_good_message_stored(response)
    context = Message.objects.get(wamid="wamid.xyzxyz").context
    assert context["forwarded"] is True
    assert "cut off" in json.dumps(context)


def test_a_body_nested_100k_deep_is_kept_whole_as_a_dead_letter(client, inbox):
    good = meta_bytes(with_good_message(text_message()))
    body = good.replace(b'"type":"text"', b'"type":"text","x":' + b"[" * 100_000 + b"]" * 100_000)
    response = post_webhook(client, body)
    assert response.status_code == 200
    letter = DeadLetter.objects.get()
    assert letter.detail == "body nested too deeply to decode"
    assert letter.payload["body"] == body.decode()


def test_an_unknown_number_longer_than_its_column_is_dead_lettered(client, inbox):
    payload = load_sample("inbound_text.json")
    long_number = "9" * 200
    value_of(payload)["metadata"]["phone_number_id"] = long_number
    value_of(payload)["messages"][0]["id"] = "wamid.elsewhere"
    response = post_webhook(client, meta_bytes(with_good_message(payload)))
    assert_good_message_stored(response)
    letter = DeadLetter.objects.get(reason="unknown_number")
    assert letter.payload["value"]["metadata"]["phone_number_id"] == long_number
    assert long_number.startswith(letter.phone_number_id)


@pytest.mark.postgres
def test_an_item_the_database_refuses_is_dead_lettered_and_logged_with_traceback(
    client, inbox, caplog
):
    # PostgreSQL enforces the column: a 300-character wamid cannot be stored as a message.
    payload = text_message(id="wamid." + "x" * 300)
    with caplog.at_level(logging.ERROR, logger="baton"):
        response = post_webhook(client, meta_bytes(with_good_message(payload)))
    assert_good_message_stored(response)
    letter = DeadLetter.objects.get(reason="processing_error")
    assert letter.payload["message"]["id"] == "wamid." + "x" * 300
    assert "DataError" in letter.detail
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.exc_info is not None


# ------------------------------------------------------------------------------------------
# Wrong types in every position of every recorded payload


def webhook_samples() -> list[str]:
    names = []
    for path in sorted(SAMPLES_DIR.glob("*.json")):
        payload = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(payload, dict) and payload.get("object") == "whatsapp_business_account":
            names.append(path.name)
    return names


SAMPLES = webhook_samples()


def positions(node: Any, path: tuple = ()) -> list[tuple]:
    """The path of every value in a JSON document, the root excepted."""
    found = [path] if path else []
    if isinstance(node, dict):
        for key, child in node.items():
            found += positions(child, (*path, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            found += positions(child, (*path, index))
    return found


def replace_at(document: Any, path: tuple, value: Any) -> None:
    for step in path[:-1]:
        document = document[step]
    document[path[-1]] = value


def nested(depth: int) -> Any:
    node: Any = []
    for _ in range(depth):
        node = [node]
    return node


hostile_text = st.sampled_from(
    ["", "\x00", "a\x00b", "\ud800", "x\udfffy", "../../etc/passwd", "9" * 300, "é" * 70]
)
wrong_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([2**70, -(2**63), 10**4000]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    hostile_text,
    st.lists(st.integers() | st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=3),
    st.sampled_from([nested(80), nested(300), {"a": nested(70)}]),
)


def ids_in(payload: Any, key: str) -> list[str]:
    """Ids of the ``messages`` / ``statuses`` items that are still objects with a string id."""

    def listed(container: Any, name: str) -> list[Any]:
        value = container.get(name) if isinstance(container, dict) else None
        return value if isinstance(value, list) else []

    found = []
    for entry in listed(payload, "entry"):
        for change in listed(entry, "changes"):
            value = change.get("value") if isinstance(change, dict) else None
            for item in listed(value, key):
                if isinstance(item, dict) and isinstance(item.get("id"), str) and item["id"]:
                    found.append(as_stored(item["id"]))
    return found


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_a_wrong_value_anywhere_never_costs_the_rest_of_the_post(client, db, data):
    payload = load_sample(data.draw(st.sampled_from(SAMPLES), label="sample"))
    for entry in payload["entry"]:
        for change in entry["changes"]:
            pnid = change["value"]["metadata"]["phone_number_id"]
            Inbox.objects.get_or_create(
                phone_number_id=pnid, defaults={"name": pnid[:100], "access_token": "t"}
            )
    Inbox.objects.get_or_create(
        phone_number_id=PNID, defaults={"name": "Main", "access_token": "t"}
    )
    path = data.draw(st.sampled_from(positions(payload)), label="position")
    replace_at(payload, path, data.draw(wrong_values, label="wrong value"))
    good = f"wamid.good.{uuid.uuid4().hex}"
    letters_before = set(DeadLetter.objects.values_list("pk", flat=True))

    response = post_webhook(client, meta_bytes(with_good_message(payload, good)))

    if payload["object"] != "whatsapp_business_account" or not isinstance(payload["entry"], list):
        # Not a WhatsApp webhook any more: refused whole, as before.
        assert response.status_code == 400
        return
    assert_good_message_stored(response, good)
    kept = json.dumps(
        [d.payload for d in DeadLetter.objects.exclude(pk__in=letters_before)], ensure_ascii=False
    )
    for wamid in ids_in(payload, "messages"):
        assert Message.objects.filter(wamid=wamid).exists() or as_json(wamid) in kept, wamid
    for wamid in ids_in(payload, "statuses"):
        # No message of ours was sent in this test: every status is kept as unmatched.
        assert as_json(wamid) in kept, wamid


def as_stored(text: str) -> str:
    """What PostgreSQL can hold of a string: no NULs, no lone surrogates."""
    return re.sub("[\ud800-\udfff]", "\ufffd", text.replace("\x00", ""))


def as_json(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)[1:-1]
