"""Article decoding: every rejection has a stable reason, a plain detail and the field to blame."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from stream.decode import REASONS, dead_letter, decode_article
from stream.errors import DecodeError

LIMITS = {"max_bytes": 10_000, "max_text_chars": 1_000}


def reject(value: bytes) -> DecodeError:
    with pytest.raises(DecodeError) as info:
        decode_article(value, **LIMITS)
    assert info.value.reason in REASONS
    assert info.value.detail
    return info.value


def test_a_minimal_article_gets_a_deterministic_id():
    a = decode_article(b'{"text": "Troops massed near the border."}', **LIMITS)
    b = decode_article(b'{"text": "Troops massed near the border."}', **LIMITS)
    assert a.id == b.id and a.id.startswith("a-")
    assert a.language == "en" and a.metadata == {}


def test_all_fields_are_read():
    ingested = datetime(2025, 3, 15, 12, tzinfo=timezone.utc)
    a = decode_article(json.dumps({
        "id": "x1", "url": "https://e.org/1", "source": "e.org", "title": "T", "text": "Body.",
        "published_at": "2025-03-15T10:00:00Z", "language": "en-GB", "metadata": {"desk": "world"},
    }).encode(), ingested_at=ingested, **LIMITS)
    assert (a.id, a.url, a.source, a.title, a.language) == ("x1", "https://e.org/1", "e.org", "T", "en-gb")
    assert a.published_at == datetime(2025, 3, 15, 10, tzinfo=timezone.utc)
    assert a.ingested_at == ingested and a.metadata == {"desk": "world"}


def test_utf8_bom_is_accepted():
    assert decode_article(b'\xef\xbb\xbf{"text": "ok"}', **LIMITS).text == "ok"


@pytest.mark.parametrize("value, reason, field", [
    (b"", "missing_field", "text"),
    (b"plain words, not JSON", "invalid_json", None),
    (b'{"text": "unterminated', "invalid_json", None),
    (b"[1, 2]", "not_an_object", None),
    (b'"a string"', "not_an_object", None),
    (b'{"title": "no text"}', "missing_field", "text"),
    (b'{"text": ""}', "missing_field", "text"),
    (b'{"text": null}', "missing_field", "text"),
    (b'{"text": ["a"]}', "invalid_field", "text"),
    (b'{"text": "ok", "id": 5}', "invalid_field", "id"),
    (b'{"text": "ok", "url": "' + b"u" * 5000 + b'"}', "invalid_field", "url"),
    (b'{"text": "ok", "metadata": [1]}', "invalid_field", "metadata"),
    (b'{"text": "ok", "published_at": "last week"}', "invalid_field", "published_at"),
    (b'{"text": "ok", "published_at": true}', "invalid_field", "published_at"),
    (b'{"text": "ok", "language": "de"}', "unsupported_language", "language"),
    (b'{"text": "ok", "schema_version": 99}', "unsupported_schema_version", "schema_version"),
    (b'{"text": "ok", "schema_version": "1"}', "invalid_field", "schema_version"),
    (b'{"text": "a\\u0000b"}', "invalid_text", "text"),
    (b'{"text": "' + b"\\u0001" * 50 + b'"}', "invalid_text", "text"),
    (b'{"text": "' + b"w" * 1001 + b'"}', "too_large", "text"),
    (b"x" * 10_001, "too_large", None),
    (b"\xff\xfe{\x00", "invalid_utf8", None),
    ('{"text": "Bogot\u00e1"}'.encode("latin-1"), "invalid_utf8", None),
    (b'{"text": "t", "m": ' + b"[" * 100 + b"]" * 100 + b"}", "invalid_json", None),
])
def test_rejections(value, reason, field):
    error = reject(value)
    assert (error.reason, error.field) == (reason, field)


def test_invalid_json_says_where():
    assert "line 2 column" in reject(b'{"text":\n "a" "b"}').detail


def test_non_utf8_says_which_byte():
    assert "byte 11" in reject(b'{"text": "a\xe9"}').detail


def test_dead_letter_keeps_the_start_of_the_payload_and_its_origin():
    payload = b"\xff" + b"x" * 10_000
    error = DecodeError("invalid_utf8", "not valid UTF-8 at byte 0")
    letter = dead_letter(error, payload, topic="articles", partition=3, offset=42, key=b"k")
    data = letter.to_dict()
    assert data["reason"] == "invalid_utf8" and data["offset"] == 42 and data["partition"] == 3
    assert data["payload_size"] == len(payload) and data["payload_truncated"] is True
    assert len(data["payload"]) == 4096 and data["payload"][0] == "\ufffd"
    assert data["key"] == "k" and data["schema_version"] == 1
    json.dumps(data)
