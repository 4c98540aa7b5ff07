"""Every recorded Cloud API payload parses into the right thing (pure: no database)."""
# ruff: noqa: E501  (the expectation tables read best one sample per line)

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from baton.whatsapp.parsing import EnvelopeError, parse_webhook
from tests.conftest import SAMPLES_DIR, load_sample

# file -> (type, text, from wa_id, from BSUID, media id)
INBOUND = {
    "inbound_audio_file.json": ("audio", "", "972987654321", "US.13491208655302741918", "1234567890987654321"),
    "inbound_audio_voice.json": ("audio", "", "972987654321", "US.13491208655302741918", "1234567890987654321"),
    "inbound_batch_two_changes_one_entry.json": ("text", "MESSAGE_BODY", "PHONE_NUMBER", None, None),
    "inbound_button_quick_reply_no_context_bsuid.json": ("button", "title", "972987654321", "US.13491208655302741918", None),
    "inbound_button_template_quick_reply.json": ("button", "title", "972987654321", "US.13491208655302741918", None),
    "inbound_contacts_multiple.json": ("contacts", None, "972987654321", "US.13491208655302741918", None),
    "inbound_contacts_with_org.json": ("contacts", "Lucía Gómez", "16505551234", None, None),
    "inbound_document_forwarded.json": ("document", "caption", "972987654321", "US.13491208655302741918", "1234567890987654321"),
    "inbound_document_real_capture.json": ("document", "", "1111111111111", None, "848704520347750"),
    "inbound_edit_image_caption.json": ("edit", "Updated image caption", "16505551234", None, "1234567890"),
    "inbound_image.json": ("image", "", "972987654321", "US.13491208655302741918", "65463453"),
    "inbound_image_with_caption.json": ("image", "Taj Mahal", "16505551234", None, "1003383421387256"),
    "inbound_image_with_url.json": ("image", "", "972987654321", "US.13491208655302741918", "65463453"),
    "inbound_interactive_button_reply.json": ("interactive", "title", "972987654321", "US.13491208655302741918", None),
    "inbound_interactive_list_reply.json": ("interactive", "title", "972987654321", "US.13491208655302741918", None),
    "inbound_interactive_list_reply_with_description.json": ("interactive", "title", "972987654321", "US.13491208655302741918", None),
    "inbound_interactive_missing_object_value_errors.json": ("interactive", "", "972987654321", "US.13491208655302741918", None),
    "inbound_interactive_nfm_reply_flow.json": ("interactive", "Sent", "972987654321", "US.13491208655302741918", None),
    "inbound_location_named_place.json": ("location", "Facebook HQ", "972987654321", "US.13491208655302741918", None),
    "inbound_location_pin.json": ("location", "", "972987654321", "US.13491208655302741918", None),
    "inbound_location_url_only.json": ("location", "", "1111111111111", None, None),
    "inbound_order.json": ("order", None, "972987654321", "US.13491208655302741918", None),
    "inbound_reaction.json": ("reaction", "😮", "972987654321", "US.13491208655302741918", None),
    "inbound_reaction_removed_empty_emoji.json": ("reaction", "", "972987654321", "US.13491208655302741918", None),
    "inbound_reaction_removed_no_emoji.json": ("reaction", "", "972987654321", "US.13491208655302741918", None),
    "inbound_revoke_message_deleted.json": ("revoke", "", "<WHATSAPP_USER_PHONE_NUMBER>", None, None),
    "inbound_sticker_animated.json": ("sticker", "", "972987654321", "US.13491208655302741918", "1234567890987654321"),
    "inbound_sticker_static.json": ("sticker", "", "972987654321", "US.13491208655302741918", "1234567890987654321"),
    "inbound_system_customer_identity_changed.json": ("system", "User identity changed", "972987654321", None, None),
    "inbound_system_user_changed_number.json": ("system", None, "972987654321", None, None),
    "inbound_text.json": ("text", "Body Text", "972987654321", "US.13491208655302741918", None),
    "inbound_text_click_to_whatsapp_ad.json": ("text", None, "16505551234", None, None),
    "inbound_text_forwarded.json": ("text", "forwarded text", "972987654321", "US.13491208655302741918", None),
    "inbound_text_frequently_forwarded.json": ("text", "text forwarded many times", "972987654321", "US.13491208655302741918", None),
    "inbound_text_phone_and_username.json": ("text", "this is a text message", "16315551181", "US.13491208655302741918", None),
    "inbound_text_product_inquiry_referred_product.json": ("text", "Is this still available?", "16505551234", None, None),
    "inbound_text_reply_with_context.json": ("text", "replied text", "972987654321", "US.13491208655302741918", None),
    "inbound_text_username_only_bsuid.json": ("text", "this is a text message", None, "US.13491208655302741918", None),
    "inbound_text_with_referral_placeholders.json": ("text", "BODY", "972987654321", "US.13491208655302741918", None),
    "inbound_unknown_type_legacy.json": ("unsupported", "", "PHONE_NUMBER", None, None),
    "inbound_unsupported.json": ("unsupported", "", "972987654321", "US.13491208655302741918", None),
    "inbound_unsupported_131051_deleted_message.json": ("unsupported", "", "1111111111111", None, None),
    "inbound_unsupported_with_subtype.json": ("unsupported", "", "972987654321", "US.13491208655302741918", None),
    "inbound_video_forwarded.json": ("video", "caption", "972987654321", "US.13491208655302741918", "765756756"),
    "meta_sample_v25_inbound_text_bsuid.json": ("text", "this is a text message", "16315551181", "US.13491208655302741918", None),
}  # fmt: skip

# file -> (status, error code or None)
STATUSES = {
    "meta_sample_v25_status_delivered.json": ("delivered", None),
    "meta_sample_v25_status_read.json": ("read", None),
    "meta_sample_v25_status_sent_pmp.json": ("sent", None),
    "status_failed_130472_experiment.json": ("failed", 130472),
    "status_failed_131047_reengagement.json": ("failed", 131047),
    "status_failed_131053_media_upload.json": ("failed", 131053),
    "status_played_voice.json": ("played", None),
    "status_read_group_recipient.json": ("read", None),
    "status_read_to_bsuid_username.json": ("read", None),
    "status_sent_biz_opaque_callback_data.json": ("sent", None),
    "status_sent_cbp_business_initiated_2023.json": ("sent", None),
    "status_sent_cbp_service.json": ("sent", None),
    "status_sent_to_bsuid_username.json": ("sent", None),
}


def test_every_webhook_sample_has_an_expectation():
    names = {
        p.name
        for p in SAMPLES_DIR.glob("*.json")
        if p.name.startswith(("inbound_", "status_", "meta_sample_"))
    }
    assert names == set(INBOUND) | set(STATUSES)


@pytest.mark.parametrize("name", sorted(INBOUND))
def test_inbound_sample(name):
    msg_type, text, wa_id, user_id, media_id = INBOUND[name]
    batches = parse_webhook(load_sample(name))
    messages = [m for b in batches for m in b.messages]
    assert all(not b.unparsable for b in batches)
    assert messages, "no message parsed"
    first = messages[0]
    assert first.type == msg_type
    if text is not None:
        assert first.text == text
    assert first.from_wa_id == wa_id
    assert first.from_user_id == user_id
    assert (first.media.media_id if first.media else None) == media_id
    assert isinstance(first.wamid, str)
    assert first.timestamp.tzinfo is UTC
    assert first.raw["id"] == first.wamid


@pytest.mark.parametrize("name", sorted(STATUSES))
def test_status_sample(name):
    status, code = STATUSES[name]
    [update] = [s for b in parse_webhook(load_sample(name)) for s in b.statuses]
    assert update.status == status
    assert (update.errors[0].code if update.errors else None) == code
    if code:
        assert update.errors[0].details


def first_message(name):
    return next(m for b in parse_webhook(load_sample(name)) for m in b.messages)


def test_type_specific_content():
    assert first_message("inbound_audio_voice.json").content == {"voice": True}
    assert first_message("inbound_sticker_animated.json").content == {"animated": True}
    location = first_message("inbound_location_named_place.json").content
    assert location["latitude"] == pytest.approx(37.4611978)
    assert first_message("inbound_interactive_list_reply_with_description.json").content[
        "description"
    ]
    flow = first_message("inbound_interactive_nfm_reply_flow.json").content
    assert flow["interactive_type"] == "nfm_reply"
    assert isinstance(flow["response"], dict)
    assert flow["response"]
    assert len(first_message("inbound_contacts_multiple.json").content["contacts"]) == 3
    assert first_message("inbound_reaction_removed_no_emoji.json").content["emoji"] == ""
    order = first_message("inbound_order.json").content
    assert order["product_items"]
    system = first_message("inbound_system_user_changed_number.json").content
    assert system["type"] == "user_changed_number"
    assert system["wa_id"] == "972912345678"
    edit = first_message("inbound_edit_image_caption.json").content
    assert edit["original_message_id"].startswith("wamid.")
    legacy = first_message("inbound_unknown_type_legacy.json").content
    assert legacy["original_type"] == "unknown"
    assert legacy["errors"][0]["code"] == 131051
    assert (
        first_message("inbound_unsupported_with_subtype.json").content["unsupported_type"] == "pool"
    )
    missing = first_message("inbound_interactive_missing_object_value_errors.json").content
    assert missing["missing"] is True
    assert missing["errors"][0]["code"] == 131000


def test_context_reply_forward_and_referral():
    assert first_message("inbound_text_reply_with_context.json").reply_to_wamid
    assert first_message("inbound_text_forwarded.json").context["forwarded"] is True
    ad = first_message("inbound_text_click_to_whatsapp_ad.json").context["referral"]
    assert ad["source_type"] == "ad"


def test_batch_iterates_every_change():
    batches = parse_webhook(load_sample("inbound_batch_two_changes_one_entry.json"))
    assert [m.text for b in batches for m in b.messages] == ["MESSAGE_BODY", "MESSAGE_BODY2"]


def test_timestamps_are_utc_datetimes():
    message = first_message("inbound_text.json")
    assert message.timestamp == datetime.fromtimestamp(1697043223, tz=UTC)


@pytest.mark.parametrize(
    "body",
    [
        [],
        "text",
        {"object": "page", "entry": []},
        {"object": "whatsapp_business_account"},
        {"object": "whatsapp_business_account", "entry": {}},
    ],
)
def test_wrong_envelopes_are_refused(body):
    with pytest.raises(EnvelopeError):
        parse_webhook(body)


def test_an_unreadable_entry_or_change_is_set_aside_and_the_rest_parsed():
    good = load_sample("inbound_text.json")["entry"][0]
    body = {
        "object": "whatsapp_business_account",
        "entry": [
            {"id": "1"},
            7,
            {"id": "2", "changes": [{"field": "messages"}, "x", *good["changes"]]},
        ],
    }
    batches = parse_webhook(body)
    assert [bool(b.malformed) for b in batches] == [True, True, True, True, False]
    assert batches[0].raw_value == {"entry": {"id": "1"}}
    assert batches[2].raw_value == {"change": {"field": "messages"}}
    assert [m.wamid for m in batches[-1].messages] == ["wamid.xyzxyz"]


def test_broken_items_are_set_aside_not_fatal():
    payload = load_sample("inbound_text.json")
    value = payload["entry"][0]["changes"][0]["value"]
    good = value["messages"][0]
    value["messages"] = [
        {"type": "text", "text": {"body": "no id"}, "from": "1", "timestamp": "1"},
        {"id": "wamid.nosender", "type": "text", "text": {"body": "x"}, "timestamp": "1"},
        good,
    ]
    value["statuses"] = [{"id": "wamid.s", "status": "exploded", "timestamp": "1"}]
    [batch] = parse_webhook(payload)
    assert [m.wamid for m in batch.messages] == [good["id"]]
    assert len(batch.unparsable) == 3


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_parser_never_crashes_on_arbitrary_json(value):
    with contextlib.suppress(EnvelopeError):
        parse_webhook(value)


@settings(max_examples=200, deadline=None)
@given(
    messages=st.lists(
        st.dictionaries(
            st.sampled_from(["id", "from", "type", "timestamp", "text", "image", "context"]),
            json_values,
        ),
        max_size=4,
    )
)
def test_parser_survives_hostile_messages(messages):
    envelope = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": {"messages": messages}}]}],
    }
    [batch] = parse_webhook(envelope)
    assert len(batch.messages) + len(batch.unparsable) == len(messages)


@settings(max_examples=100, deadline=None)
@given(body=st.text(min_size=1, max_size=300))
def test_text_round_trips_through_meta_serialisation(body):
    payload = load_sample("inbound_text.json")
    payload["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"] = body
    wire = json.dumps(payload, separators=(",", ":"), ensure_ascii=True).replace("/", "\\/")
    [message] = [m for b in parse_webhook(json.loads(wire)) for m in b.messages]
    assert message.text == body
