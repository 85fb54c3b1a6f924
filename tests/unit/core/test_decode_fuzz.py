"""Property-based fuzzing of article decoding: any bytes in, an Article or a reasoned rejection out.

``decode_article`` is the first thing every message meets. Whatever arrives,
it must return an ``Article`` or raise ``DecodeError`` with a known reason
code and a plain-words detail; no other exception may escape (it would be an
``extraction_error`` at best and a crashed batch at worst). The dead letter
built from any rejection must be valid JSON and keep at most 4 KiB.
"""

from __future__ import annotations

import json
import string

from hypothesis import HealthCheck, example, given, settings, strategies as st

from stream.decode import REASONS, dead_letter, decode_article
from stream.errors import DecodeError
from stream.models import Article, to_json

MAX_BYTES = 20_000
MAX_TEXT = 5_000
FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=60)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=5)
                           | st.dictionaries(st.text(max_size=10), inner, max_size=5), max_leaves=30)
FIELDS = ["id", "text", "url", "source", "title", "published_at", "language", "metadata", "schema_version"]
tricky_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=300) | st.sampled_from([
    "", " ", "\x00", "\x01" * 50, "\ufeff", "Troops massed.\x00", "a" * (MAX_TEXT + 1), "\u202e\u200b", "\ud7ff",
])


def _check(value: bytes | None) -> None:
    try:
        article = decode_article(value, max_bytes=MAX_BYTES, max_text_chars=MAX_TEXT)
    except DecodeError as exc:
        assert exc.reason in REASONS, exc.reason
        assert isinstance(exc.detail, str) and exc.detail.strip(), "every rejection says why"
        letter = dead_letter(exc, value, topic="articles", partition=0, offset=1)
        encoded = to_json(letter)
        assert json.loads(encoded)["reason"] == exc.reason
        assert len(letter.payload.encode("utf-8", "surrogatepass")) <= 4096 * 3
        assert letter.payload_size == len(value or b"")
    else:
        assert isinstance(article, Article)
        assert article.text.strip() and len(article.text) <= MAX_TEXT
        assert article.id
        json.loads(to_json(article))  # what the worker will put in events must serialise


@FUZZ
@given(st.binary(max_size=2_000))
@example(b"")
@example(b"\xff\xfe{\x00}")
@example(b"\xef\xbb\xbf{}")
@example(b"[" * 100_000)
@example(b'{"text": "' + b"\xc3" + b'"}')
@example(b"1e999999")
@example(b'{"text": "x", "published_at": "9999-99-99T99:99:99Z"}')
@example(b'{"text": "x", "published_at": 1e300}')
@example(b'{"text": "x", "published_at": -1e300}')
@example(b'{"text": "x", "published_at": true}')
@example(b'{"text": "x", "schema_version": 1e400}')
@example(b'{"text": "x", "language": 5}')
@example(b'{"text": "x", "metadata": []}')
@example(b'{"text": "x", "id": ""}')
@example(b'{"text": "x"' + b', "a": 1' * 5000 + b"}")
@example(("{" * 64 + "}" * 64).encode())
@example(b'"\\ud800"')
@example(b'{"text": "\\ud800 troops massed"}')
def test_random_bytes(value):
    _check(value)


@FUZZ
@given(st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), json_values | tricky_text, max_size=9))
def test_random_json_objects(data):
    _check(json.dumps(data).encode())


@FUZZ
@given(st.fixed_dictionaries({"text": tricky_text},
                             optional={f: json_values | tricky_text for f in FIELDS if f != "text"}))
def test_articles_with_random_fields(data):
    _check(json.dumps(data, ensure_ascii=False).encode("utf-8", "surrogatepass"))


@FUZZ
@given(st.data())
def test_mutated_valid_articles(data):
    base = json.dumps({"id": "a-1", "text": "Russian forces massed troops near the border.",
                       "title": "Buildup", "published_at": "2025-03-15T12:00:00Z", "language": "en",
                       "metadata": {"k": [1, 2, {"x": None}]}}).encode()
    raw = bytearray(base)
    for _ in range(data.draw(st.integers(1, 6))):
        op = data.draw(st.sampled_from(["flip", "insert", "delete"]))
        pos = data.draw(st.integers(0, max(len(raw) - 1, 0)))
        if op == "flip" and raw:
            raw[pos] = data.draw(st.integers(0, 255))
        elif op == "insert":
            raw[pos:pos] = data.draw(st.sampled_from([b"[", b"{", b'"', b"\\", b"\x00", b"\xff", b",", b"}",
                                                      string.printable[:5].encode()]))
        elif raw:
            del raw[pos]
    _check(bytes(raw))


def test_nesting_is_refused_before_the_parser_recurses():
    for payload in (b"[" * 1_000_000, b'{"text": "t", "m": ' + b'{"a":' * 100_000 + b"1" + b"}" * 100_000 + b"}"):
        try:
            decode_article(payload, max_bytes=10_000_000, max_text_chars=MAX_TEXT)
        except DecodeError as exc:
            assert exc.reason == "invalid_json" and "nested" in exc.detail
        else:  # pragma: no cover - a failure message
            raise AssertionError("deep nesting accepted")
