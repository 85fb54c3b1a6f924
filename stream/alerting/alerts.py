"""Build an ``Alert`` from a rule, its story record and the events behind it.

Labels and annotations are rendered here from the event that raised or
updated the alert, plus ``rule.*`` and ``alert.*`` values. The summary is
the ``summary`` annotation when the rule has one, else a plain sentence.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Sequence

from ..models import Alert, Event
from .fields import EventView
from .limits import Limits
from .rule import Rule

__all__ = ["build_alert", "default_summary", "ts", "from_ts"]


def ts(value: datetime) -> float:
    """Epoch seconds with millisecond precision, as kept in state."""
    return round(value.timestamp(), 3)


def from_ts(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, tz=timezone.utc)


def _actor(a) -> str:
    if a is None:
        return ""
    return a.name or a.text or a.country or ""


def default_summary(rule: Rule, event: Event, story: dict[str, Any]) -> str:
    actor = _actor(event.actor) or "someone"
    text = f"{rule.title}: {actor} {event.type}"
    if event.recipient is not None:
        text += f" {_actor(event.recipient)}"
    if event.location is not None:
        text += f" in {event.location.name or event.location.text}"
    n = len(story.get("sources") or [])
    if n > 1:
        text += f" ({n} sources)"
    return text


def build_alert(rule: Rule, group_key: str, story: dict[str, Any], event: Event,
                events: Sequence[Event], now: datetime, limits: Limits) -> Alert:
    view = EventView(event)
    extra = {
        ("rule", "id"): rule.id, ("rule", "title"): rule.title, ("rule", "severity"): rule.severity,
        ("rule", "kind"): rule.kind, ("rule", "owner"): rule.owner, ("rule", "description"): rule.description,
        ("alert", "count"): story.get("count", len(events)), ("alert", "sources"): list(story["sources"]),
        ("alert", "source_count"): len(story["sources"]), ("alert", "revision"): story["rev"],
        ("alert", "group_key"): group_key,
        ("alert", "window_start"): from_ts(story["start"]).isoformat().replace("+00:00", "Z"),
    }

    def lookup(path: tuple[str, ...]) -> Any:
        if path in extra:
            return extra[path]
        return view.get(path)

    labels = {k: t.render(lookup, limits.max_rendered_length) for k, t in rule.labels.items()}
    annotations = {k: t.render(lookup, limits.max_rendered_length) for k, t in rule.annotations.items()}
    summary = annotations.get("summary") or default_summary(rule, event, story)
    return Alert(
        id=story["id"], rule_id=rule.id, rule_title=rule.title, severity=rule.severity, kind=rule.kind,
        summary=summary, evidence=event.text, article=event.article, events=tuple(events),
        group_key=group_key, labels=labels, annotations=annotations, sources=tuple(story["sources"]),
        revision=story["rev"], published_at=event.article.published_at,
        ingested_at=event.article.ingested_at, alerted_at=now,
        first_alerted_at=from_ts(story.get("first_alerted_at")) or now,
    )
