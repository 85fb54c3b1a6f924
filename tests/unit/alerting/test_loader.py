"""Loading: all problems at once with file:line:col, limits, shared lists and macros, lint."""

from pathlib import Path

import pytest

from stream.alerting import RuleError, check_rules, load_rules
from stream.alerting.limits import Limits
from stream.alerting.loader import find_rule_files, parse_sources

from alerting_helpers import problems_of


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def errors(problems):
    return [p for p in problems if p.is_error]


def test_every_error_of_every_file_is_reported_with_location(tmp_path):
    write(tmp_path, "a.yaml", "rules:\n  - id: one\n    when: {type: MOBILIZE}\n    severity: urgent\n")
    write(tmp_path, "b.yaml", "rules:\n  - id: two\n    kind: threshold\n    when: {type: ASSAULT}\n"
                              "    count: 0\n    windw: 6h\n")
    write(tmp_path, "sub/c.yaml", "rules:\n  - id: one\n    when: {type: AGREE}\n")
    ruleset, problems = check_rules(tmp_path)
    assert ruleset is None
    got = [(Path(p.file).name, p.line, p.rule_id, p.message) for p in errors(problems)]
    assert ("a.yaml", 4, "one", "severity must be one of info, low, medium, high, critical (got 'urgent')") in got
    assert any(f == "b.yaml" and line == 5 and "count must be at least 1" in m for f, line, _, m in got)
    assert any(f == "b.yaml" and line == 6 and "unknown key 'windw' (did you mean 'window'?)" in m
               for f, line, _, m in got)
    assert any(f == "b.yaml" and "threshold rules need a window" in m for f, _, _, m in got)
    assert any(f == "c.yaml" and "duplicate rule id 'one'" in m for f, _, _, m in got)
    with pytest.raises(RuleError) as exc:
        load_rules(tmp_path)
    assert len(exc.value.problems) >= 5 and "more" in str(exc.value)


def test_problem_strings_read_file_line_col_rule_message():
    [p] = errors(problems_of("rules:\n  - id: r\n    when: {type: MOBILIZE}\n    window: soon\n"))
    assert str(p) == "rules.yaml:4:13: r: error: window: expected a duration such as 30m, 6h or 7d, got 'soon'"


def test_tests_directory_and_hidden_files_are_not_rules(tmp_path):
    write(tmp_path, "r.yaml", "rules: []\n")
    write(tmp_path, "tests/t.yaml", "tests: []\n")
    write(tmp_path, ".hidden.yaml", "x: 1\n")
    write(tmp_path, "notes.txt", "x")
    write(tmp_path, "more/s.yml", "rules: []\n")
    assert [p.relative_to(tmp_path).as_posix() for p in find_rule_files(tmp_path)] == ["r.yaml", "more/s.yml"]


def test_lists_and_macros_are_shared_across_files(tmp_path):
    write(tmp_path, "shared.yaml", "lists:\n  hostile: [RUS, BLR]\nmacros:\n  real: {context.negated: false}\n")
    write(tmp_path, "r.yaml", "rules:\n  - id: r\n    when: {type: ASSAULT, macro: real, "
                              "actor.country: {in: {list: hostile}}}\n")
    ruleset = load_rules(tmp_path)
    assert ruleset.ids() == ["r"] and ruleset.lists == {"hostile": ("RUS", "BLR")}
    assert ruleset.macros == ("real",)


def test_duplicate_list_or_macro_names_are_errors(tmp_path):
    write(tmp_path, "a.yaml", "lists:\n  x: [1]\n")
    write(tmp_path, "b.yaml", "lists:\n  x: [2]\n")
    _, problems = check_rules(tmp_path)
    assert any("list 'x' is defined twice" in p.message for p in errors(problems))


def test_broken_macros_are_reported_once_at_their_definition():
    problems = problems_of("macros:\n  m: {actor.country: {inn: [RUS]}}\nrules:\n"
                           "  - id: a\n    when: {type: ASSAULT, macro: m}\n"
                           "  - id: b\n    when: {type: ASSAULT, macro: m}\n")
    errs = errors(problems)
    assert len(errs) == 1 and errs[0].rule_id == "macro m" and errs[0].line == 2


@pytest.mark.parametrize("text,fragment", [
    ("id: r\nwhen: {type: A}\n", "unknown top-level key 'id'"),
    ("rules:\n  - when: {type: MOBILIZE}\n", "rule has no id"),
    ("rules:\n  - id: 'bad id|x'\n    when: {type: MOBILIZE}\n", "id must be"),
    ("rules:\n  - id: off\n    when: {type: MOBILIZE}\n", "put the id in quotes"),
    ("rules:\n  - id: r\n", "missing 'when'"),
    ("rules:\n  - id: r\n    kind: sometimes\n    when: {type: MOBILIZE}\n", "kind must be one of"),
    ("rules:\n  - id: r\n    when: {type: MOBILIZE}\n    count: 3\n", "count is only used by threshold"),
    ("rules:\n  - id: r\n    kind: new\n    when: {type: MOBILIZE}\n", "new rules need a lookback"),
    ("rules:\n  - id: r\n    kind: spike\n    when: {type: MOBILIZE}\n    window: 1h\n", "need a baseline"),
    ("rules:\n  - id: r\n    kind: spike\n    when: {type: A}\n    window: 1h\n    baseline: 30m\n",
     "baseline must be at least as long"),
    ("rules:\n  - id: r\n    kind: sequence\n    window: 1d\n    steps: [{type: A}]\n", "at least two"),
    ("rules:\n  - id: r\n    when: {type: MOBILIZE}\n    window: 400d\n", "longer than the limit"),
    ("rules:\n  - id: r\n    when: {type: MOBILIZE}\n    annotations: {s: '{{ x | nope }}'}\n", "template error"),
    ("rules:\n  - id: r\n    when: {type: MOBILIZE}\n    labels: [a]\n", "labels must be a mapping"),
    ("rules:\n  - id: r\n    kind: threshold\n    when: {type: A}\n    window: 1h\n    count: 500\n",
     "raise max_events"),
    ("rules:\n  - id: r\n    when: {type: MOBILIZE}\n    enabled: maybe\n", "enabled must be true or false"),
    ("rules: {id: r}\n", "'rules' must be a list"),
    ("lists:\n  x: {a: 1}\n", "list 'x' must be a list of plain values"),
])
def test_validation_errors(text, fragment):
    errs = errors(problems_of(text))
    assert any(fragment in p.message for p in errs), [str(p) for p in errs]


def test_limits_on_files_rules_and_sizes(tmp_path):
    write(tmp_path, "big.yaml", "rules: []\n" + "#" * 2000 + "\n")
    _, problems = check_rules(tmp_path, Limits(max_file_bytes=1000))
    assert any(p.code == "limit" and "bytes" in p.message for p in errors(problems))
    many = "rules:\n" + "".join(f"  - id: r{i}\n    when: {{type: MOBILIZE}}\n" for i in range(6))
    _, problems = parse_sources([("m.yaml", many)], Limits(max_rules=5))
    assert any("at most 5 are allowed" in p.message for p in errors(problems))


def test_missing_path_is_an_error(tmp_path):
    _, problems = check_rules(tmp_path / "nope")
    assert "does not exist" in errors(problems)[0].message
    _, problems = check_rules(tmp_path)
    assert "holds no *.yaml rule files" in errors(problems)[0].message


def test_not_utf8_is_an_error(tmp_path):
    (tmp_path / "x.yaml").write_bytes(b"rules: []\n\xff\xfe")
    _, problems = check_rules(tmp_path)
    assert errors(problems)[0].code == "encoding"


def test_lint_warnings_do_not_stop_loading():
    text = """
rules:
  - id: no-type
    when: {actor.country: RUS}
  - id: bad-suppress
    kind: threshold
    when: {type: ASSAULT}
    group_by: [actor.country]
    count: 2
    window: 6h
    suppress_for: 1h
  - id: new-no-group
    kind: new
    when: {type: MOBILIZE}
    lookback: 30d
  - id: per-event
    when: {type: MOBILIZE}
    group_by: [id]
  - id: unknown-path
    when: {type: MOBILIZE, actor.contry: RUS}
    annotations: {s: "{{ actor.nme }}"}
  - id: switched-off
    enabled: false
    description: switched off
    when: {type: MOBILIZE}
"""
    ruleset, problems = parse_sources([("l.yaml", text)])
    assert ruleset is not None
    codes = {(p.rule_id, p.code, p.severity) for p in problems}
    assert ("no-type", "no-type", "warning") in codes
    assert ("bad-suppress", "suppress-shorter-than-window", "warning") in codes
    assert ("new-no-group", "no-group-by", "warning") in codes
    assert ("per-event", "group-by-cardinality", "warning") in codes
    assert ("unknown-path", "unknown-field", "warning") in codes
    assert sum(1 for p in problems if p.rule_id == "unknown-path" and p.code == "unknown-field") == 2
    assert ("switched-off", "disabled", "info") in codes
    assert not any(p.is_error for p in problems)
