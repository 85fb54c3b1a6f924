"""Rule errors that say where: file, line, column, rule id, and what is wrong.

Loading collects every problem instead of stopping at the first one, so an
analyst fixes a file in one pass. ``RuleProblem`` is one finding (error,
warning or info); ``RuleError`` carries the whole list when loading fails.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, replace
from typing import Any, Iterable

from ..errors import SitrepError

__all__ = ["RuleError", "RuleProblem", "Problems", "Location", "ERROR", "WARNING", "INFO", "closest",
           "describe"]

ERROR = "error"
WARNING = "warning"
INFO = "info"
_SEVERITY_ORDER = {ERROR: 0, WARNING: 1, INFO: 2}


@dataclass(frozen=True)
class Location:
    """Where a YAML node starts (1-based line and column)."""

    file: str | None = None
    line: int | None = None
    column: int | None = None


@dataclass(frozen=True)
class RuleProblem:
    """One thing wrong (or worth a look) in a rule file."""

    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    rule_id: str | None = None
    severity: str = ERROR
    code: str = "invalid"

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def where(self) -> str:
        parts = [self.file or "<rules>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def __str__(self) -> str:
        rule = f" {self.rule_id}:" if self.rule_id else ""
        return f"{self.where()}:{rule} {self.severity}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file, "line": self.line, "column": self.column, "rule_id": self.rule_id,
            "severity": self.severity, "code": self.code, "message": self.message,
        }

    def sort_key(self) -> tuple:
        return (self.file or "", self.line or 0, self.column or 0, _SEVERITY_ORDER.get(self.severity, 3))


class RuleError(SitrepError):
    """Rules could not be loaded (or a rule test file is wrong); ``problems`` lists why."""

    def __init__(self, problems: Iterable[RuleProblem] | str):
        if isinstance(problems, str):
            problems = [RuleProblem(problems)]
        self.problems = sorted(problems, key=RuleProblem.sort_key)
        errors = [p for p in self.problems if p.is_error] or self.problems
        head = str(errors[0]) if errors else "invalid rules"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(head + more)


class Problems:
    """A collector that knows the current file and rule, so call sites stay short."""

    def __init__(self, file: str | None = None, rule_id: str | None = None):
        self.items: list[RuleProblem] = []
        self.file = file
        self.rule_id = rule_id

    def add(self, message: str, loc: Location | None = None, *, severity: str = ERROR,
            code: str = "invalid", rule_id: str | None = None) -> None:
        loc = loc or Location(self.file)
        self.items.append(RuleProblem(
            message=message, file=loc.file or self.file, line=loc.line, column=loc.column,
            rule_id=rule_id if rule_id is not None else self.rule_id, severity=severity, code=code))

    def error(self, message: str, loc: Location | None = None, code: str = "invalid") -> None:
        self.add(message, loc, severity=ERROR, code=code)

    def warning(self, message: str, loc: Location | None = None, code: str = "lint") -> None:
        self.add(message, loc, severity=WARNING, code=code)

    def info(self, message: str, loc: Location | None = None, code: str = "lint") -> None:
        self.add(message, loc, severity=INFO, code=code)

    def extend(self, problems: Iterable[RuleProblem]) -> None:
        self.items.extend(problems)

    def for_rule(self, rule_id: str | None) -> "Problems":
        """A view writing into the same list with another rule id."""
        view = Problems(self.file, rule_id)
        view.items = self.items
        return view

    @property
    def errors(self) -> list[RuleProblem]:
        return [p for p in self.items if p.is_error]

    def has_errors(self) -> bool:
        return any(p.is_error for p in self.items)

    def sorted(self) -> list[RuleProblem]:
        return sorted(self.items, key=RuleProblem.sort_key)


def with_rule(problem: RuleProblem, rule_id: str) -> RuleProblem:
    return replace(problem, rule_id=rule_id)


def describe(value: Any) -> str:
    """How to name a wrong value in a message."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The likely intended word, for "did you mean ...?" hints."""
    found = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.7)
    return found[0] if found else None
