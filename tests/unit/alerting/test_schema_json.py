"""rules/schema.json (for editors) accepts what the loader accepts and refuses what it refuses."""

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from stream.alerting.loader import find_rule_files, parse_sources

RULES = Path(__file__).resolve().parents[3] / "rules"
SCHEMA = json.loads((RULES / "schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def test_the_schema_is_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


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
