"""The ``Rule`` dataclass: a parsed, compiled rule, ready to evaluate.

``Rule.fingerprint`` covers only what gives stored state its meaning (kind,
conditions, grouping, windows): editing a title or an annotation keeps the
state of a rule, changing its condition discards it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from ..models import stable_id
from .errors import Location
from .fields import EventView
from .limits import format_duration
from .nodes import Node
from .templates import Template

__all__ = ["Rule", "GroupPart", "fingerprint", "SEVERITIES", "KINDS", "DEFAULT_MATCH_GROUP_BY"]

SEVERITIES = ("info", "low", "medium", "high", "critical")
KINDS = ("match", "threshold", "new", "spike", "sequence")
DEFAULT_MATCH_GROUP_BY = ("type", "actor.country", "recipient.country", "location.country")


@dataclass(frozen=True)
class GroupPart:
    """One part of a group key: a field path or a template."""

    source: str
    path: tuple[str, ...] | None = None
    template: Template | None = None

    def value(self, view: EventView) -> str:
        if self.template is not None:
            return self.template.render(view.get)
        value = view.get(self.path)  # type: ignore[arg-type]
        if value is None:
            return ""
        if isinstance(value, (list, dict)):
            return json.dumps(value, sort_keys=True, ensure_ascii=False)
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)


@dataclass(frozen=True, eq=False)
class Rule:
    id: str
    title: str
    severity: str
    kind: str
    predicate: Node
    description: str = ""
    enabled: bool = True
    tags: tuple[str, ...] = ()
    owner: str | None = None
    group_by: tuple[GroupPart, ...] = ()
    suppress_for: timedelta | None = None
    labels: dict[str, Template] = field(default_factory=dict)
    annotations: dict[str, Template] = field(default_factory=dict)
    max_age: timedelta | None = None
    window: timedelta = timedelta(days=1)
    max_events: int = 100
    count: int | None = None
    distinct: str | None = None
    lookback: timedelta | None = None
    baseline: timedelta | None = None
    factor: float | None = None
    min_count: int | None = None
    steps: tuple[Node, ...] = ()
    when: Node | None = None
    file: str | None = None
    line: int | None = None
    column: int | None = None
    fingerprint: str = ""

    def group_key(self, view: EventView) -> str:
        return "|".join(_escape(p.value(view)) for p in self.group_by)

    @property
    def location(self) -> Location:
        return Location(self.file, self.line, self.column)

    def retention(self) -> timedelta:
        """How long a group's state stays useful after its last update."""
        spans = [self.window, self.suppress_for or timedelta(0), self.lookback or timedelta(0)]
        if self.baseline:
            spans.append(self.window + self.baseline)
        return max(spans) + self.window

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id, "title": self.title, "severity": self.severity, "kind": self.kind,
            "enabled": self.enabled, "file": self.file, "line": self.line,
            "group_by": [p.source for p in self.group_by], "window": format_duration(self.window),
        }


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|")


def fingerprint(rule: Rule) -> str:
    def td(v: timedelta | None) -> Any:
        return None if v is None else v.total_seconds()
    body = {
        "kind": rule.kind, "when": rule.when.canonical() if rule.when else None,
        "steps": [s.canonical() for s in rule.steps], "group_by": [g.source for g in rule.group_by],
        "window": td(rule.window), "count": rule.count, "distinct": rule.distinct,
        "lookback": td(rule.lookback), "baseline": td(rule.baseline), "factor": rule.factor,
        "min_count": rule.min_count,
    }
    return stable_id(json.dumps(body, sort_keys=True, default=str), length=16)


