"""Find the few rules an event can match without testing every rule.

Each rule is filed under the event types its condition requires (or under
"any type"), and within that under one more field it pins to constant
values (actor country, recipient country, location, mode, ...). An event
then costs two dictionary lookups per field in use, plus the predicates of
the rules that can really match: 1,000 rules about other types and
countries cost about what 10 rules do.
"""

from __future__ import annotations

from typing import Iterable

from .fields import EventView, path_kind, split_path
from .rule import Rule

__all__ = ["RuleIndex"]

# Preferred second-level fields, most selective first; other pinned fields follow.
SECONDARY = ("actor.country", "recipient.country", "location.country", "mode", "dyad",
             "actor.name", "recipient.name", "actor.sector", "recipient.sector", "source",
             "article.source")
_ANY = object()


class _Bucket:
    __slots__ = ("unanchored", "by_field")

    def __init__(self) -> None:
        self.unanchored: list[tuple[int, Rule]] = []
        self.by_field: dict[tuple[str, ...], dict[object, list[tuple[int, Rule]]]] = {}


class RuleIndex:
    """Rules filed by type and one more pinned field."""

    def __init__(self, rules: Iterable[Rule]):
        self._buckets: dict[object, _Bucket] = {}
        self.size = 0
        for position, rule in enumerate(rules):
            self._add(position, rule)
            self.size += 1

    def _add(self, position: int, rule: Rule) -> None:
        anchors = {p: v for p, v in rule.predicate.anchors().items()
                   if p == "type" or path_kind(p) in ("text", "number", "bool")}
        types = anchors.pop("type", None) or [_ANY]
        secondary = _pick_secondary(anchors)
        for t in types:
            bucket = self._buckets.setdefault(t, _Bucket())
            if secondary is None:
                bucket.unanchored.append((position, rule))
                continue
            by_value = bucket.by_field.setdefault(split_path(secondary), {})
            for value in anchors[secondary]:
                by_value.setdefault(value, []).append((position, rule))

    def candidates(self, view: EventView) -> list[Rule]:
        """Rules whose pinned fields fit the event (their full predicate still has to hold)."""
        found: list[tuple[int, Rule]] = []
        for key in (view.get(("type",)), _ANY):
            bucket = self._buckets.get(key) if _hashable(key) else None
            if bucket is None:
                continue
            found.extend(bucket.unanchored)
            for path, by_value in bucket.by_field.items():
                value = view.get(path)
                if _hashable(value):
                    hits = by_value.get(value)
                    if hits:
                        found.extend(hits)
        if len(found) > 1:
            found.sort(key=lambda item: item[0])
        return [rule for _, rule in found]

    def stats(self) -> dict[str, int]:
        """How rules are spread, for benchmarks and debugging."""
        anchored = sum(len(v) for b in self._buckets.values() for d in b.by_field.values() for v in d.values())
        unanchored = sum(len(b.unanchored) for b in self._buckets.values())
        return {"rules": self.size, "buckets": len(self._buckets), "anchored_entries": anchored,
                "unanchored_entries": unanchored}


def _pick_secondary(anchors: dict[str, frozenset]) -> str | None:
    for path in SECONDARY:
        if path in anchors and anchors[path]:
            return path
    rest = sorted(p for p, v in anchors.items() if v)
    return rest[0] if rest else None


def _hashable(value: object) -> bool:
    return value is not None and not isinstance(value, (list, dict))
