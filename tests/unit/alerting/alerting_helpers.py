"""Factories for rule tests: events with defaults, engines from YAML text (imported by the tests)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone
from typing import Any

from stream.alerting import Engine
from stream.alerting.loader import parse_sources
from stream.models import Actor, ArticleRef, Context, Event, Place

T0 = datetime(2025, 3, 15, 10, 0, tzinfo=timezone.utc)
_ids = itertools.count()


def at(minutes: float = 0, hours: float = 0, days: float = 0) -> datetime:
    return T0 + timedelta(minutes=minutes, hours=hours, days=days)


def make_event(type: str = "MOBILIZE", *, id: str | None = None, source: str | None = "reuters",
               published_at: datetime | None = T0, ingested_at: datetime | None = None,
               actor: str | None = "RUS", recipient: str | None = None, location: str | None = None,
               context: dict[str, Any] | None = None, article_id: str | None = None,
               url: str | None = None, **fields: Any) -> Event:
    n = next(_ids)
    return Event(
        id=id or f"ev-{n}", type=type, text=fields.pop("text", f"sentence {n}"),
        trigger=fields.pop("trigger", "trigger"),
        article=ArticleRef(id=article_id or f"a-{n}", source=source, url=url, title=f"title {n}",
                           published_at=published_at, ingested_at=ingested_at),
        actor=Actor(text=actor, name=fields.pop("actor_name", None), country=actor) if actor else None,
        recipient=Actor(text=recipient, country=recipient) if recipient else None,
        location=Place(text=location, country=location) if location else None,
        context=Context(**(context or {})), **fields)


def engine_from(text: str, name: str = "rules.yaml") -> Engine:
    ruleset, problems = parse_sources([(name, text)])
    assert ruleset is not None, "\n".join(map(str, problems))
    return Engine(ruleset)


def problems_of(text: str, name: str = "rules.yaml"):
    return parse_sources([(name, text)])[1]
