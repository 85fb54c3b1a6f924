"""Parse rules from located YAML into ``Rule`` objects, reporting every problem.

Parsing checks every key of a rule and reports all problems with their
location; it compiles conditions and templates once, so evaluation never
parses anything.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from .errors import Location, Problems, closest
from .fields import is_known_path, path_kind, split_path
from .limits import DurationError, Limits, format_duration, parse_duration
from .nodes import All, AnyOf, Node
from .predicates import Compiler
from .rule import DEFAULT_MATCH_GROUP_BY, KINDS, SEVERITIES, GroupPart, Rule, fingerprint
from .templates import Template, TemplateError
from .yamlsrc import key_loc, loc_of

__all__ = ["parse_rule", "template", "ALL_KEYS"]

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")

_COMMON = {"id", "title", "description", "severity", "enabled", "tags", "owner", "kind", "when",
           "group_by", "suppress_for", "labels", "annotations", "max_age"}
# key -> kinds that use it
_KIND_KEYS = {
    "window": set(KINDS),
    "max_events": {"threshold", "spike", "sequence"},
    "count": {"threshold"},
    "distinct": {"threshold"},
    "lookback": {"new"},
    "baseline": {"spike"},
    "factor": {"spike"},
    "min_count": {"spike"},
    "steps": {"sequence"},
}
ALL_KEYS = _COMMON | set(_KIND_KEYS)


# ---------------------------------------------------------------- parsing

class _Reader:
    """Typed access to a rule mapping that records problems at the right spot."""

    def __init__(self, raw: dict, problems: Problems, limits: Limits):
        self.raw = raw
        self.p = problems
        self.limits = limits

    def loc(self, key: str) -> Location | None:
        return loc_of(self.raw, key)

    def text(self, key: str, default: str | None = None, *, required: bool = False) -> str | None:
        if key not in self.raw:
            if required:
                self.p.error(f"missing {key!r}", loc_of(self.raw), code="missing")
            return default
        value = self.raw[key]
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            self.p.error(f"{key} must be text", self.loc(key))
            return default
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self.raw.get(key, default)
        if not isinstance(value, bool):
            self.p.error(f"{key} must be true or false", self.loc(key))
            return default
        return value

    def duration(self, key: str, maximum: timedelta | None = None) -> timedelta | None:
        if key not in self.raw:
            return None
        try:
            value = parse_duration(self.raw[key])
        except DurationError as exc:
            self.p.error(f"{key}: {exc}", self.loc(key))
            return None
        if value <= timedelta(0):
            self.p.error(f"{key} must be longer than 0", self.loc(key))
            return None
        if maximum is not None and value > maximum:
            self.p.error(f"{key} {format_duration(value)} is longer than the limit of "
                         f"{format_duration(maximum)}", self.loc(key), code="limit")
            return None
        return value

    def number(self, key: str, *, integer: bool, minimum: float, maximum: float | None = None) -> Any:
        if key not in self.raw:
            return None
        value = self.raw[key]
        ok = isinstance(value, int) if integer else isinstance(value, (int, float))
        if isinstance(value, bool) or not ok:
            self.p.error(f"{key} must be a {'whole ' if integer else ''}number", self.loc(key))
            return None
        if value < minimum or (maximum is not None and value > maximum):
            bounds = f"at least {minimum}" + (f" and at most {maximum}" if maximum is not None else "")
            self.p.error(f"{key} must be {bounds} (got {value})", self.loc(key), code="limit")
            return None
        return value

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.raw.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.p.error(f"{key} must be a list of text", self.loc(key))
            return ()
        return tuple(value)

    def templates(self, key: str) -> dict[str, Template]:
        value = self.raw.get(key, {})
        if not isinstance(value, dict):
            self.p.error(f"{key} must be a mapping of names to text", self.loc(key))
            return {}
        if len(value) > self.limits.max_labels:
            self.p.error(f"{key} has {len(value)} entries; at most {self.limits.max_labels} are allowed",
                         self.loc(key), code="limit")
        out = {}
        for name, source in value.items():
            if isinstance(source, (int, float, bool)):
                source = str(source).lower() if isinstance(source, bool) else str(source)
            tmpl = template(source, loc_of(value, name), self.p, self.limits, f"{key}.{name}")
            if tmpl is not None:
                out[name] = tmpl
        return out


def template(source: Any, loc: Location | None, problems: Problems, limits: Limits,
             what: str) -> Template | None:
    try:
        tmpl = Template(source, limits.max_template_length)
    except TemplateError as exc:
        col = loc.column + exc.offset if loc and loc.column is not None and "\n" not in str(source) else None
        where = Location(loc.file, loc.line, col if col is not None else loc.column) if loc else None
        problems.error(f"{what}: template error: {exc}", where, code="template")
        return None
    for path in tmpl.unknown_paths():
        problems.warning(f"{what}: template reads unknown field {path!r}", loc, code="unknown-field")
    return tmpl


def parse_rule(raw: Any, compiler: Compiler, problems: Problems, limits: Limits) -> Rule | None:
    """Build one rule; every problem goes to ``problems``; None if it has errors."""
    if not isinstance(raw, dict):
        problems.error("each rule must be a mapping with at least id and when", loc_of(raw))
        return None
    rule_id = raw.get("id")
    p = problems.for_rule(rule_id if isinstance(rule_id, str) else None)
    before = len(p.errors)
    r = _Reader(raw, p, limits)
    if "id" not in raw:
        p.error("rule has no id: give it a unique, stable id such as troop-buildup", loc_of(raw),
                code="missing")
    elif not isinstance(rule_id, str) or not _ID.match(rule_id):
        hint = (" (YAML read this as true/false or a number: put the id in quotes)"
                if not isinstance(rule_id, str) else "")
        p.error("id must be 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit"
                + hint, r.loc("id"))
    for key in raw:
        if key not in ALL_KEYS:
            hint = closest(key, sorted(ALL_KEYS))
            p.error(f"unknown key {key!r}" + (f" (did you mean {hint!r}?)" if hint else ""),
                    key_loc(raw, key), code="unknown-key")
    kind = r.text("kind", "match")
    if kind not in KINDS:
        p.error(f"kind must be one of {', '.join(KINDS)} (got {kind!r})", r.loc("kind"))
        kind = "match"
    for key, kinds in _KIND_KEYS.items():
        if key in raw and kind not in kinds:
            p.error(f"{key} is only used by {' and '.join(sorted(kinds))} rules, not {kind}",
                    key_loc(raw, key), code="unknown-key")
    severity = r.text("severity", "medium")
    if severity not in SEVERITIES:
        p.error(f"severity must be one of {', '.join(SEVERITIES)} (got {severity!r})", r.loc("severity"))

    when = None
    if "when" in raw:
        when = compiler.compile(raw["when"], r.loc("when"), p)
    elif kind != "sequence":
        p.error("missing 'when': the condition an event must meet", loc_of(raw), code="missing")
    steps: tuple[Node, ...] = ()
    if kind == "sequence":
        steps = _steps(raw, r, compiler, p, limits)

    window = r.duration("window", limits.max_window)
    if window is None and kind in ("threshold", "spike", "sequence") and "window" not in raw:
        p.error(f"{kind} rules need a window, e.g. window: 6h", loc_of(raw), code="missing")
    count = r.number("count", integer=True, minimum=1, maximum=limits.max_events_kept)
    if kind == "threshold" and "count" not in raw:
        p.error("threshold rules need a count, e.g. count: 3", loc_of(raw), code="missing")
    distinct = r.text("distinct")
    if distinct is not None and not is_known_path(distinct):
        p.warning(f"distinct: unknown field {distinct!r}", r.loc("distinct"), code="unknown-field")
    lookback = r.duration("lookback", limits.max_lookback)
    if kind == "new" and "lookback" not in raw:
        p.error("new rules need a lookback, e.g. lookback: 30d", loc_of(raw), code="missing")
    baseline = r.duration("baseline", limits.max_window)
    factor = r.number("factor", integer=False, minimum=1.0, maximum=1000.0)
    min_count = r.number("min_count", integer=True, minimum=1, maximum=100_000)
    if kind == "spike":
        if "baseline" not in raw:
            p.error("spike rules need a baseline window, e.g. baseline: 7d", loc_of(raw), code="missing")
        if window and baseline and baseline < window:
            p.error("baseline must be at least as long as window", r.loc("baseline"))
        if window and baseline and baseline / window > limits.max_spike_buckets // 4:
            p.error(f"baseline is more than {limits.max_spike_buckets // 4} times the window; "
                    "use a longer window", r.loc("baseline"), code="limit")
    max_events = r.number("max_events", integer=True, minimum=1, maximum=limits.max_events_kept)
    max_events = max_events or limits.default_events_kept
    if count and count > max_events:
        p.error(f"count {count} is more than the events a group keeps (max_events {max_events}); "
                f"raise max_events (at most {limits.max_events_kept})", r.loc("count"), code="limit")

    group_by = _group_by(raw, r, p, limits, kind)
    rule_title = r.text("title", rule_id if isinstance(rule_id, str) else "")
    labels, annotations = r.templates("labels"), r.templates("annotations")
    suppress_for = r.duration("suppress_for", limits.max_lookback)
    max_age = r.duration("max_age", limits.max_lookback)
    enabled, tags, owner = r.boolean("enabled", True), r.strings("tags"), r.text("owner")
    description = r.text("description", "") or ""
    if len(p.errors) > before or (when is None and kind != "sequence"):
        return None
    predicate = _route_predicate(when, steps)
    defaults = {"match": timedelta(days=1), "new": timedelta(days=1)}
    loc = loc_of(raw) or Location()
    rule = Rule(
        id=rule_id, title=rule_title or rule_id, severity=severity or "medium", kind=kind,
        predicate=predicate, when=when, description=description, enabled=enabled, tags=tags,
        owner=owner, group_by=group_by, suppress_for=suppress_for, labels=labels,
        annotations=annotations, max_age=max_age,
        window=window or defaults.get(kind, timedelta(days=1)), max_events=max_events, count=count,
        distinct=distinct, lookback=lookback, baseline=baseline,
        factor=float(factor) if factor is not None else (3.0 if kind == "spike" else None),
        min_count=min_count if min_count is not None else (3 if kind == "spike" else None),
        steps=steps, file=loc.file, line=loc.line, column=loc.column,
    )
    if len(p.errors) > before:
        return None
    object.__setattr__(rule, "fingerprint", fingerprint(rule))
    return rule


def _steps(raw: dict, r: _Reader, compiler: Compiler, p: Problems, limits: Limits) -> tuple[Node, ...]:
    steps = raw.get("steps")
    if not isinstance(steps, list) or len(steps) < 2:
        p.error("sequence rules need steps: a list of at least two conditions, in order",
                r.loc("steps") if "steps" in raw else loc_of(raw), code="missing")
        return ()
    if len(steps) > limits.max_steps:
        p.error(f"sequence has {len(steps)} steps; at most {limits.max_steps} are allowed",
                r.loc("steps"), code="limit")
        return ()
    nodes = [compiler.compile(step, loc_of(steps, i), p) for i, step in enumerate(steps)]
    return tuple(nodes) if all(n is not None for n in nodes) else ()


def _group_by(raw: dict, r: _Reader, p: Problems, limits: Limits, kind: str) -> tuple[GroupPart, ...]:
    if "group_by" not in raw:
        return tuple(GroupPart(s, split_path(s)) for s in DEFAULT_MATCH_GROUP_BY) if kind == "match" else ()
    value = raw["group_by"]
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        p.error("group_by must be a list of field paths (or templates)", r.loc("group_by"))
        return ()
    if len(value) > limits.max_group_by:
        p.error(f"group_by has {len(value)} parts; at most {limits.max_group_by} are allowed",
                r.loc("group_by"), code="limit")
    parts = []
    for i, item in enumerate(value):
        loc = loc_of(value, i)
        if not isinstance(item, str) or not item.strip():
            p.error("group_by entries must be field paths such as actor.country", loc)
            continue
        if "{{" in item:
            tmpl = template(item, loc, p, limits, "group_by")
            if tmpl is not None:
                parts.append(GroupPart(item, template=tmpl))
            continue
        if not is_known_path(item):
            p.warning(f"group_by: unknown field {item!r} (every event gets an empty value)", loc,
                      code="unknown-field")
        elif path_kind(item) in ("list", "object"):
            p.warning(f"group_by: {item} is a {path_kind(item)}, not a single value", loc,
                      code="group-by-type")
        parts.append(GroupPart(item, split_path(item)))
    return tuple(parts)


def _route_predicate(when: Node | None, steps: tuple[Node, ...]) -> Node:
    if not steps:
        return when  # type: ignore[return-value]
    any_step = AnyOf(steps)
    return All((when, any_step)) if when is not None else any_step
