"""Errors of the extraction package."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import SitrepError

__all__ = ["LexiconError", "Problem"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a data file, located so a linguist can fix it without reading Python."""

    file: str
    line: int
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field + ': ' if self.field else ''}{self.message}"


class LexiconError(SitrepError):
    """The trigger lexicon, cue lists or gazetteer files are invalid; lists every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        lines = "\n  ".join(str(p) for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in extraction data files:\n  {lines}")
