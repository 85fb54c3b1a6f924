"""Rule files -> a checked ``RuleSet``, with every problem of every file at once.

A rules path is a file or a directory searched recursively for ``*.yaml`` and
``*.yml``; directories named ``tests`` (rule unit tests) and hidden entries
are skipped. A file holds one or more YAML documents, each a mapping with any
of ``rules`` (a list), ``lists`` and ``macros`` (shared by all files).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from .errors import Location, Problems, RuleError, RuleProblem
from .limits import Limits
from .predicates import Compiler, MacroDef
from .rule import Rule
from .schema import parse_rule
from .yamlsrc import key_loc, load_documents, loc_of

__all__ = ["RuleSet", "find_rule_files", "check_rules", "load_rules", "parse_sources", "read_sources"]

_TOP_KEYS = ("rules", "lists", "macros")
_SCALARS = (str, int, float, bool)


@dataclass(frozen=True)
class RuleSet:
    """A loaded, valid set of rules (disabled ones included) and its warnings."""

    rules: tuple[Rule, ...] = ()
    problems: tuple[RuleProblem, ...] = ()
    files: tuple[str, ...] = ()
    lists: dict[str, tuple] = field(default_factory=dict)
    macros: tuple[str, ...] = ()
    digest: str = ""

    @property
    def enabled(self) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.enabled)

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)

    def ids(self) -> list[str]:
        return [r.id for r in self.rules]


def find_rule_files(path: str | os.PathLike) -> list[Path]:
    """The rule files under ``path`` in a stable order: each directory's files, then its subdirectories.

    Only real rule files count: ``*.yaml``/``*.yml`` entries that are regular
    files once symbolic links are followed. Skipped: hidden entries (which
    covers the ``..data`` link and the ``..<timestamp>`` directories of a
    Kubernetes ConfigMap volume), directories named ``tests``, and dangling
    links (a ConfigMap key that was just removed). Linked directories are
    followed, each real directory at most once.
    """
    root = Path(path)
    if root.is_file():
        return [root]
    if not root.is_dir():
        return []
    found: list[Path] = []
    visited: set[str] = set()

    def walk(directory: Path) -> None:
        real = os.path.realpath(directory)
        if real in visited:  # a link loop, or the same directory linked twice
            return
        visited.add(real)
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError:
            return
        subdirs = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_dir():  # follows links
                    if entry.name != "tests":
                        subdirs.append(Path(entry.path))
                elif entry.name.endswith((".yaml", ".yml")) and entry.is_file():  # False when dangling
                    found.append(Path(entry.path))
            except OSError:
                continue
        for sub in subdirs:
            walk(sub)

    walk(root)
    return found


def read_sources(files: Iterable[Path], problems: Problems, limits: Limits) -> list[tuple[str, str]]:
    """(display name, text) of each file; unreadable or oversized files become problems."""
    out = []
    files = list(files)
    if len(files) > limits.max_files:
        problems.error(f"{len(files)} rule files; at most {limits.max_files} are allowed", code="limit")
        files = files[: limits.max_files]
    for f in files:
        name = str(f)
        try:
            size = f.stat().st_size
            if size > limits.max_file_bytes:
                problems.error(f"file is {size} bytes; at most {limits.max_file_bytes} are allowed",
                               Location(name), code="limit")
                continue
            out.append((name, f.read_bytes().decode("utf-8")))
        except UnicodeDecodeError as exc:
            problems.error(f"file is not UTF-8 text ({exc.reason} at byte {exc.start})", Location(name),
                           code="encoding")
        except OSError as exc:
            problems.error(f"cannot read file: {exc.strerror or exc}", Location(name), code="io")
    return out


def digest_of(sources: list[tuple[str, str]]) -> str:
    h = hashlib.sha256()
    for name, text in sources:
        h.update(name.encode("utf-8") + b"\0" + text.encode("utf-8") + b"\0")
    return h.hexdigest()[:20]


def parse_sources(sources: list[tuple[str, str]], limits: Limits | None = None,
                  problems: Problems | None = None) -> tuple[RuleSet | None, list[RuleProblem]]:
    """Parse, compile and lint; returns (RuleSet or None when there are errors, all problems)."""
    from .lint import lint_rules

    limits = limits or Limits()
    problems = problems or Problems()
    raw_rules: list[tuple[str, Any]] = []
    lists: dict[str, tuple] = {}
    list_locs: dict[str, Location | None] = {}
    macros: dict[str, MacroDef] = {}
    for name, text in sources:
        fp = Problems(name)
        fp.items = problems.items
        for doc in load_documents(text, name, fp, limits):
            _collect(doc, name, fp, raw_rules, lists, list_locs, macros, limits)

    compiler = Compiler(lists, macros, problems, limits)
    for macro_name, definition in macros.items():
        compiler.macro(macro_name, definition.loc)
    rules: list[Rule] = []
    first_seen: dict[str, Location] = {}
    if len(raw_rules) > limits.max_rules:
        problems.error(f"{len(raw_rules)} rules; at most {limits.max_rules} are allowed", code="limit")
        raw_rules = raw_rules[: limits.max_rules]
    for name, raw in raw_rules:
        rp = Problems(name)
        rp.items = problems.items
        rule_id = raw.get("id") if isinstance(raw, dict) else None
        duplicate = isinstance(rule_id, str) and rule_id in first_seen
        if duplicate:
            first = first_seen[rule_id]
            problems.add(f"duplicate rule id {rule_id!r} (first defined in {first.file}:{first.line})",
                         loc_of(raw), rule_id=rule_id, code="duplicate-id")
        elif isinstance(rule_id, str):
            first_seen[rule_id] = loc_of(raw) or Location(name)
        rule = parse_rule(raw, compiler, rp, limits)
        if rule is not None and not duplicate:
            rules.append(rule)
    lint_rules(rules, problems)
    items = problems.sorted()
    if problems.has_errors():
        return None, items
    return RuleSet(rules=tuple(rules), problems=tuple(items), files=tuple(n for n, _ in sources),
                   lists=lists, macros=tuple(sorted(macros)), digest=digest_of(sources)), items


def _collect(doc: Any, name: str, p: Problems, raw_rules: list, lists: dict, list_locs: dict,
             macros: dict, limits: Limits) -> None:
    if isinstance(doc, list):
        doc = {"rules": doc}
    if not isinstance(doc, dict):
        p.error("a rule file holds a mapping with 'rules:' (and optionally 'lists:' and 'macros:')",
                loc_of(doc) or Location(name))
        return
    for key in doc:
        if key not in _TOP_KEYS:
            hint = " (rules go in a list under 'rules:')" if key in ("id", "when", "kind") else ""
            p.error(f"unknown top-level key {key!r}; expected {', '.join(_TOP_KEYS)}{hint}",
                    key_loc(doc, key), code="unknown-key")
    rules = doc.get("rules", [])
    if rules is None:
        rules = []
    if not isinstance(rules, list):
        p.error("'rules' must be a list of rules (each starting with '- id: ...')", loc_of(doc, "rules"))
    else:
        raw_rules.extend((name, r) for r in rules)
    for section, target in (("lists", lists), ("macros", macros)):
        block = doc.get(section) or {}
        if not isinstance(block, dict):
            p.error(f"'{section}' must be a mapping of names to definitions", loc_of(doc, section))
            continue
        for item_name, body in block.items():
            where = key_loc(block, item_name)
            if item_name in target:
                first = list_locs.get(f"{section}:{item_name}")
                at = f" (first defined in {first.file}:{first.line})" if first else ""
                p.error(f"{section[:-1]} {item_name!r} is defined twice{at}", where, code="duplicate-id")
                continue
            list_locs[f"{section}:{item_name}"] = where
            if section == "macros":
                target[item_name] = MacroDef(item_name, body, loc_of(block, item_name))
                continue
            if not isinstance(body, list) or not all(isinstance(v, _SCALARS) for v in body):
                p.error(f"list {item_name!r} must be a list of plain values", loc_of(block, item_name))
                continue
            if len(body) > limits.max_list_items:
                p.error(f"list {item_name!r} has {len(body)} values; at most {limits.max_list_items} "
                        "are allowed", loc_of(block, item_name), code="limit")
                continue
            target[item_name] = tuple(body)


def check_rules(path: str | os.PathLike, limits: Limits | None = None
                ) -> tuple[RuleSet | None, list[RuleProblem]]:
    """Load and lint everything under ``path``; never raises for bad rules."""
    limits = limits or Limits()
    problems = Problems()
    files = find_rule_files(path)
    if not files:
        what = "does not exist" if not Path(path).exists() else "holds no *.yaml rule files"
        problems.error(f"{path} {what}", Location(str(path)), code="io")
        return None, problems.sorted()
    sources = read_sources(files, problems, limits)
    return parse_sources(sources, limits, problems)


def load_rules(path: str | os.PathLike, limits: Limits | None = None) -> RuleSet:
    """Load the rules under ``path`` or raise ``RuleError`` listing every error."""
    ruleset, problems = check_rules(path, limits)
    if ruleset is None:
        raise RuleError(problems)
    return ruleset
