"""What every kind shares: the evaluation context, stories, suppression, kept events.

A *story* is one alert in the making: its deterministic id, the window it
covers (``start`` .. ``until``, event time), its sources and revision. A
kind decides when a story opens; this module decides whether anything is
emitted: a new story unless the group is inside ``suppress_for``; an update
(revision + 1) only when a new source joins, held back as ``pending`` while
the group is inside ``suppress_for`` and emitted with the next event after.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ...models import Alert, Event, stable_id
from ..alerts import build_alert, from_ts, ts
from ..fields import EventView
from ..limits import Limits
from ..rule import Rule

__all__ = ["Ctx", "ALERT_EVENTS", "floor_ts"]

# Events carried on one alert (and kept in full in state for that purpose).
ALERT_EVENTS = 10


def floor_ts(t: float, span: timedelta) -> float:
    step = max(span.total_seconds(), 1.0)
    return (t // step) * step


@dataclass
class Ctx:
    rule: Rule
    group_key: str
    event: Event
    view: EventView
    t: float                       # event time, epoch seconds
    now: datetime
    state: dict[str, Any]
    limits: Limits
    source: str | None
    alerts: list[Alert] = field(default_factory=list)
    reason: str | None = None

    # ------------------------------------------------------------ suppression
    def suppressed(self) -> bool:
        last = self.state.get("last_alert_at")
        window = self.rule.suppress_for
        return bool(window and last is not None and ts(self.now) - last < window.total_seconds())

    # ------------------------------------------------------------ stories
    def open_story(self, start: float, until: float, sources: list[str] | None = None,
                   events: list[Event] | None = None, count: int | None = None) -> dict | None:
        """Open and emit a new story, unless the group is suppressed (then None)."""
        if self.suppressed():
            self.reason = "suppressed"
            return None
        story = {
            "id": stable_id(self.rule.id, self.group_key, from_ts(start).isoformat(), prefix="al-"),
            "start": start, "until": until, "rev": 0, "sources": [], "pending": False,
        }
        for src in sources or []:
            _add_source(story, src, self.limits.max_sources)
        _add_source(story, self.source, self.limits.max_sources)
        if count is not None:
            story["count"] = count
        self.emit(story, events)
        return story

    def update_story(self, story: dict, events: list[Event] | None = None, count: int | None = None) -> None:
        """The event belongs to an open story: revise it if it brings a new source."""
        grew = _add_source(story, self.source, self.limits.max_sources)
        if count is not None:
            story["count"] = count
        if not grew and not story.get("pending"):
            self.reason = "no_new_source"
            return
        if self.suppressed():
            story["pending"] = True
            self.reason = "suppressed"
            return
        self.emit(story, events)

    def emit(self, story: dict, events: list[Event] | None = None) -> None:
        now = ts(self.now)
        story["rev"] += 1
        story["pending"] = False
        story.setdefault("first_alerted_at", now)
        story["alerted_at"] = now
        self.state["last_alert_at"] = now
        self.alerts.append(build_alert(self.rule, self.group_key, story, self.event,
                                       events or [self.event], self.now, self.limits))

    # ------------------------------------------------------------ kept events
    def entry(self, **extra: Any) -> dict[str, Any]:
        """This event as kept in state: time, id, source, plus its dict for alerts."""
        data = self.event.to_dict()
        data["evidence"] = data["evidence"][:1]
        return {"t": self.t, "id": self.event.id, "src": self.source, "e": data, **extra}

    def keep(self, entries: list[dict], horizon: float, cap: int | None = None) -> list[dict]:
        """Sorted by time, older than ``horizon`` dropped, at most ``cap``, full dicts only for the newest."""
        entries = sorted((e for e in entries if e["t"] >= horizon), key=lambda e: (e["t"], e["id"]))
        cap = cap or self.rule.max_events
        if len(entries) > cap:
            entries = entries[-cap:]
        for e in entries[:-ALERT_EVENTS]:
            e.pop("e", None)
        return entries

    def events_of(self, entries: list[dict]) -> list[Event]:
        """Events for an alert: the kept ones (newest last) and always the current one."""
        out = []
        for e in entries[-ALERT_EVENTS:]:
            if e["id"] == self.event.id:
                out.append(self.event)
            elif "e" in e:
                out.append(Event.from_dict(e["e"]))
        if not any(ev.id == self.event.id for ev in out):
            out.append(self.event)
        return out[-ALERT_EVENTS:]

    def in_story(self, story: dict | None) -> bool:
        return story is not None and story["start"] <= self.t <= story["until"]


def _add_source(story: dict, source: str | None, cap: int) -> bool:
    if not source:
        return False
    folded = source.casefold()
    if any(s.casefold() == folded for s in story["sources"]):
        return False
    if len(story["sources"]) >= cap:
        return False
    story["sources"].append(source)
    return True
