"""whatsapp.sanitise: pure, so tested without a database."""

from __future__ import annotations

import json

import pytest

from baton.whatsapp.sanitise import (
    MAX_JSON_DEPTH,
    TOO_DEEP,
    safe_filename,
    storable_json,
    storage_filename,
)


def test_storable_json_cleans_keys_and_values_at_every_level():
    cleaned = storable_json({"k\x00": ["a\x00", {"\ud800": "x\udfff"}], "n": 1, "f": None})
    assert cleaned == {"k": ["a", {"\ufffd": "x\ufffd"}], "n": 1, "f": None}
    json.dumps(cleaned).encode("utf-8")  # and it encodes


def test_storable_json_cuts_nesting_at_the_limit():
    deep: object = "bottom"
    for _ in range(MAX_JSON_DEPTH + 10):
        deep = [deep]
    cleaned = storable_json(deep)
    depth = 0
    while isinstance(cleaned, list):
        cleaned, depth = cleaned[0], depth + 1
    assert (depth, cleaned) == (MAX_JSON_DEPTH, TOO_DEEP)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("factura.pdf", "factura.pdf"),
        ("../../etc/passwd", "passwd"),
        ("/abs/path/x.pdf", "x.pdf"),
        ("C:\\a\\b.docx", "b.docx"),
        ("tab\there\x00.txt", "tabhere.txt"),
        ("...", "..."),
        ("..", ""),
        ("dir/", ""),
        ("  spaced.pdf  ", "spaced.pdf"),
    ],
)
def test_safe_filename(name, expected):
    assert safe_filename(name) == expected


def test_safe_filename_keeps_the_extension_when_cutting():
    name = safe_filename("x" * 400 + ".pdf")
    assert (len(name), name[-4:]) == (255, ".pdf")
    assert safe_filename("x" * 400 + "." + "y" * 40) == ("x" * 400 + "." + "y" * 40)[:255]


def test_storage_filename_counts_bytes_and_never_splits_a_character():
    name = storage_filename("é" * 100 + ".pdf", max_bytes=80)
    assert name == "é" * 38 + ".pdf"
    assert len(name.encode()) <= 80
