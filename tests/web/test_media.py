"""Customer and agent files are served so that none can run script on Baton's origin.

Inline only for allow-listed types whose bytes agree; otherwise a download. Always nosniff
and a sandboxing CSP. Always only to who may see the conversation.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from baton.conversations.models import Message
from baton.conversations.ownership import do_claim_conversation
from baton.web.media import MEDIA_LINK_PARAM, sign_media_link
from tests.conftest import make_user
from tests.media_files import customer_sends_file, hostile_html

MEDIA_HOST = "media.testserver"


@pytest.fixture
def alice(db, inbox):
    return make_user("alice")


def fetch(client, url, **headers):
    """GET ``url``, with a streamed file read in full (``.body``), which also closes it."""
    response = client.get(url, headers=headers)
    if response.streaming:
        response.body = b"".join(response.streaming_content)
    return response


def get_media(client, message, **headers):
    return fetch(client, f"/media/{message.pk}", **headers)


def assert_walls(response):
    assert response["X-Content-Type-Options"] == "nosniff"
    csp = response["Content-Security-Policy"]
    assert csp.startswith("sandbox;")
    assert "default-src 'none'" in csp
    assert "script-src" not in csp


def assert_download(response, filename: str | None = None):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")
    if filename:
        assert filename in response["Content-Disposition"]
    assert_walls(response)


@pytest.mark.parametrize(
    ("name", "filename"),
    [
        ("html-document", "offer.html"),
        ("svg-image", None),
        ("svg-document", "logo.svg"),
        ("png-that-is-html", None),
    ],
)
def test_a_hostile_customer_file_is_a_download(client, alice, name, filename):
    message = customer_sends_file(client, name)
    client.force_login(alice)
    response = get_media(client, message)
    assert_download(response, filename)
    # The bytes themselves are untouched: the agent can still save the file.
    with message.media_file.open("rb") as stored:
        assert response.body == stored.read()


@pytest.mark.parametrize(
    ("name", "content_type"), [("real-png", "image/png"), ("real-pdf", "application/pdf")]
)
def test_a_safe_file_whose_bytes_agree_is_inline(client, alice, name, content_type):
    message = customer_sends_file(client, name)
    client.force_login(alice)
    response = get_media(client, message)
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert not response.get("Content-Disposition", "").startswith("attachment")
    assert_walls(response)


def test_an_agents_html_upload_goes_out_as_a_document_and_comes_back_as_a_download(
    client, alice, conversation
):
    do_claim_conversation(conversation.pk, alice)
    client.force_login(alice)
    for name, declared in (("price-list.html", "text/html"), ("photo.png", "image/png")):
        upload = SimpleUploadedFile(name, hostile_html("upload"), content_type=declared)
        response = client.post(f"/c/{conversation.pk}/reply", {"text": "", "attachment": upload})
        assert response.status_code == 302
        message = Message.objects.filter(media_filename=name).get()
        # An HTML page called photo.png is not sent to WhatsApp as an image either.
        assert message.type == "document"
        assert_download(get_media(client, message), name)


def test_an_agents_real_png_goes_out_as_an_image(client, alice, conversation):
    from baton.simulator.media import png

    do_claim_conversation(conversation.pk, alice)
    client.force_login(alice)
    upload = SimpleUploadedFile("lamp.png", png(), content_type="image/png")
    client.post(f"/c/{conversation.pk}/reply", {"text": "", "attachment": upload})
    message = Message.objects.get(media_filename="lamp.png")
    assert message.type == "image"
    assert get_media(client, message)["Content-Type"] == "image/png"


def test_the_timeline_shows_a_real_image_and_offers_an_svg_as_a_file(client, alice):
    image = customer_sends_file(client, "real-png")
    svg = customer_sends_file(client, "svg-image")
    client.force_login(alice)
    html = client.get(f"/c/{image.conversation_id}/").content.decode()
    assert f'<img class="media image" src="/media/{image.pk}"' in html
    assert f'<img class="media image" src="/media/{svg.pk}"' not in html
    assert f'<a class="file" href="/media/{svg.pk}"' in html


def test_another_teams_agent_gets_404(client, alice):
    message = customer_sends_file(client, "real-png")
    client.force_login(make_user("olga", team="Sales"))
    assert get_media(client, message).status_code == 404


def test_the_api_links_to_the_checked_download_not_the_storage_path(client, alice):
    message = customer_sends_file(client, "real-png")
    client.force_login(alice)
    items = client.get(f"/api/v1/conversations/{message.conversation_id}/messages").json()
    media = next(i["media"] for i in items["items"] if i["id"] == message.pk)
    assert media["url"] == f"/media/{message.pk}"
    assert fetch(client, media["url"]).status_code == 200


# --- A separate media origin ------------------------------------------------------------------


@pytest.fixture
def media_origin(settings):
    settings.BATON_MEDIA_ORIGIN = f"http://{MEDIA_HOST}"
    return settings.BATON_MEDIA_ORIGIN


def test_the_app_redirects_to_a_signed_link_on_the_media_origin(client, alice, media_origin):
    message = customer_sends_file(client, "real-png")
    client.force_login(alice)
    redirect = get_media(client, message)
    assert redirect.status_code == 302
    assert redirect["Location"].startswith(f"{media_origin}/media/{message.pk}?{MEDIA_LINK_PARAM}=")
    assert "no-cache" in redirect["Cache-Control"]
    # The media origin has no session: the signed link alone lets the file through.
    client.logout()
    served = fetch(client, redirect["Location"], Host=MEDIA_HOST)
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert_walls(served)


def test_the_media_origin_serves_nothing_but_signed_files(client, alice, media_origin):
    message = customer_sends_file(client, "real-png")
    other = customer_sends_file(client, "real-pdf")
    on_media = {"Host": MEDIA_HOST}
    link = sign_media_link(message.pk, alice).removeprefix(media_origin)
    assert fetch(client, link, **on_media).status_code == 200
    # No link, a forged one, or one signed for another file: nothing.
    assert client.get(f"/media/{message.pk}", headers=on_media).status_code == 404
    forged = f"/media/{message.pk}?{MEDIA_LINK_PARAM}=eyJtIjoxfQ:forged"
    assert client.get(forged, headers=on_media).status_code == 404
    other_link = link.replace(f"/media/{message.pk}?", f"/media/{other.pk}?")
    assert client.get(other_link, headers=on_media).status_code == 404
    # Nor the app: a session there would sit next to the customers' files.
    client.force_login(alice)
    for path in ("/login/", "/", "/api/v1/me", "/admin/"):
        assert client.get(path, headers=on_media).status_code == 404, path


def test_a_signed_link_does_not_outlive_the_viewers_access(client, alice, media_origin):
    message = customer_sends_file(client, "real-png")
    olga = make_user("olga", team="Sales")
    on_media = {"Host": MEDIA_HOST}
    # Signed for someone who cannot see the conversation: still 404.
    olgas = sign_media_link(message.pk, olga).removeprefix(media_origin)
    assert client.get(olgas, headers=on_media).status_code == 404
    # Signed for Alice, who is then deactivated.
    alices = sign_media_link(message.pk, alice).removeprefix(media_origin)
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    assert client.get(alices, headers=on_media).status_code == 404


def test_an_expired_signed_link_is_refused(client, alice, media_origin, monkeypatch):
    import baton.web.media

    message = customer_sends_file(client, "real-png")
    link = sign_media_link(message.pk, alice).removeprefix(media_origin)
    monkeypatch.setattr(baton.web.media, "MEDIA_LINK_SECONDS", -1)
    assert client.get(link, headers={"Host": MEDIA_HOST}).status_code == 404
