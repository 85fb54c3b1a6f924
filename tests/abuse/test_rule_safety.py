"""Rules cannot execute code or exhaust the worker.

* YAML is loaded safely: python tags are refused, nothing is constructed or run.
* Templates are sandboxed: calls, subscripts and attributes are refused at load;
  a dunder name is refused; a method name can only read event fields (it renders nothing).
* Regular expressions run on RE2 (linear time): a catastrophic backtracking
  pattern costs in proportion to the input, measured by comparing input sizes.
* Limits on rule count, file size, conditions and window state give clear errors
  and keep state bounded.
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from faultkit import report
from stream.alerting import Engine, Limits, Route, check_rules
from stream.alerting.templates import Template, TemplateError
from stream.models import Actor, ArticleRef, Event


def _load(tmp_path: Path, text: str, name: str = "rules.yaml", limits: Limits | None = None):
    path = tmp_path / name
    path.write_text(text)
    return check_rules(path, limits)


def _errors(problems) -> list[str]:
    return [p.message for p in problems if p.is_error]


def _event(i: int = 0, text: str = "Russian forces massed troops.", at: datetime | None = None,
           source: str = "example.org") -> Event:
    at = at or datetime(2025, 3, 15, tzinfo=timezone.utc)
    return Event(id=f"ev-{i}", type="MOBILIZE", text=text, trigger="massed",
                 article=ArticleRef(id=f"a-{i}", source=source, published_at=at),
                 actor=Actor(text="Russian", country="RUS"))


# ------------------------------------------------------------------ YAML
@pytest.mark.parametrize("payload", [
    "!!python/object/apply:os.system ['touch {marker}']",
    "!!python/object/new:subprocess.Popen [['touch', '{marker}']]",
    "!!python/name:os.system",
    "!!python/object:builtins.object {{}}",
    "!!binary aGVsbG8=",
    "!!set {{a: null}}",
])
def test_python_tags_are_refused_and_nothing_runs(tmp_path, payload):
    marker = tmp_path / "pwned"
    text = f"rules:\n  - id: evil\n    when: {payload.format(marker=marker)}\n"
    ruleset, problems = _load(tmp_path, text)
    assert ruleset is None
    errors = _errors(problems)
    assert errors and any("unsupported yaml tag" in e.lower() for e in errors), errors
    assert not marker.exists()
    top = f"{payload.format(marker=marker)}\n"
    assert _load(tmp_path, top, "top.yaml")[0] is None and not marker.exists()


def test_yaml_aliases_are_refused_so_no_billion_laughs(tmp_path):
    laughs = "lists:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"  {chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(8))
    started = time.perf_counter()
    ruleset, problems = _load(tmp_path, laughs)
    assert ruleset is None and any("alias" in m.lower() or "anchor" in m.lower() for m in _errors(problems))
    assert time.perf_counter() - started < 2


# ------------------------------------------------------------------ templates
@pytest.mark.parametrize("source", [
    "{{ actor.name() }}", "{{ evidence[0] }}", "{{ actor.name | upper() | __import__('os') }}",
    "{{ ''.join(x) }}", "{{ actor.name | format('%s') }}", "{{ lambda: 1 }}", "{{ actor.name + 1 }}",
    "{{ [c for c in x] }}", "{{ actor.name if x else y }}", "{{ actor.name | attr('__class__') }}",
    "{{ actor.__class__ }}", "{{ actor.name.__class__.__mro__ }}", "{{ rule.__init__.__globals__ }}",
    "{{ __import__ }}", "{{ article.__dict__ }}", "{{ text.__len__ }}",
])
def test_template_calls_subscripts_and_expressions_are_refused(tmp_path, source):
    with pytest.raises(TemplateError):
        Template(source)
    rule = f"rules:\n  - id: t\n    when: {{type: MOBILIZE}}\n    annotations:\n      summary: {source!r}\n"
    ruleset, problems = _load(tmp_path, rule)
    assert ruleset is None and _errors(problems), "refused when the rules load, with a reason"


@pytest.mark.parametrize("source", ["{{ actor.to_dict }}", "{{ text.upper }}", "{{ article.ref }}"])
def test_method_names_reach_no_python_object(tmp_path, source):
    """Names of methods parse as field paths (with an unknown-path warning), but only the event's
    fields are ever read, so they render as nothing. (Names with a leading underscore, such as
    dunders, do not even parse.)"""
    template = Template(source)
    assert template.unknown_paths(), "flagged as unknown fields in rules check"
    rule = (f"rules:\n  - id: t\n    when: {{type: MOBILIZE}}\n    group_by: [article.id]\n"
            f"    annotations:\n      summary: {source!r}\n")
    ruleset, problems = _load(tmp_path, rule)
    assert ruleset is not None, _errors(problems)
    assert any(not p.is_error for p in problems), "a warning names the unknown path"
    engine = Engine(ruleset)
    event = _event()
    [route] = engine.route(event)
    _, [alert] = engine.apply(route, event, None, datetime(2025, 3, 15, 1, tzinfo=timezone.utc))
    assert alert.annotations["summary"] == ""


# ------------------------------------------------------------------ regular expressions
# Not anchored at the end (RE2 would answer an end-anchored one from the end, at once).
CATASTROPHIC = "(a+)+b"


def _route_time(engine: Engine, text: str, repeat: int = 3) -> float:
    event = _event(text=text)
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        routes = engine.route(event)
        best = min(best, time.perf_counter() - started)
        assert routes == []  # "aaa...ac" never matches
    return best


def test_catastrophic_regex_is_linear_on_re2(tmp_path):
    rule = f"rules:\n  - id: redos\n    when: {{text: {{matches: {CATASTROPHIC!r}}}}}\n"
    ruleset, problems = _load(tmp_path, rule)
    assert ruleset is not None, _errors(problems)
    engine = Engine(ruleset)
    assert engine.route(_event(text="aaab")), "the rule does evaluate the pattern"
    sizes = [10_000, 100_000, 1_000_000]
    times = [_route_time(engine, "a" * n + "c") for n in sizes]
    # Python's backtracking engine on the same pattern: doubling per extra character.
    backtracking = []
    for n in (16, 18, 20):
        started = time.perf_counter()
        assert re.search(CATASTROPHIC, "a" * n + "c") is None
        backtracking.append(time.perf_counter() - started)
    report("regex-re2", {"sizes": sizes, "re2_ms": [round(t * 1000, 2) for t in times],
                         "python_re_ms_n16_18_20": [round(t * 1000, 1) for t in backtracking]})
    # Linear: 10x the input costs about 10x (generous bound 40x), never the 2**n of backtracking.
    assert times[1] / max(times[0], 1e-6) < 40 and times[2] / max(times[1], 1e-6) < 40, times
    assert times[2] < 5.0, "a megabyte of input is evaluated in well under a few seconds"
    assert backtracking[2] / max(backtracking[0], 1e-6) > 4, "the pattern is catastrophic for backtracking"


@pytest.mark.parametrize("pattern", [r"(a)\1", r"(?=a)", r"(?<=a)b", r"(?P<n>a)(?P=n)", "x" * 1001])
def test_unsupported_or_oversized_patterns_are_refused(tmp_path, pattern):
    rule = f"rules:\n  - id: re\n    when: {{text: {{matches: '{pattern}'}}}}\n"  # single quotes: \ is literal
    ruleset, problems = _load(tmp_path, rule)
    assert ruleset is None
    assert _errors(problems)


# ------------------------------------------------------------------ limits
def test_too_many_rules_is_a_clear_error(tmp_path):
    limits = Limits()
    text = "rules:\n" + "".join(f"  - {{id: r{i}, when: {{type: MOBILIZE}}}}\n" for i in range(limits.max_rules + 1))
    ruleset, problems = _load(tmp_path, text, limits=Limits(max_file_bytes=10_000_000))
    assert ruleset is None
    assert any(f"at most {limits.max_rules}" in m for m in _errors(problems)), _errors(problems)[:3]


def test_oversized_rule_file_is_a_clear_error(tmp_path):
    text = "rules: []\n# " + "x" * 1_000_001 + "\n"
    ruleset, problems = _load(tmp_path, text)
    assert ruleset is None and any("bytes" in m and "at most" in m for m in _errors(problems))


@pytest.mark.parametrize("fragment,expect", [
    ("window: 91d\n    kind: threshold\n    count: 2", "longer than the limit"),
    ("max_events: 5000\n    kind: threshold\n    count: 2\n    window: 1d", "1000"),
    ("group_by: [a, b, c, d, e, f, g]", "6"),
    ("annotations: {summary: '" + "x" * 2001 + "'}", "2000"),
])
def test_limits_on_windows_state_and_size_are_clear_errors(tmp_path, fragment, expect):
    text = f"rules:\n  - id: lim\n    when: {{type: MOBILIZE}}\n    {fragment}\n"
    ruleset, problems = _load(tmp_path, text)
    assert ruleset is None
    assert any(expect in m for m in _errors(problems)), _errors(problems)


def test_deep_conditions_are_a_clear_error(tmp_path):
    cond = "{type: MOBILIZE}"
    for _ in range(40):
        cond = "{not: " + cond + "}"
    ruleset, problems = _load(tmp_path, f"rules:\n  - id: deep\n    when: {cond}\n")
    assert ruleset is None and any("deep" in m or "32" in m for m in _errors(problems)), _errors(problems)


def test_window_state_stays_bounded_whatever_the_volume(tmp_path):
    """10,000 distinct events from 10,000 outlets into one group: the state stays small."""
    text = ("rules:\n  - id: many\n    kind: threshold\n    when: {type: MOBILIZE}\n    group_by: [actor.country]\n"
            "    count: 50\n    window: 30d\n    max_events: 50\n")
    ruleset, problems = _load(tmp_path, text)
    assert ruleset is not None, _errors(problems)
    engine = Engine(ruleset)
    start = datetime(2025, 3, 1, tzinfo=timezone.utc)
    state = None
    sizes = []
    for i in range(10_000):
        at = start + timedelta(seconds=i)
        state, _ = engine.apply(Route("many", "RUS"), _event(i, at=at, source=f"s{i}"), state,
                                at + timedelta(seconds=1))
        sizes.append(len(repr(state)))
    size = max(sizes)
    report("window-state-bound", {"events": 10_000, "state_chars_max": size, "state_chars_at_1000": sizes[999]})
    assert size < 3 * sizes[999], "no growth past the caps"
    assert size < 200_000, f"state grew to {size} characters"
