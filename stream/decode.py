"""Bytes from the articles topic -> Article, or a DecodeError that says exactly why not.

Every rejection has a stable ``reason`` code (a metric label and the DLQ
``reason``), a plain-words ``detail`` and, where one is to blame, the
``field``. Checks run cheapest first, and size limits come before any
parsing so a hostile payload costs little.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from .errors import DecodeError
from .models import ARTICLE_SCHEMA_VERSION, Article, DeadLetter, parse_time

__all__ = ["REASONS", "decode_article", "dead_letter"]

# Every reason a message can be rejected for; DLQ consumers and metrics rely on these codes.
REASONS = {
    "too_large": "the message or its text is bigger than the configured limit",
    "invalid_utf8": "the bytes are not UTF-8",
    "invalid_json": "the message is not JSON",
    "not_an_object": "the JSON is not an object",
    "missing_field": "a required field is absent or empty",
    "invalid_field": "a field has the wrong type or an impossible value",
    "unsupported_schema_version": "the article says it uses a newer schema than this worker knows",
    "unsupported_language": "the article is not in a language the extraction model reads",
    "invalid_text": "the text is not prose (binary or control characters)",
    "extraction_error": "the extractor failed on this article",
    "invalid_event": "a record on the events topic is not an Event",
}

_STR_FIELDS = {"id": 512, "url": 4096, "source": 512, "title": 2048, "language": 35}
_MAX_METADATA_KEYS = 100
_MAX_DEPTH = 64
_CONTROL = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f]")  # C0 controls but tab, newline, return
# A \uD800-\uDFFF escape: the only way valid UTF-8 JSON can carry a lone surrogate.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _depth_ok(raw: str) -> bool:
    """Reject pathological nesting before json.loads recurses into it."""
    if raw.count("[") + raw.count("{") <= _MAX_DEPTH:  # cannot nest deeper: skip the scan
        return True
    depth = 0
    in_string = escaped = False
    for ch in raw:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > _MAX_DEPTH:
                return False
        elif ch in "]}":
            depth -= 1
    return True


def decode_article(
    value: bytes | None,
    *,
    max_bytes: int,
    max_text_chars: int,
    ingested_at: datetime | None = None,
) -> Article:
    """Validate one message and build the Article; raise DecodeError otherwise."""
    if value is None or len(value) == 0:
        raise DecodeError("missing_field", "the message is empty (no value)", "text")
    if len(value) > max_bytes:
        raise DecodeError("too_large", f"message is {len(value):,} bytes; the limit is {max_bytes:,}")
    if value.startswith(b"\xef\xbb\xbf"):
        value = value[3:]
    try:
        raw = value.decode("utf-8")
    except UnicodeDecodeError as exc:
        hint = " (looks like UTF-16)" if value[:2] in (b"\xff\xfe", b"\xfe\xff") else ""
        raise DecodeError("invalid_utf8", f"not valid UTF-8 at byte {exc.start}{hint}") from None
    if not _depth_ok(raw):
        raise DecodeError("invalid_json", f"JSON nested deeper than {_MAX_DEPTH} levels")
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        start = raw.lstrip()[:40].replace("\n", " ")
        raise DecodeError("invalid_json", f"{exc.msg} at line {exc.lineno} column {exc.colno} "
                                          f"(message starts {start!r})") from None
    except (RecursionError, ValueError) as exc:
        raise DecodeError("invalid_json", f"cannot parse JSON: {exc}") from None
    if not isinstance(data, dict):
        raise DecodeError("not_an_object", f"expected a JSON object, got {type(data).__name__}")
    if _SURROGATE_ESCAPE.search(raw):
        _refuse_lone_surrogates(data)
    return article_from_mapping(data, max_text_chars=max_text_chars, ingested_at=ingested_at)


def _refuse_lone_surrogates(data: dict[str, Any]) -> None:
    """Reject a \\uD800-style escape that is not half of a pair: it decodes to no character,
    and the article's events could not be encoded as UTF-8 later."""
    for key, value in data.items():
        try:
            json.dumps({key: value}, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            field = key if isinstance(key, str) and key.isascii() else None
            raise DecodeError("invalid_json", "the JSON holds an unpaired UTF-16 surrogate escape "
                                              "(such as \\ud800), which is not a character", field) from None


def article_from_mapping(data: dict[str, Any], *, max_text_chars: int,
                         ingested_at: datetime | None = None) -> Article:
    version = data.get("schema_version", ARTICLE_SCHEMA_VERSION)
    if not isinstance(version, int) or isinstance(version, bool):
        raise DecodeError("invalid_field", "schema_version must be an integer", "schema_version")
    if version > ARTICLE_SCHEMA_VERSION:
        raise DecodeError("unsupported_schema_version",
                          f"schema_version {version} is newer than {ARTICLE_SCHEMA_VERSION}", "schema_version")
    text = data.get("text")
    if text is None:
        raise DecodeError("missing_field", "field 'text' is required", "text")
    if not isinstance(text, str):
        raise DecodeError("invalid_field", f"field 'text' must be a string, got {type(text).__name__}", "text")
    if not text.strip():
        raise DecodeError("missing_field", "field 'text' is empty", "text")
    if len(text) > max_text_chars:
        raise DecodeError("too_large", f"text has {len(text):,} characters; the limit is {max_text_chars:,}", "text")
    if "\x00" in text:
        raise DecodeError("invalid_text", "text contains NUL characters", "text")
    controls = len(_CONTROL.findall(text))
    if controls > max(10, len(text) // 100):
        raise DecodeError("invalid_text", f"text contains {controls} control characters", "text")
    for name, limit in _STR_FIELDS.items():
        value = data.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            raise DecodeError("invalid_field", f"field '{name}' must be a string, got {type(value).__name__}", name)
        if len(value) > limit:
            raise DecodeError("invalid_field", f"field '{name}' is longer than {limit} characters", name)
    language = (data.get("language") or "en").lower()
    if language != "en" and not language.startswith("en-"):
        raise DecodeError("unsupported_language", f"language {language!r} is not supported (only English)",
                          "language")
    metadata = data.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise DecodeError("invalid_field", "field 'metadata' must be an object", "metadata")
    if metadata and len(metadata) > _MAX_METADATA_KEYS:
        raise DecodeError("invalid_field", f"field 'metadata' has more than {_MAX_METADATA_KEYS} keys", "metadata")
    try:
        published = parse_time(data.get("published_at"))
    except (ValueError, OverflowError, OSError) as exc:
        raise DecodeError("invalid_field", f"field 'published_at' is not a timestamp: {exc}", "published_at") from None
    return Article(
        id=data.get("id") or Article.derive_id(data.get("url"), data.get("title"), text),
        text=text,
        url=data.get("url"),
        source=data.get("source"),
        title=data.get("title"),
        published_at=published,
        language=language,
        metadata=dict(metadata or {}),
        ingested_at=ingested_at,
    )


def dead_letter(
    error: DecodeError,
    value: bytes | None,
    *,
    topic: str,
    partition: int,
    offset: int,
    key: bytes | None = None,
    produced_at: datetime | None = None,
    rejected_at: datetime | None = None,
    worker: str | None = None,
    keep_bytes: int = 4096,
) -> DeadLetter:
    """The DLQ record for a rejected message: reason, where it came from, and its start."""
    value = value or b""
    return DeadLetter(
        reason=error.reason,
        detail=error.detail,
        field=error.field,
        topic=topic,
        partition=partition,
        offset=offset,
        key=key.decode("utf-8", "replace") if key is not None else None,
        payload=value[:keep_bytes].decode("utf-8", "replace"),
        payload_size=len(value),
        payload_truncated=len(value) > keep_bytes,
        worker=worker,
        produced_at=produced_at,
        rejected_at=rejected_at,
    )
