"""Checks on valid rules that are probably not what the author meant.

Kept apart from parsing: these never stop a rule set from loading; they
come out of ``sitrep rules check`` as warnings (likely mistakes) or infos.
"""

from __future__ import annotations

from typing import Iterable

from .errors import Location, Problems
from .limits import format_duration
from .rule import Rule

__all__ = ["lint_rules", "HIGH_CARDINALITY"]

HIGH_CARDINALITY = {"id", "text", "trigger", "article.id", "article.url", "article.title",
                    "article.published_at", "article.ingested_at", "evidence", "confidence"}


def lint_rules(rules: Iterable[Rule], problems: Problems) -> None:
    for rule in rules:
        loc = Location(rule.file, rule.line, rule.column)

        def warn(message: str, code: str) -> None:
            problems.add(message, loc, severity="warning", code=code, rule_id=rule.id)

        def info(message: str, code: str) -> None:
            problems.add(message, loc, severity="info", code=code, rule_id=rule.id)

        if "type" not in rule.predicate.anchors():
            warn("no event type constraint: the rule is checked against every event; "
                 "add e.g. type: MOBILIZE (or type: [AGREE, CONCEDE])", "no-type")
        for i, step in enumerate(rule.steps, 1):
            if "type" not in step.anchors():
                warn(f"sequence step {i} has no event type constraint", "no-type")
        if rule.kind != "match" and rule.suppress_for and rule.suppress_for < rule.window:
            warn(f"suppress_for ({format_duration(rule.suppress_for)}) is shorter than the window "
                 f"({format_duration(rule.window)}): an alert already stays open for its window, so "
                 "this only delays updates; use at least the window to space out new alerts",
                 "suppress-shorter-than-window")
        if rule.kind in ("new", "threshold", "spike", "sequence") and not rule.group_by:
            warn(f"{rule.kind} rule without group_by: all events form one group", "no-group-by")
        for part in rule.group_by:
            if part.path and ".".join(part.path) in HIGH_CARDINALITY:
                warn(f"group_by {part.source} has (nearly) one value per event: every event becomes "
                     "its own group, which defeats grouping and grows the state", "group-by-cardinality")
        if rule.kind == "threshold" and rule.count == 1:
            warn("threshold with count 1 fires on every event: use kind match", "threshold-one")
        if rule.kind == "spike" and rule.min_count is not None and rule.min_count < 2:
            warn("spike with min_count below 2: a single event after a quiet baseline is a spike",
                 "spike-min-count")
        if not rule.enabled:
            info("rule is disabled", "disabled")
        if not rule.description:
            info("no description: say what the alert means and what to do about it", "no-description")
