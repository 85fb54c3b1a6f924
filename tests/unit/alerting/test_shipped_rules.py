"""The shipped rules: they load without errors or warnings and pass their YAML tests."""

from pathlib import Path

import pytest
import yaml

from stream.alerting import check_rules
from stream.alerting.testing import find_test_files, run_test_file

RULES = Path(__file__).resolve().parents[3] / "rules"
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
