"""Hot reload: watch a rules path and swap in a new engine only when the new rules are valid.

``changed()`` is cheap (a stat of each file) so the app may poll it every
couple of seconds; ``reload()`` reads and checks everything and, on any
error, keeps the last good engine in force and reports every problem.

Change detection follows symbolic links: each file is identified by the
file it finally resolves to (real path, inode, size, times), not by the
link. A Kubernetes ConfigMap volume updates by writing a new
``..<timestamp>/`` directory and atomically re-pointing the ``..data`` link
at it; the visible ``rule.yaml -> ..data/rule.yaml`` links never change, but
their targets' real paths do, so the swap is noticed even when sizes and
modification times are equal. If the files change while they are being
read (a mix of old and new), ``reload()`` reads them again.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from .engine import Engine
from .errors import Location, Problems, RuleProblem
from .limits import Limits
from .loader import RuleSet, find_rule_files, parse_sources, read_sources

__all__ = ["RuleStore", "ReloadResult"]

READ_ATTEMPTS = 3


@dataclass(frozen=True)
class ReloadResult:
    """``ok``: the files on disk are valid and in force. ``changed``: the rule set in force changed.

    ``errors`` lists every error (empty when ok); ``warnings`` the lint findings;
    ``rules_loaded`` counts the enabled rules in force after the call.
    """

    ok: bool
    errors: list[RuleProblem] = field(default_factory=list)
    rules_loaded: int = 0
    changed: bool = False
    warnings: list[RuleProblem] = field(default_factory=list)


class RuleStore:
    """The rules under ``path`` (a file or a directory) and the engine for the last good set."""

    def __init__(self, path: str | os.PathLike, limits: Limits | None = None):
        self.path = Path(path)
        self.limits = limits or Limits()
        self._engine = Engine(limits=self.limits)
        self._lock = threading.Lock()
        self._seen_fingerprint: str | None = None
        self.last_result: ReloadResult | None = None

    @property
    def engine(self) -> Engine:
        """The engine in force: empty until the first successful ``reload()``."""
        return self._engine

    @property
    def ruleset(self) -> RuleSet:
        return self._engine.ruleset

    @property
    def fingerprint(self) -> str:
        """A cheap fingerprint of the file set on disk.

        Per file: its name, the real path it resolves to through links, and the
        inode, size, modification and change times of that real file.
        """
        h = hashlib.sha256()
        for f in find_rule_files(self.path):
            try:
                real = os.path.realpath(f)
                st = os.stat(real)
                ident = f"{real}\0{st.st_dev}\0{st.st_ino}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ctime_ns}"
            except OSError:
                ident = "unreadable"
            h.update(f"{f}\0{ident}\n".encode("utf-8", "surrogateescape"))
        return h.hexdigest()[:20]

    def changed(self) -> bool:
        """True if files were added, removed or modified since the last ``reload()``."""
        return self.fingerprint != self._seen_fingerprint

    def reload(self) -> ReloadResult:
        """Read and check every file; swap the engine only if there is no error."""
        with self._lock:
            problems = Problems()
            files, sources = self._snapshot(problems)
            if not files:
                what = "does not exist" if not self.path.exists() else "holds no *.yaml rule files"
                problems.error(f"{self.path} {what}", Location(str(self.path)), code="io")
                result = self._failed(problems.sorted())
            else:
                ruleset, items = parse_sources(sources, self.limits, problems)
                if ruleset is None:
                    result = self._failed(items)
                else:
                    warnings = [p for p in items if not p.is_error]
                    changed = ruleset.digest != self._engine.ruleset.digest
                    if changed:
                        self._engine = Engine(ruleset, self.limits)
                    result = ReloadResult(ok=True, errors=[], rules_loaded=len(self._engine.rules),
                                          changed=changed, warnings=warnings)
            self.last_result = result
            return result

    def _snapshot(self, problems: Problems) -> tuple[list[Path], list[tuple[str, str]]]:
        """The files and their texts, read again while they change under us (a few times at most).

        The fingerprint is taken before reading, so a change during the last
        attempt is still seen by the next ``changed()``.
        """
        for _ in range(READ_ATTEMPTS):
            before = self.fingerprint
            attempt = Problems()
            files = find_rule_files(self.path)
            sources = read_sources(files, attempt, self.limits)
            if self.fingerprint == before:
                break
        self._seen_fingerprint = before
        problems.items.extend(attempt.items)
        return files, sources

    def _failed(self, problems: list[RuleProblem]) -> ReloadResult:
        return ReloadResult(ok=False, errors=[p for p in problems if p.is_error],
                            rules_loaded=len(self._engine.rules), changed=False,
                            warnings=[p for p in problems if not p.is_error])
