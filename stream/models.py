"""Wire schemas: Article in, Event and Alert out, DeadLetter for rejects.

Every record is a frozen dataclass with ``to_dict``/``from_dict`` and a
``schema_version`` so consumers can tell formats apart when they change. The
JSON Schemas in ``stream/schemas/`` describe the same shapes for other
languages; ``docs/wire-formats.md`` explains them. Timestamps on the wire are
ISO 8601 strings in UTC with a ``Z`` suffix.

Nothing here knows about Kafka, spaCy or rules.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from typing import Any, Mapping

__all__ = [
    "ARTICLE_SCHEMA_VERSION",
    "EVENT_SCHEMA_VERSION",
    "ALERT_SCHEMA_VERSION",
    "DEAD_LETTER_SCHEMA_VERSION",
    "Article",
    "ArticleRef",
    "Actor",
    "Place",
    "Evidence",
    "Context",
    "Event",
    "Alert",
    "DeadLetter",
    "stable_id",
    "to_json",
    "format_time",
    "parse_time",
]

ARTICLE_SCHEMA_VERSION = 1
EVENT_SCHEMA_VERSION = 1
ALERT_SCHEMA_VERSION = 1
DEAD_LETTER_SCHEMA_VERSION = 1


def stable_id(*parts: object, prefix: str = "", length: int = 20) -> str:
    """A deterministic id from its parts, so redelivery reproduces it."""
    digest = hashlib.sha256("\x1f".join("" if p is None else str(p) for p in parts).encode("utf-8"))
    return prefix + digest.hexdigest()[:length]


def format_time(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(value: object) -> datetime | None:
    """Parse ISO 8601 (``Z`` allowed; naive means UTC) or epoch seconds."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, bool):
        raise ValueError("expected a timestamp, got a boolean")
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(float(value), tz=timezone.utc)
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO 8601 string, got {type(value).__name__}")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def to_json(record: Any) -> bytes:
    """Compact UTF-8 JSON for a record (or a plain dict)."""
    data = record.to_dict() if hasattr(record, "to_dict") else record
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=False).encode("utf-8")


def _time_fields(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls) if f.name.endswith("_at"))


class _Record:
    """Shared (de)serialisation: datetimes as ISO strings, nested records as dicts."""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            out[f.name] = _dump(value)
        return out


def _dump(value: Any) -> Any:
    if isinstance(value, _Record):
        return value.to_dict()
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, (list, tuple)):
        return [_dump(v) for v in value]
    if isinstance(value, dict):
        return {k: _dump(v) for k, v in value.items()}
    return value


def _times(data: Mapping[str, Any], cls: type) -> dict[str, Any]:
    return {name: parse_time(data.get(name)) for name in _time_fields(cls)}


@dataclass(frozen=True)
class Article(_Record):
    """A news article as producers send it.

    ``text`` is the only required field on the wire; a missing ``id`` is
    derived from url, title and text so that resending the same article gives
    the same id. ``ingested_at`` is set by sitrep from the Kafka record time.
    """

    id: str
    text: str
    url: str | None = None
    source: str | None = None
    title: str | None = None
    published_at: datetime | None = None
    language: str = "en"
    metadata: dict[str, Any] = field(default_factory=dict)
    ingested_at: datetime | None = None
    schema_version: int = ARTICLE_SCHEMA_VERSION

    @staticmethod
    def derive_id(url: str | None, title: str | None, text: str) -> str:
        return stable_id(url or "", title or "", text, prefix="a-", length=16)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Article":
        return cls(
            id=data.get("id") or cls.derive_id(data.get("url"), data.get("title"), data["text"]),
            text=data["text"],
            url=data.get("url"),
            source=data.get("source"),
            title=data.get("title"),
            language=data.get("language") or "en",
            metadata=dict(data.get("metadata") or {}),
            **_times(data, cls),
        )

    def ref(self) -> "ArticleRef":
        return ArticleRef(
            id=self.id,
            url=self.url,
            source=self.source,
            title=self.title,
            published_at=self.published_at,
            ingested_at=self.ingested_at,
        )


@dataclass(frozen=True)
class ArticleRef(_Record):
    """What an event or alert carries of its article: enough to link back."""

    id: str
    url: str | None = None
    source: str | None = None
    title: str | None = None
    published_at: datetime | None = None
    ingested_at: datetime | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "ArticleRef":
        return cls(
            id=data["id"],
            url=data.get("url"),
            source=data.get("source"),
            title=data.get("title"),
            **_times(data, cls),
        )


@dataclass(frozen=True)
class Actor(_Record):
    """Who acts or is acted upon.

    ``text`` is the words in the sentence ("the Kremlin"); ``name`` the
    canonical name when the gazetteer knows it ("Russia"); ``country`` an
    ISO-3166 alpha-3 code (or an IGO code such as NATO/EUR/UNO);
    ``sector`` a PLOVER-style sector (GOV, MIL, REB, IGO, ...).
    """

    text: str
    name: str | None = None
    country: str | None = None
    sector: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> "Actor | None":
        if not data:
            return None
        return cls(text=data.get("text") or "", name=data.get("name"),
                   country=data.get("country"), sector=data.get("sector"))


@dataclass(frozen=True)
class Place(_Record):
    text: str
    name: str | None = None
    country: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> "Place | None":
        if not data:
            return None
        return cls(text=data.get("text") or "", name=data.get("name"), country=data.get("country"))


@dataclass(frozen=True)
class Evidence(_Record):
    """One sentence that states the event, with character offsets into the article text."""

    sentence: str
    start: int
    end: int
    trigger_start: int | None = None
    trigger_end: int | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Evidence":
        return cls(sentence=data["sentence"], start=int(data["start"]), end=int(data["end"]),
                   trigger_start=data.get("trigger_start"), trigger_end=data.get("trigger_end"))


@dataclass(frozen=True)
class Context(_Record):
    """How the article states the event.

    A rule that wants real events filters out negated and hypothetical ones;
    ``reported_by`` names who claims it when the article attributes it.
    """

    negated: bool = False
    hypothetical: bool = False
    future: bool = False
    reported: bool = False
    reported_by: str | None = None
    historical: bool = False
    caption: bool = False

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> "Context":
        data = data or {}
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})


@dataclass(frozen=True)
class Event(_Record):
    """One PLOVER event found in an article.

    ``text`` repeats the first evidence sentence so rules and readers need
    not dig into ``evidence``. ``id`` is deterministic (article id, type,
    actors, place, trigger) so reprocessing an article yields the same ids.
    """

    id: str
    type: str
    article: ArticleRef
    text: str
    trigger: str
    mode: str | None = None
    actor: Actor | None = None
    recipient: Actor | None = None
    location: Place | None = None
    evidence: tuple[Evidence, ...] = ()
    context: Context = field(default_factory=Context)
    confidence: float = 0.5
    event_date: str | None = None
    extractor: str | None = None
    schema_version: int = EVENT_SCHEMA_VERSION

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Event":
        return cls(
            id=data["id"],
            type=data["type"],
            article=ArticleRef.from_dict(data["article"]),
            text=data.get("text") or "",
            trigger=data.get("trigger") or "",
            mode=data.get("mode"),
            actor=Actor.from_dict(data.get("actor")),
            recipient=Actor.from_dict(data.get("recipient")),
            location=Place.from_dict(data.get("location")),
            evidence=tuple(Evidence.from_dict(e) for e in data.get("evidence") or ()),
            context=Context.from_dict(data.get("context")),
            confidence=float(data.get("confidence", 0.5)),
            event_date=data.get("event_date"),
            extractor=data.get("extractor"),
        )

    @property
    def time(self) -> datetime | None:
        """Event time for windows: publication time, else ingestion time."""
        return self.article.published_at or self.article.ingested_at


@dataclass(frozen=True)
class Alert(_Record):
    """A rule match, published to the alerts topic.

    ``id`` is deterministic in the rule id and the alert's story key (for a
    ``match`` rule: the event's signature; for stateful kinds: group and
    window), so redelivery and further reports of the same story reuse it.
    ``revision`` rises each time the same alert is updated (more sources).
    """

    id: str
    rule_id: str
    rule_title: str
    severity: str
    kind: str
    summary: str
    evidence: str
    article: ArticleRef
    events: tuple[Event, ...] = ()
    group_key: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    sources: tuple[str, ...] = ()
    revision: int = 1
    published_at: datetime | None = None
    ingested_at: datetime | None = None
    alerted_at: datetime | None = None
    first_alerted_at: datetime | None = None
    schema_version: int = ALERT_SCHEMA_VERSION

    @property
    def source_count(self) -> int:
        return len(self.sources)

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["source_count"] = self.source_count
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Alert":
        return cls(
            id=data["id"],
            rule_id=data["rule_id"],
            rule_title=data.get("rule_title") or data["rule_id"],
            severity=data["severity"],
            kind=data.get("kind") or "match",
            summary=data.get("summary") or "",
            evidence=data.get("evidence") or "",
            article=ArticleRef.from_dict(data["article"]),
            events=tuple(Event.from_dict(e) for e in data.get("events") or ()),
            group_key=data.get("group_key"),
            labels=dict(data.get("labels") or {}),
            annotations=dict(data.get("annotations") or {}),
            sources=tuple(data.get("sources") or ()),
            revision=int(data.get("revision", 1)),
            **_times(data, cls),
        )


@dataclass(frozen=True)
class DeadLetter(_Record):
    """A rejected input message and why it was rejected.

    ``payload`` holds the start of the original bytes decoded as UTF-8 with
    replacement characters (``payload_truncated`` says if it was cut);
    topic/partition/offset point back at the original record.
    """

    reason: str
    detail: str
    topic: str
    partition: int
    offset: int
    payload: str
    payload_size: int
    payload_truncated: bool = False
    field: str | None = None
    key: str | None = None
    worker: str | None = None
    produced_at: datetime | None = None
    rejected_at: datetime | None = None
    schema_version: int = DEAD_LETTER_SCHEMA_VERSION

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "DeadLetter":
        names = {f.name for f in fields(cls)} - set(_time_fields(cls)) - {"schema_version"}
        return cls(**{k: data.get(k) for k in names}, **_times(data, cls))

