"""promtool on the deployed Prometheus config, the alerting rules, their unit tests, and /metrics."""

from __future__ import annotations

import subprocess

import pytest
import yaml
from promkit import DEPLOY, binary, http

pytestmark = pytest.mark.prometheus

PROM = DEPLOY / "prometheus"
RULES = PROM / "sitrep-alerts.yml"
RULE_TESTS = sorted((PROM / "tests").glob("*.yml"))


def promtool(*args: str, stdin: bytes | None = None, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([binary("promtool"), *args], input=stdin, capture_output=True, cwd=cwd, timeout=120)


def output(result: subprocess.CompletedProcess) -> str:
    return (result.stdout + result.stderr).decode("utf-8", "replace")


def test_check_config():
    result = promtool("check", "config", str(PROM / "prometheus.yml"))
    assert result.returncode == 0, output(result)
    assert "SUCCESS" in output(result)


def test_check_rules():
    n_rules = sum(len(g["rules"]) for g in yaml.safe_load(RULES.read_text())["groups"])
    result = promtool("check", "rules", str(RULES))
    assert result.returncode == 0, output(result)
    assert f"SUCCESS: {n_rules} rules found" in output(result)


def test_rule_unit_tests_pass():
    assert RULE_TESTS
    result = promtool("test", "rules", *[p.name for p in RULE_TESTS], cwd=PROM / "tests")
    assert result.returncode == 0, output(result)
    assert output(result).count("SUCCESS") == len(RULE_TESTS), output(result)


def test_every_alert_is_tested_firing_and_not_firing():
    alerts = {r["alert"] for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"] if "alert" in r}
    fired, quiet = set(), set()
    for path in RULE_TESTS:
        for test in yaml.safe_load(path.read_text())["tests"]:
            for case in test.get("alert_rule_test") or []:
                (fired if case.get("exp_alerts") else quiet).add(case["alertname"])
    assert alerts - fired == set(), "alerts never tested firing"
    assert alerts - quiet == set(), "alerts never tested not firing"


def test_the_metrics_of_a_worker_pass_promtool_check_metrics(metrics_target):
    status, text = http("GET", f"http://{metrics_target}/metrics")
    assert status == 200 and "sitrep_articles_consumed_total" in text
    result = promtool("check", "metrics", stdin=text.encode("utf-8"))
    assert result.returncode == 0 and output(result).strip() == "", output(result)
