from stream.alerting.errors import Problems
from stream.alerting.limits import Limits
from stream.alerting.yamlsrc import load_documents, loc_of


def load(text):
    p = Problems("f.yaml")
    return load_documents(text, "f.yaml", p), p.items


def test_values_keep_their_line_and_column():
    docs, problems = load("rules:\n  - id: x\n    when: {type: MOBILIZE}\n")
    assert not problems
    rule = docs[0]["rules"][0]
    assert loc_of(rule, "when").line == 3 and loc_of(rule, "when").column == 11
    assert loc_of(docs[0]["rules"], 0).line == 2


def test_duplicate_keys_are_rejected_with_both_lines():
    _, problems = load("a: 1\nb: 2\na: 3\n")
    assert [(p.line, p.code) for p in problems] == [(3, "duplicate-key")]
    assert "first defined on line 1" in problems[0].message


def test_python_tags_are_not_constructed():
    docs, problems = load("a: !!python/object/apply:os.system ['echo hi']\n")
    assert docs[0]["a"] is None
    assert problems and "unsupported YAML tag" in problems[0].message


def test_aliases_are_rejected():
    _, problems = load("a: &x [1, 2]\nb: *x\n")
    assert any("aliases" in p.message for p in problems)


def test_alias_bombs_stop_at_the_node_limit():
    text = "a: [" + ", ".join(["x"] * 50) + "]\n"
    p = Problems("f.yaml")
    load_documents(text, "f.yaml", p, Limits(max_yaml_nodes=10))
    assert any(x.code == "limit" for x in p.items)


def test_syntax_errors_have_a_location():
    _, problems = load("a:\n  - b\n  c: d\n")
    assert len(problems) == 1
    assert problems[0].line == 3 and "YAML syntax error" in problems[0].message


def test_several_documents_in_one_file():
    docs, problems = load("a: 1\n---\nb: 2\n")
    assert docs == [{"a": 1}, {"b": 2}] and not problems
