"""The condition language: parse a YAML condition into a tree of tests, once.

A condition is a mapping whose entries must all hold. Each entry is a field
test (``actor.country: RUS``, ``confidence: {gte: 0.7}``), a combinator
(``all``/``any``/``not``) or a shared macro (``macro: real_event``); a list
means ``all`` and a bare word names a macro. Problems are reported with the
location of the offending YAML node; the result is a tree of ``nodes``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .errors import Location, Problems, closest, describe
from .fields import EVENT_TYPES, is_known_path, path_kind
from .limits import Limits
from .nodes import OPERATORS, All, AnyOf, FieldTest, Node, Not, compile_regex
from .yamlsrc import YList, key_loc, loc_of

__all__ = ["Compiler", "MacroDef", "COMBINATORS"]

COMBINATORS = ("all", "any", "not", "macro")
_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$")
_SCALARS = (str, int, float, bool, type(None))


# ---------------------------------------------------------------- compiler

@dataclass
class MacroDef:
    name: str
    body: Any
    loc: Location | None


class Compiler:
    """Turns located YAML conditions into nodes, reporting problems with locations.

    ``lists`` maps a list name to its values; ``macros`` a macro name to its
    definition. A macro is compiled once and shared by every rule using it;
    its own problems are reported once, at its definition.
    """

    def __init__(self, lists: dict[str, tuple], macros: dict[str, MacroDef], problems: Problems,
                 limits: Limits | None = None):
        self.lists = lists
        self.macros = macros
        self.problems = problems
        self.limits = limits or Limits()
        self._macro_nodes: dict[str, Node | None] = {}
        self._stack: list[str] = []
        self._count = 0

    # -- entry points
    def compile(self, raw: Any, loc: Location | None, problems: Problems | None = None) -> Node | None:
        """Compile one condition (a rule's ``when`` or a step); None if it is broken."""
        saved = self.problems
        if problems is not None:
            self.problems = problems
        self._count = 0
        before = len(self.problems.errors)
        try:
            node = self._cond(raw, loc, 0)
        finally:
            self.problems = saved
        target = problems if problems is not None else saved
        if self._count > self.limits.max_condition_nodes:
            target.error(f"condition has {self._count} tests; at most "
                         f"{self.limits.max_condition_nodes} are allowed", loc, code="limit")
            return None
        return node if len(target.errors) == before else None

    def macro(self, name: str, loc: Location | None) -> Node | None:
        if name in self._macro_nodes:
            return self._macro_nodes[name]
        definition = self.macros.get(name)
        if definition is None:
            known = ", ".join(sorted(self.macros)) or "none defined"
            self.problems.error(f"unknown macro {name!r} (known: {known})", loc, code="unknown-macro")
            return None
        if name in self._stack:
            chain = " -> ".join(self._stack[self._stack.index(name):] + [name])
            self.problems.error(f"macro {name!r} uses itself ({chain})", loc, code="macro-cycle")
            return None
        self._stack.append(name)
        macro_problems = self.problems.for_rule(f"macro {name}")
        saved, self.problems = self.problems, macro_problems
        try:
            before = len(macro_problems.errors)
            node = self._cond(definition.body, definition.loc, 0)
            node = node if len(macro_problems.errors) == before else None
        finally:
            self.problems = saved
            self._stack.pop()
        self._macro_nodes[name] = node
        return node

    # -- the grammar
    def _cond(self, raw: Any, loc: Location | None, depth: int) -> Node | None:
        if depth > self.limits.max_condition_depth:
            self.problems.error(f"condition nested deeper than {self.limits.max_condition_depth} levels",
                                loc, code="limit")
            return None
        if isinstance(raw, str):
            return self.macro(raw, loc)
        if isinstance(raw, list):
            return self._group(All, raw, loc, depth, "all")
        if not isinstance(raw, dict):
            self.problems.error("a condition must be a mapping such as {type: MOBILIZE}, a list of "
                                f"conditions or a macro name, not {describe(raw)}", loc)
            return None
        if not raw:
            self.problems.error("empty condition: give at least one test", loc)
            return None
        parts: list[Node | None] = []
        for key, value in raw.items():
            kloc, vloc = key_loc(raw, key), loc_of(raw, key)
            if key == "all":
                parts.append(self._group(All, value, vloc, depth, "all"))
            elif key == "any":
                parts.append(self._group(AnyOf, value, vloc, depth, "any"))
            elif key == "not":
                child = self._cond(value, vloc, depth + 1)
                parts.append(Not(child) if child is not None else None)
            elif key == "macro":
                names = value if isinstance(value, list) else [value]
                if not names or not all(isinstance(n, str) for n in names):
                    self.problems.error("macro: expects the name of a macro (or a list of names)", vloc)
                    parts.append(None)
                    continue
                nodes = [self.macro(n, loc_of(value, i, vloc) if isinstance(value, list) else vloc)
                         for i, n in enumerate(names)]
                if any(n is None for n in nodes):
                    parts.append(None)
                else:
                    parts.append(nodes[0] if len(nodes) == 1 else All(tuple(nodes)))  # type: ignore[arg-type]
            elif key in OPERATORS:
                self.problems.error(f"{key!r} is an operator: write it under a field, e.g. "
                                    f"actor.country: {{{key}: ...}}", kloc, code="unknown-key")
                parts.append(None)
            else:
                parts.append(self._field(key, value, kloc, vloc))
        if any(p is None for p in parts):
            return None
        return parts[0] if len(parts) == 1 else All(tuple(parts))  # type: ignore[arg-type]

    def _group(self, cls, raw: Any, loc: Location | None, depth: int, name: str) -> Node | None:
        if not isinstance(raw, list) or not raw:
            self.problems.error(f"{name}: expects a non-empty list of conditions", loc)
            return None
        children = [self._cond(item, loc_of(raw, i, loc), depth + 1) for i, item in enumerate(raw)]
        if any(c is None for c in children):
            return None
        if len(children) == 1:
            return children[0]
        return cls(tuple(children))

    def _field(self, path: str, raw: Any, kloc: Location | None, vloc: Location | None) -> Node | None:
        if not _PATH.match(path):
            self.problems.error(f"{path!r} is not a field path (expected names joined by dots, "
                                "e.g. actor.country)", kloc, code="bad-path")
            return None
        if not is_known_path(path):
            self.problems.warning(f"unknown field {path!r}: events have no such field, so this test "
                                  "sees a missing value", kloc, code="unknown-field")
        if isinstance(raw, dict) and not _is_list_ref(raw):
            if not raw:
                self.problems.error(f"{path}: empty test; give an operator such as eq or in", vloc)
                return None
            tests = []
            for op, operand in raw.items():
                if op not in OPERATORS:
                    hint = closest(op, OPERATORS)
                    self.problems.error(f"unknown operator {op!r} for {path}"
                                        + (f" (did you mean {hint!r}?)" if hint else "")
                                        + f"; operators: {', '.join(OPERATORS)}",
                                        key_loc(raw, op), code="unknown-operator")
                    tests.append(None)
                    continue
                tests.append(self._test(path, op, operand, loc_of(raw, op, vloc)))
            if any(t is None for t in tests):
                return None
            return tests[0] if len(tests) == 1 else All(tuple(tests))  # type: ignore[arg-type]
        if isinstance(raw, list) or _is_list_ref(raw):
            return self._test(path, "in", raw, vloc)
        return self._test(path, "eq", raw, vloc)

    def _test(self, path: str, op: str, operand: Any, loc: Location | None) -> Node | None:
        self._count += 1
        kind = path_kind(path)
        if op == "eq":
            if not isinstance(operand, _SCALARS):
                self.problems.error(f"{path}: eq expects one value, not {describe(operand)}", loc)
                return None
            self._check_type(path, kind, [operand], loc)
            return FieldTest(path, op, operand)
        if op in ("in", "not_in", "contains", "matches"):
            values = self._values(path, op, operand, loc)
            if values is None:
                return None
            if op in ("contains", "matches") and not all(isinstance(v, str) for v in values):
                self.problems.error(f"{path}: {op} expects text", loc)
                return None
            if op == "matches":
                for pattern in values:
                    if len(pattern) > self.limits.max_pattern_length:
                        self.problems.error(f"{path}: pattern is {len(pattern)} characters long; at most "
                                            f"{self.limits.max_pattern_length} are allowed", loc, code="limit")
                        return None
                    try:
                        compile_regex(pattern)
                    except ValueError as exc:
                        self.problems.error(f"{path}: invalid regular expression {pattern!r}: {exc} "
                                            "(RE2 syntax: no backreferences or lookaround)", loc,
                                            code="bad-regex")
                        return None
                return FieldTest(path, op, tuple(values))
            if op == "contains":
                return FieldTest(path, op, tuple(values))
            self._check_type(path, kind, values, loc)
            return FieldTest(path, op, frozenset(values))
        if op in ("gt", "gte", "lt", "lte"):
            if not _is_number(operand):
                self.problems.error(f"{path}: {op} expects a number, not {describe(operand)}", loc)
                return None
            if kind not in (None, "number"):
                self.problems.warning(f"{path} is not a number, so {op} never matches", loc,
                                      code="type-mismatch")
            return FieldTest(path, op, operand)
        if op == "exists":
            if not isinstance(operand, bool):
                self.problems.error(f"{path}: exists expects true or false", loc)
                return None
            return FieldTest(path, op, operand)
        raise AssertionError(op)

    def _values(self, path: str, op: str, operand: Any, loc: Location | None) -> list | None:
        items = [operand] if (not isinstance(operand, list) and (op in ("contains", "matches")
                                                                  or _is_list_ref(operand))) else operand
        if not isinstance(items, list):
            self.problems.error(f"{path}: {op} expects a list such as [RUS, BLR] or {{list: name}}", loc)
            return None
        out: list = []
        for i, item in enumerate(items):
            if _is_list_ref(item):
                name = item["list"]
                if name not in self.lists:
                    known = ", ".join(sorted(self.lists)) or "none defined"
                    self.problems.error(f"unknown list {name!r} (known: {known})",
                                        loc_of(items, i, loc) if isinstance(items, YList) else loc,
                                        code="unknown-list")
                    return None
                out.extend(self.lists[name])
            elif isinstance(item, _SCALARS):
                out.append(item)
            else:
                self.problems.error(f"{path}: {op} values must be plain values, not {describe(item)}",
                                    loc_of(items, i, loc) if isinstance(items, YList) else loc)
                return None
        if not out:
            self.problems.warning(f"{path}: {op} has no values", loc, code="empty-list")
        if len(out) > self.limits.max_list_items:
            self.problems.error(f"{path}: {op} has {len(out)} values; at most "
                                f"{self.limits.max_list_items} are allowed", loc, code="limit")
            return None
        return out

    def _check_type(self, path: str, kind: str | None, values: list, loc: Location | None) -> None:
        if kind == "text":
            odd = [v for v in values if isinstance(v, (bool, int, float))]
            if odd:
                hint = (" (YAML reads yes/no/on/off/true/false as booleans: quote the word)"
                        if any(isinstance(v, bool) for v in odd) else " (quote it to compare text)")
                self.problems.warning(f"{path} is text but is compared with {odd[0]!r}{hint}", loc,
                                      code="type-mismatch")
            if path == "type":
                unknown = [v for v in values if isinstance(v, str) and v not in EVENT_TYPES]
                if unknown:
                    hint = closest(unknown[0].upper(), EVENT_TYPES)
                    self.problems.warning(f"unknown event type {unknown[0]!r}"
                                          + (f" (did you mean {hint}?)" if hint else "")
                                          + f"; PLOVER types: {', '.join(sorted(EVENT_TYPES))}",
                                          loc, code="unknown-type")
        elif kind == "bool" and any(not isinstance(v, bool) and v is not None for v in values):
            self.problems.warning(f"{path} is true or false but is compared with {values[0]!r}", loc,
                                  code="type-mismatch")


def _is_list_ref(raw: Any) -> bool:
    return isinstance(raw, dict) and set(raw) == {"list"} and isinstance(raw["list"], str)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)
