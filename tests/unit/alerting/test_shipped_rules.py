"""The shipped rules: they load without errors or warnings, match schema.json, and pass their YAML tests."""

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from stream.alerting import check_rules
from stream.alerting.loader import find_rule_files, parse_sources
from stream.alerting.testing import find_test_files, run_test_file

ROOT = Path(__file__).resolve().parents[3]
RULES = ROOT / "rules"
SCHEMA = json.loads((RULES / "schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
REQUIRED_IDS = {"troop-buildup", "sanctions", "new-troop-buildup", "missile-or-drone-strike",
                "escalation-sequence", "ceasefire-offered", "ceasefire-accepted", "ceasefire-violated",
                "corroborated-report"}


def test_shipped_rules_load_cleanly():
    ruleset, problems = check_rules(RULES)
    assert ruleset is not None, [str(p) for p in problems]
    assert [str(p) for p in problems if p.severity != "info"] == []
    assert REQUIRED_IDS <= set(ruleset.ids())
    kinds = {r.kind for r in ruleset.rules}
    assert {"match", "new", "threshold", "sequence"} <= kinds


def _cases():
    for f in find_test_files(RULES / "tests"):
        for result in run_test_file(f, extract=_no_extractor):
            yield pytest.param(result, id=f"{f.name}::{result.name}")


def _no_extractor(article):
    raise AssertionError("shipped rule tests use events only, so they run without spaCy")


@pytest.mark.parametrize("result", list(_cases()))
def test_shipped_rule_tests(result):
    assert result.ok, "\n".join(result.failures)


def test_every_shipped_rule_has_a_test():
    tested = set()
    for f in find_test_files(RULES / "tests"):
        doc = yaml.safe_load(f.read_text())
        for case in doc["tests"]:
            tested.update(case.get("rules") or [])
            tested.update(e["rule"] for e in case.get("expect") or [])
    ruleset, _ = check_rules(RULES)
    assert set(ruleset.ids()) <= tested


@pytest.mark.parametrize("path", find_rule_files(RULES), ids=lambda p: p.name)
def test_shipped_files_match_the_json_schema(path):
    errors = [e.message for e in VALIDATOR.iter_errors(yaml.safe_load(path.read_text()))]
    assert errors == []


SAMPLES = {
    # text: valid for both the loader and the schema?
    "rules:\n  - id: a\n    when: {type: MOBILIZE}\n": True,
    "rules:\n  - id: a\n    when: [{type: MOBILIZE}, {actor.country: {in: [RUS, {list: l}]}}]\nlists: {l: [BLR]}\n": True,
    "rules:\n  - id: a\n    kind: threshold\n    when: {type: A}\n    count: 3\n    window: 6h\n": True,
    "rules:\n  - id: a\n    kind: sequence\n    window: 1d\n    steps: [{type: A}, {type: B}]\n": True,
    "rules:\n  - id: a\n    kind: spike\n    when: {type: A}\n    window: 1h\n    baseline: 1d\n    factor: 2\n": True,
    "rules:\n  - id: a\n    kind: new\n    when: {type: A}\n    lookback: 30d\n": True,
    "macros: {m: {context.negated: false}}\nrules:\n  - id: a\n    when: {macro: m, text: {contains: x}}\n": True,
    "rules:\n  - id: a\n    when: {type: A}\n    labels: {x: '{{ type }}'}\n    suppress_for: 1h30m\n": True,
    "rules:\n  - when: {type: A}\n": False,                                   # no id
    "rules:\n  - id: a\n": False,                                            # no when
    "rules:\n  - id: a\n    when: {type: A}\n    severity: urgent\n": False,
    "rules:\n  - id: a\n    when: {type: A}\n    colour: red\n": False,
    "rules:\n  - id: a\n    when: {type: A}\n    count: 3\n": False,          # count on a match rule
    "rules:\n  - id: a\n    kind: threshold\n    when: {type: A}\n    window: 1h\n": False,
    "rules:\n  - id: a\n    kind: new\n    when: {type: A}\n": False,
    "rules:\n  - id: a\n    kind: sequence\n    window: 1d\n    steps: [{type: A}]\n": False,
    "rules:\n  - id: a\n    when: {type: {equals: A}}\n": False,
    "rules:\n  - id: a\n    when: {eq: A}\n": False,
    "rules:\n  - id: a\n    when: {type: A}\n    window: soon\n": False,
    "rules:\n  - id: a\n    when: {confidence: {gt: high}}\n": False,
    "rules:\n  - id: a b\n    when: {type: A}\n": False,
    "rule:\n  - id: a\n    when: {type: A}\n": False,
    "lists: {l: {a: 1}}\n": False,
}


@pytest.mark.parametrize("text,valid", SAMPLES.items())
def test_schema_and_loader_agree(text, valid):
    in_schema = VALIDATOR.is_valid(yaml.safe_load(text))
    ruleset, problems = parse_sources([("s.yaml", text)])
    errors = [str(p) for p in problems if p.is_error and p.code != "unknown-list"]
    assert in_schema is valid
    assert (not errors) is valid, errors
