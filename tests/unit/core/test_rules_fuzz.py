"""Property-based fuzzing of the rule loader: random YAML text in, rules or reasons out.

Analysts write rule files by hand and the worker hot-reloads them, so the
loader meets every kind of mistake. For any text, ``check_rules`` must not
raise; a refused file must come with at least one error that has a message
(and ``load_rules`` must raise ``RuleError`` carrying them); an accepted file
yields an engine that can route an event.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import HealthCheck, example, given, settings, strategies as st

from stream.alerting import Engine, RuleError, check_rules, load_rules
from stream.models import Actor, ArticleRef, Event

REPO = Path(__file__).resolve().parents[3]
FUZZ = settings(max_examples=250, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

KEYS = ["id", "title", "severity", "kind", "when", "group_by", "window", "steps", "count", "distinct",
        "lookback", "baseline", "factor", "min_count", "labels", "annotations", "suppress_for", "max_age",
        "max_events", "enabled", "tags", "owner", "description"]
FIELDS = ["type", "actor.country", "mode", "text", "confidence", "context.negated", "macro", "all", "any",
          "not", "nope.field", "evidence.0.sentence", "dyad", "source"]
OPS = ["eq", "in", "not_in", "contains", "matches", "gt", "gte", "lt", "lte", "exists", "like", "list"]
scalars = (st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=True)
           | st.sampled_from(["MOBILIZE", "RUS", "(a+)+$", "[", "{{ actor.name }}", "{{ x.__class__ }}",
                              "{{ actor.name | upper(1) }}", "7d", "90s", "-1d", "999999w", "match", "new",
                              "sequence", "threshold", "spike", "high", "real_event", "(?P<x>", "\\", ""])
           | st.text(max_size=20))
conditions = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(FIELDS + OPS), inner, max_size=4),
    max_leaves=25)
rule = st.dictionaries(st.sampled_from(KEYS), conditions, max_size=10)
document = st.one_of(
    st.fixed_dictionaries({"rules": st.lists(rule, max_size=4)},
                          optional={"lists": st.dictionaries(st.text(max_size=8), st.lists(scalars, max_size=4),
                                                             max_size=3),
                                    "macros": st.dictionaries(st.sampled_from(["real_event", "m1", "m2"]),
                                                              conditions, max_size=3)}),
    st.lists(rule, max_size=3),
    conditions,
)
SHIPPED = sorted((REPO / "rules").glob("*.yaml"))


def _event() -> Event:
    return Event(id="ev-1", type="MOBILIZE", text="Russian forces massed troops.", trigger="massed",
                 article=ArticleRef(id="a-1", source="example.org"), actor=Actor(text="Russian", country="RUS"))


def _check(tmp_path: Path, text: str) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    ruleset, problems = check_rules(path)
    if ruleset is None:
        errors = [p for p in problems if p.is_error]
        assert errors, "a refused rule file names at least one error"
        assert all(p.message.strip() for p in errors), "every error says what is wrong"
        try:
            load_rules(path)
        except RuleError as exc:
            assert exc.problems and str(exc)
        else:  # pragma: no cover - a failure message
            raise AssertionError("load_rules accepted what check_rules refused")
    else:
        engine = Engine(ruleset)
        engine.route(_event(), on_error=lambda rule_id, exc: None)


@FUZZ
@given(st.text(max_size=400))
@example("")
@example("rules: !!python/object/apply:os.system ['true']")
@example("a: &a [*a]")
@example("rules:\n  - id: x\n    when: {type: MOBILIZE}\n  - id: x\n    when: {type: MOBILIZE}\n")
@example("rules:\n  - id: x\n    when: {text: {matches: '(a+)+$'}}\n")
@example("rules:\n  - id: x\n    when: {text: {matches: '(a)\\\\1'}}\n")
@example("\t- id")
@example("rules: [" * 200)
@example("%YAML 9.9\n---\nrules: []")
def test_random_text(tmp_path, text):
    _check(tmp_path, text)


@FUZZ
@given(document)
def test_random_rule_structures(tmp_path, doc):
    _check(tmp_path, yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))


@FUZZ
@given(st.sampled_from(SHIPPED), st.data())
def test_mutated_shipped_rule_files(tmp_path, shipped, data):
    lines = shipped.read_text().splitlines()
    for _ in range(data.draw(st.integers(1, 4))):
        if not lines:
            break
        i = data.draw(st.integers(0, len(lines) - 1))
        op = data.draw(st.sampled_from(["drop", "dup", "indent", "dedent", "cut"]))
        if op == "drop":
            del lines[i]
        elif op == "dup":
            lines.insert(i, lines[i])
        elif op == "indent":
            lines[i] = "  " + lines[i]
        elif op == "dedent":
            lines[i] = lines[i].lstrip()
        else:
            lines[i] = lines[i][: data.draw(st.integers(0, len(lines[i])))]
    _check(tmp_path, "\n".join(lines) + "\n")
