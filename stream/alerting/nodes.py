"""Compiled conditions: a small tree of tests evaluated against an ``EventView``.

Nodes know three things: whether an event passes (``test``), which constant
values they pin fields to (``anchors``, for the rule index) and a canonical
form (for rule fingerprints). Regexes are RE2: linear time, no backtracking.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import re2

from .fields import split_path

__all__ = ["Node", "FieldTest", "All", "AnyOf", "Not", "OPERATORS", "compile_regex"]

OPERATORS = ("eq", "in", "not_in", "contains", "matches", "gt", "gte", "lt", "lte", "exists")


class Node:
    """A compiled condition: ``test(view)`` plus facts for the index and fingerprints."""

    def test(self, view) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def anchors(self) -> dict[str, frozenset]:
        """Fields this condition pins to constant values: every matching event has one of them."""
        return {}

    def canonical(self) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def paths(self) -> set[str]:
        return set()


@dataclass(eq=False)
class FieldTest(Node):
    path: str
    op: str
    operand: Any
    _key: tuple = field(init=False, repr=False)
    _fn: Callable[[Any], bool] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._key = split_path(self.path)
        self._fn = _make_test(self.op, self.operand)

    def test(self, view) -> bool:
        return self._fn(view.get(self._key))

    def anchors(self) -> dict[str, frozenset]:
        if self.op == "eq" and self.operand is not None and not isinstance(self.operand, bool):
            return {self.path: frozenset([self.operand])}
        if self.op == "in" and all(not isinstance(v, bool) and v is not None for v in self.operand):
            return {self.path: frozenset(self.operand)}
        return {}

    def canonical(self) -> Any:
        operand = self.operand
        if isinstance(operand, frozenset):
            operand = sorted(operand, key=repr)
        elif isinstance(operand, tuple):
            operand = list(operand)
        return ["field", self.path, self.op, operand]

    def paths(self) -> set[str]:
        return {self.path}


@dataclass(eq=False)
class All(Node):
    children: tuple[Node, ...]

    def test(self, view) -> bool:
        for child in self.children:
            if not child.test(view):
                return False
        return True

    def anchors(self) -> dict[str, frozenset]:
        out: dict[str, frozenset] = {}
        for child in self.children:
            for path, values in child.anchors().items():
                out[path] = out[path] & values if path in out else values
        return out

    def canonical(self) -> Any:
        return ["all", [c.canonical() for c in self.children]]

    def paths(self) -> set[str]:
        return set().union(*(c.paths() for c in self.children)) if self.children else set()


@dataclass(eq=False)
class AnyOf(Node):
    children: tuple[Node, ...]

    def test(self, view) -> bool:
        for child in self.children:
            if child.test(view):
                return True
        return False

    def anchors(self) -> dict[str, frozenset]:
        if not self.children:
            return {}
        per_child = [c.anchors() for c in self.children]
        common = set(per_child[0]).intersection(*per_child[1:])
        return {p: frozenset().union(*(a[p] for a in per_child)) for p in common}

    def canonical(self) -> Any:
        return ["any", [c.canonical() for c in self.children]]

    def paths(self) -> set[str]:
        return set().union(*(c.paths() for c in self.children)) if self.children else set()


@dataclass(eq=False)
class Not(Node):
    child: Node

    def test(self, view) -> bool:
        return not self.child.test(view)

    def canonical(self) -> Any:
        return ["not", self.child.canonical()]

    def paths(self) -> set[str]:
        return self.child.paths()


# ---------------------------------------------------------------- operators

def _any_of(value: Any, pred: Callable[[Any], bool]) -> bool:
    if isinstance(value, list):
        return any(pred(v) for v in value)
    return pred(value)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _make_test(op: str, operand: Any) -> Callable[[Any], bool]:
    if op == "eq":
        if operand is None:
            return lambda v: v is None
        return lambda v: _any_of(v, lambda x: _eq(x, operand))
    if op == "in":
        return lambda v: _any_of(v, lambda x: _hashable(x) and x in operand)
    if op == "not_in":
        return lambda v: not _any_of(v, lambda x: _hashable(x) and x in operand)
    if op == "contains":
        needles = tuple(n.casefold() for n in operand)
        return lambda v: _any_of(v, lambda x: isinstance(x, str) and any(n in x.casefold() for n in needles))
    if op == "matches":
        regexes = operand_regexes(operand)
        return lambda v: _any_of(v, lambda x: isinstance(x, str) and any(r.search(x) for r in regexes))
    if op in ("gt", "gte", "lt", "lte"):
        cmp = {"gt": lambda a: a > operand, "gte": lambda a: a >= operand,
               "lt": lambda a: a < operand, "lte": lambda a: a <= operand}[op]
        return lambda v: _any_of(v, lambda x: _number(x) and cmp(x))
    if op == "exists":
        return lambda v: (v is not None and v != "" and v != []) is operand
    raise ValueError(op)


def _eq(x: Any, operand: Any) -> bool:
    if isinstance(x, bool) or isinstance(operand, bool):
        return x is operand
    return x == operand


def _hashable(x: Any) -> bool:
    return not isinstance(x, (list, dict))


_REGEX_CACHE: dict[str, Any] = {}


def compile_regex(pattern: str):
    """Compile with RE2 (linear time, no backtracking); raises ValueError with RE2's reason."""
    cached = _REGEX_CACHE.get(pattern)
    if cached is not None:
        return cached
    options = re2.Options()
    options.log_errors = False
    try:
        compiled = re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise ValueError(str(reason)) from None
    if len(_REGEX_CACHE) < 10_000:
        _REGEX_CACHE[pattern] = compiled
    return compiled


def operand_regexes(operand: tuple[str, ...]) -> tuple:
    return tuple(compile_regex(p) for p in operand)
