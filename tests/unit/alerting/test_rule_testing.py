"""The YAML rule-test runner and the rules CLI."""

import json
from pathlib import Path

from stream.alerting.testing import event_from_input, run_test_file, run_tests
from stream.cli import main
from stream.models import Article

from alerting_helpers import make_event

RULES = """
rules:
  - id: buildup
    description: d
    when: {type: MOBILIZE, context.negated: false}
    labels: {country: "{{ actor.country }}"}
"""


def layout(tmp_path: Path, tests: str, rules: str = RULES) -> Path:
    (tmp_path / "rules" / "tests").mkdir(parents=True)
    (tmp_path / "rules" / "r.yaml").write_text(rules)
    path = tmp_path / "rules" / "tests" / "t.yaml"
    path.write_text(tests)
    return path


PASSING = """
tests:
  - name: story
    events:
      - {at: 2025-03-15T10:00:00Z, type: MOBILIZE, actor: {text: Russia, country: RUS}, source: a}
      - {at: 2025-03-15T10:00:00Z, type: MOBILIZE, actor: {text: Russia, country: RUS}, source: a}
      - {at: 2025-03-15T11:00:00Z, type: MOBILIZE, actor: {text: Russia, country: RUS}, source: b}
    expect:
      - {rule: buildup, revision: 1, labels: {country: RUS}}
      - {rule: buildup, revision: 2, sources: [a, b], group_key: "MOBILIZE|RUS||"}
  - name: none
    events:
      - {at: 2025-03-15T10:00:00Z, type: MOBILIZE, context: {negated: true}}
    expect: []
"""


def test_partial_events_get_defaults_and_identical_inputs_the_same_id():
    item = {"at": "2025-03-15T10:00:00Z", "type": "MOBILIZE", "source": "ap", "actor": {"country": "RUS"}}
    a, b = event_from_input(item), event_from_input(dict(item))
    assert a.id == b.id and a.article.source == "ap" and a.actor.country == "RUS"
    assert a.time.isoformat() == "2025-03-15T10:00:00+00:00"
    assert event_from_input({**item, "source": "bbc"}).id != a.id


def test_passing_file(tmp_path):
    results = run_test_file(layout(tmp_path, PASSING))
    assert [(r.name, r.ok) for r in results] == [("story", True), ("none", True)]


def test_failures_are_readable(tmp_path):
    path = layout(tmp_path, PASSING.replace("revision: 2, sources: [a, b]", "revision: 2, sources: [a, c]")
                  .replace("expect: []", "expect:\n      - {rule: buildup}"))
    story, none = run_test_file(path)
    assert not story.ok and not none.ok
    assert story.failures[0].startswith("expected 1 alert(s) of buildup with revision=2, sources=['a', 'c']")
    assert any(f.startswith("unexpected alert: buildup rev 2") for f in story.failures)
    assert "alerts produced, in order:" in story.failures[-1]
    assert none.failures[0] == "expected 1 alert(s) of buildup, got 0"


def test_article_inputs_go_through_the_extractor(tmp_path):
    path = layout(tmp_path, """
tests:
  - name: from text
    articles:
      - {at: 2025-03-15T10:00:00Z, text: "Russia massed troops.", source: cbc}
    expect:
      - {rule: buildup, sources: [cbc]}
""")
    seen = []

    def fake_extract(article: Article):
        seen.append(article)
        return [make_event("MOBILIZE", source=article.source, published_at=article.published_at)]

    [result] = run_test_file(path, extract=fake_extract)
    assert result.ok, result.failures
    assert seen[0].text == "Russia massed troops."


def test_invalid_tests_are_reported(tmp_path):
    path = layout(tmp_path, """
tests:
  - name: typo
    events: [{at: 2025-03-15T10:00:00Z, type: MOBILIZE, actr: {country: RUS}}]
    expect: []
  - name: no expect
    events: []
  - name: unknown rule
    rules: [nope]
    expect: []
""")
    results = run_test_file(path)
    assert all(not r.ok for r in results)
    assert "unknown event field(s) actr" in results[0].failures[0]
    assert "missing 'expect'" in results[1].failures[0]
    assert "rule 'nope' is not loaded" in results[2].failures[0]


def test_broken_rule_files_fail_the_file(tmp_path):
    path = layout(tmp_path, PASSING, rules="rules:\n  - id: x\n")
    [result] = run_tests(path)
    assert not result.ok and "missing 'when'" in result.failures[0]


def test_cli_check_and_test(tmp_path, capsys):
    layout(tmp_path, PASSING)
    rules = tmp_path / "rules"
    assert main(["rules", "check", str(rules)]) == 0
    assert "1 rules (1 enabled) in 1 files: 0 errors, 0 warnings" in capsys.readouterr().out
    assert main(["rules", "test", str(rules / "tests")]) == 0
    assert capsys.readouterr().out.strip().endswith("2 passed, 0 failed")
    assert main(["rules", "test", "--rules", str(rules)]) == 0
    capsys.readouterr()

    (rules / "bad.yaml").write_text("rules:\n  - id: y\n    when: {type: {inn: [A]}}\n  - id: z\n")
    assert main(["rules", "check", str(rules)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert any(line.startswith(f"{rules / 'bad.yaml'}:3:") and "y: error: unknown operator 'inn'" in line
               for line in out)
    assert any(line.startswith(f"{rules / 'bad.yaml'}:4:5: z: error: missing 'when'") for line in out)
    assert main(["rules", "check", "--json", str(rules)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False and report["errors"] == 2
    assert {p["rule_id"] for p in report["problems"] if p["severity"] == "error"} == {"y", "z"}
    assert main(["rules", "test", str(rules / "tests")]) == 1
    assert "1 failed" in capsys.readouterr().out


def test_cli_check_strict_fails_on_warnings(tmp_path, capsys):
    layout(tmp_path, PASSING, rules="rules:\n  - id: a\n    description: d\n    when: {actor.country: RUS}\n")
    rules = tmp_path / "rules"
    assert main(["rules", "check", str(rules)]) == 0
    assert main(["rules", "check", "--strict", str(rules)]) == 1
    assert "no event type constraint" in capsys.readouterr().out
