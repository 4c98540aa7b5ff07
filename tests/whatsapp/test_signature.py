import json

from baton.whatsapp.signature import is_valid_signature, sign

SECRET = "app-secret"


def test_signature_over_escaped_non_ascii_bytes():
    body = json.dumps({"name": "José Gómez 😀", "url": "a/b"}, separators=(",", ":")).replace(
        "/", "\\/"
    )
    raw = body.encode()
    assert b"\\u00e9" in raw
    assert is_valid_signature(raw, sign(raw, SECRET), SECRET)


def test_signature_over_raw_utf8_bytes():
    raw = '{"name":"José Gómez 😀"}'.encode()
    assert is_valid_signature(raw, sign(raw, SECRET), SECRET)


def test_reserialised_body_does_not_verify():
    raw = json.dumps({"name": "José"}, separators=(",", ":")).encode()  # \u00e9 escaped
    header = sign(raw, SECRET)
    reserialised = json.dumps(json.loads(raw), ensure_ascii=False, separators=(",", ":")).encode()
    assert reserialised != raw
    assert not is_valid_signature(reserialised, header, SECRET)


def test_bad_headers_and_secrets():
    raw = b'{"a":1}'
    good = sign(raw, SECRET)
    assert not is_valid_signature(raw, sign(raw, "other"), SECRET)
    assert not is_valid_signature(raw, good.removeprefix("sha256="), SECRET)
    assert not is_valid_signature(raw, "", SECRET)
    assert not is_valid_signature(raw, None, SECRET)
    assert not is_valid_signature(raw, good, "")
    assert is_valid_signature(raw, "sha256=" + good.removeprefix("sha256=").upper(), SECRET)
