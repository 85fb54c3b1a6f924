"""Silences: mute matching alerts for a while, like Alertmanager's.

A silence names a rule (or None for any rule) and matchers ``field=value``
(exact), ``field!=value``, ``field=~regex`` or ``field!~regex`` (RE2, whole
value). A field is looked up, in this order: ``labels.X`` / ``annotations.X``
/ ``alert.X`` / ``event.X`` when prefixed; otherwise an alert label of that
name, else an alert field (rule_id, severity, kind, group_key, id), else a
field of the alert's first event (``actor.country``, ``article.source``...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

from ..models import Alert, format_time, parse_time, stable_id
from .fields import EventView, split_path
from .nodes import compile_regex

__all__ = ["Silence", "Matcher", "silenced_by", "MATCH_OPS"]

MATCH_OPS = ("=", "!=", "=~", "!~")
_MATCHER = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_.]*)\s*(=~|!~|!=|=)(.*)$")
_ALERT_FIELDS = ("rule_id", "severity", "kind", "group_key", "id", "rule_title", "summary")


@dataclass(frozen=True)
class Matcher:
    field: str
    value: str
    op: str = "="

    def __post_init__(self) -> None:
        if self.op not in MATCH_OPS:
            raise ValueError(f"matcher operator must be one of {', '.join(MATCH_OPS)}, got {self.op!r}")
        if self.op in ("=~", "!~"):
            try:
                compile_regex(_anchored(self.value))
            except ValueError as exc:
                raise ValueError(f"invalid regular expression {self.value!r}: {exc}") from None

    @classmethod
    def parse(cls, text: str) -> "Matcher":
        """``actor.country=RUS``, ``labels.team!=europe``, ``article.source=~(?i)reuters|ap``."""
        m = _MATCHER.match(text)
        if not m:
            raise ValueError(f"a matcher looks like field=value, field!=value or field=~regex, not {text!r}")
        value = m.group(3).strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        return cls(m.group(1), value, m.group(2))

    def matches(self, alert: Alert, view: EventView | None) -> bool:
        actual = _lookup(alert, view, self.field)
        text = "" if actual is None else (str(actual).lower() if isinstance(actual, bool) else str(actual))
        if self.op in ("=", "!="):
            hit = text == self.value
        else:
            hit = compile_regex(_anchored(self.value)).search(text) is not None
        return hit if self.op in ("=", "=~") else not hit

    def __str__(self) -> str:
        return f"{self.field}{self.op}{self.value}"

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "op": self.op, "value": self.value}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | str) -> "Matcher":
        if isinstance(data, str):
            return cls.parse(data)
        return cls(str(data["field"]), str(data.get("value", "")), str(data.get("op", "=")))


def _anchored(pattern: str) -> str:
    return f"^(?:{pattern})$"


def _lookup(alert: Alert, view: EventView | None, name: str) -> Any:
    prefix, _, rest = name.partition(".")
    if prefix == "labels" and rest:
        return alert.labels.get(rest)
    if prefix == "annotations" and rest:
        return alert.annotations.get(rest)
    if prefix == "alert" and rest:
        return getattr(alert, rest, None) if rest in _ALERT_FIELDS else None
    if prefix == "event" and rest:
        return view.get(split_path(rest)) if view else None
    if name in alert.labels:
        return alert.labels[name]
    if name in _ALERT_FIELDS:
        return getattr(alert, name)
    return view.get(split_path(name)) if view else None


@dataclass(frozen=True)
class Silence:
    """Mute alerts of ``rule_id`` (None: any rule) whose fields meet every matcher, in [starts_at, ends_at)."""

    id: str
    starts_at: datetime
    ends_at: datetime
    rule_id: str | None = None
    matchers: tuple[Matcher, ...] = ()
    comment: str = ""
    created_by: str = ""
    created_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.ends_at <= self.starts_at:
            raise ValueError("a silence must end after it starts")
        if self.rule_id is None and not self.matchers:
            raise ValueError("a silence needs a rule id or at least one matcher (it would mute everything)")

    @classmethod
    def create(cls, *, starts_at: datetime, ends_at: datetime, rule_id: str | None = None,
               matchers: Iterable[Matcher | str] = (), comment: str = "", created_by: str = "",
               created_at: datetime | None = None) -> "Silence":
        """A new silence with an id derived from its content (so a retried create is idempotent)."""
        ms = tuple(m if isinstance(m, Matcher) else Matcher.parse(m) for m in matchers)
        created_at = created_at or starts_at
        sid = stable_id(rule_id, *map(str, ms), format_time(starts_at), format_time(ends_at), created_by,
                        format_time(created_at), prefix="sil-", length=16)
        return cls(id=sid, starts_at=starts_at, ends_at=ends_at, rule_id=rule_id, matchers=ms,
                   comment=comment, created_by=created_by, created_at=created_at)

    def active(self, now: datetime) -> bool:
        now = now if now.tzinfo else now.replace(tzinfo=timezone.utc)
        return self.starts_at <= now < self.ends_at

    def matches(self, alert: Alert, view: EventView | None = None) -> bool:
        """Does this silence cover the alert (ignoring time)?"""
        if self.rule_id is not None and self.rule_id != alert.rule_id:
            return False
        if view is None and alert.events:
            view = EventView(alert.events[0])
        return all(m.matches(alert, view) for m in self.matchers)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "rule_id": self.rule_id, "matchers": [m.to_dict() for m in self.matchers],
            "starts_at": format_time(self.starts_at), "ends_at": format_time(self.ends_at),
            "comment": self.comment, "created_by": self.created_by, "created_at": format_time(self.created_at),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Silence":
        starts, ends = parse_time(data.get("starts_at")), parse_time(data.get("ends_at"))
        if starts is None or ends is None:
            raise ValueError("a silence needs starts_at and ends_at")
        return cls(id=str(data["id"]), starts_at=starts, ends_at=ends, rule_id=data.get("rule_id"),
                   matchers=tuple(Matcher.from_dict(m) for m in data.get("matchers") or ()),
                   comment=data.get("comment") or "", created_by=data.get("created_by") or "",
                   created_at=parse_time(data.get("created_at")))


def silenced_by(alert: Alert, silences: Iterable[Silence], now: datetime) -> Silence | None:
    """The first active silence covering ``alert`` (None: deliver it)."""
    view = EventView(alert.events[0]) if alert.events else None
    for silence in silences:
        if silence.active(now) and silence.matches(alert, view):
            return silence
    return None
