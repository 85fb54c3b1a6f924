"""Evaluate events against a rule set: ``route`` (stateless) then ``apply`` (per group).

``route(event)`` says which rules match and under which group key; the app
re-keys each match by ``Route.key`` so one worker sees all events of a
group. ``apply(route, event, state, now)`` is a pure function of its
arguments: it returns the group's new state (plain JSON-able data, bounded)
and the alerts to publish. It never mutates the state passed in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, MutableMapping

from ..models import Alert, Event
from .alerts import ts
from .fields import EventView, event_time, source_of
from .index import RuleIndex
from .kinds import KIND_APPLY, Ctx
from .limits import Limits
from .loader import RuleSet
from .rule import Rule

__all__ = ["Engine", "Route", "Outcome", "STATE_VERSION", "state_expired"]

STATE_VERSION = 1


@dataclass(frozen=True)
class Route:
    """A rule matched an event; ``group_key`` names the group whose state it updates."""

    rule_id: str
    group_key: str

    @property
    def key(self) -> str:
        """The key for the matches topic and the state table: ``"<rule id>|<group key>"``."""
        return f"{self.rule_id}|{self.group_key}"

    @classmethod
    def from_key(cls, key: str) -> "Route":
        rule_id, _, group_key = key.partition("|")
        return cls(rule_id, group_key)


@dataclass(frozen=True)
class Outcome:
    """What ``apply`` did: new state, alerts, and why there was no alert (if there was none).

    ``reason`` is None when alerts were produced, else one of: duplicate (event id
    seen before), no_new_source, suppressed, too_old, late, below_threshold,
    seen_before, no_spike, incomplete, rule_removed.
    """

    state: dict[str, Any] | None
    alerts: list[Alert] = field(default_factory=list)
    reason: str | None = None


def state_expired(state: dict[str, Any] | None, now: datetime) -> bool:
    """True once a group's state can be deleted (nothing in it can matter any more)."""
    if not state:
        return True
    return float(state.get("expires_at", 0)) < ts(_utc(now))


def _utc(now: datetime) -> datetime:
    return now if now.tzinfo else now.replace(tzinfo=timezone.utc)


class Engine:
    """The enabled rules of one rule set, indexed for routing."""

    def __init__(self, ruleset: RuleSet | None = None, limits: Limits | None = None):
        self.ruleset = ruleset or RuleSet()
        self.limits = limits or Limits()
        self._rules: dict[str, Rule] = {r.id: r for r in self.ruleset.rules if r.enabled}
        self.index = RuleIndex(self._rules.values())

    @property
    def rules(self) -> tuple[Rule, ...]:
        return tuple(self._rules.values())

    def rule(self, rule_id: str) -> Rule:
        """The enabled rule with this id (KeyError if there is none)."""
        return self._rules[rule_id]

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._rules

    # ------------------------------------------------------------------ routing
    def route(self, event: Event, on_error: Callable[[str, Exception], None] | None = None) -> list[Route]:
        """Rules whose condition holds for ``event``, with the event's group key for each."""
        view = EventView(event)
        routes = []
        for rule in self.index.candidates(view):
            try:
                if rule.predicate.test(view):
                    routes.append(Route(rule.id, rule.group_key(view)))
            except Exception as exc:  # a rule must never stop the others
                if on_error is None:
                    raise
                on_error(rule.id, exc)
        return routes

    # ------------------------------------------------------------------ state
    def apply(self, route: Route, event: Event, state: dict[str, Any] | None,
              now: datetime) -> tuple[dict[str, Any] | None, list[Alert]]:
        """New state (None: delete it) and alerts for one routed event."""
        outcome = self.evaluate(route, event, state, now)
        return outcome.state, outcome.alerts

    def evaluate(self, route: Route, event: Event, state: dict[str, Any] | None,
                 now: datetime) -> Outcome:
        """``apply`` with the reason when nothing is alerted (for metrics and ``rules test``)."""
        now = _utc(now)
        rule = self._rules.get(route.rule_id)
        if rule is None:
            return Outcome(None, [], "rule_removed")
        t = event_time(event, now)
        if rule.max_age is not None and now - t > rule.max_age:
            return Outcome(state, [], "too_old")
        current = self._usable(state, rule, route)
        if event.id in current["seen"]:
            return Outcome(state, [], "duplicate")
        ctx = Ctx(rule=rule, group_key=route.group_key, event=event, view=EventView(event), t=ts(t),
                  now=now, state=current, limits=self.limits, source=source_of(event))
        KIND_APPLY[rule.kind](ctx)
        seen = current["seen"]
        seen.append(event.id)
        if len(seen) > self.limits.max_seen_ids:
            del seen[: len(seen) - self.limits.max_seen_ids]
        current["expires_at"] = ts(now + rule.retention())
        return Outcome(current, ctx.alerts, None if ctx.alerts else ctx.reason)

    def _usable(self, state: dict[str, Any] | None, rule: Rule, route: Route) -> dict[str, Any]:
        """A private copy of the state, or a fresh one if absent or made by another rule version."""
        if state and state.get("v") == STATE_VERSION and state.get("rule") == rule.fingerprint:
            return json.loads(json.dumps(state))
        return {"v": STATE_VERSION, "rule": rule.fingerprint, "kind": rule.kind, "group": route.group_key,
                "seen": [], "last_alert_at": None}

    # ------------------------------------------------------------------ convenience
    def process(self, event: Event, states: MutableMapping[str, dict[str, Any]], now: datetime,
                rules: Iterable[str] | None = None) -> list[Alert]:
        """Route and apply in one process, with states in a dict keyed by ``Route.key``.

        For tests, ``rules test`` and backtests; the streaming app splits the two steps.
        """
        wanted = set(rules) if rules is not None else None
        alerts: list[Alert] = []
        for route in self.route(event):
            if wanted is not None and route.rule_id not in wanted:
                continue
            new_state, produced = self.apply(route, event, states.get(route.key), now)
            if new_state is None:
                states.pop(route.key, None)
            else:
                states[route.key] = new_state
            alerts.extend(produced)
        return alerts
