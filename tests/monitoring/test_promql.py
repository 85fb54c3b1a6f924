"""Every PromQL expression of the dashboard and the alerting rules runs on a real Prometheus
scraping a worker-shaped /metrics endpoint, and the main panels have data."""

from __future__ import annotations

import json
import math

import pytest
from promkit import DEPLOY, dashboard_expressions, grafana_to_promql, http, query, rule_expressions, \
    run_all_expressions, wait_for

pytestmark = pytest.mark.prometheus

DASHBOARD = json.loads((DEPLOY / "grafana" / "dashboards" / "sitrep.json").read_text())
RULES = DEPLOY / "prometheus" / "sitrep-alerts.yml"

# Panels that must show data for a worker that processed the seed article.
PANELS_WITH_DATA = [
    "Articles consumed and processed /s",
    "Events /s by type",
    "Events by type (time range)",
    "Alerts /s by rule and severity",
    "End-to-end latency (article to alert)",
    "Processing latency (article to events)",
    "Latency SLO: share of alerts within 1 s",
    "Consumer lag (messages) per topic/partition",
    "Consumer lag (seconds) per topic/partition",
    "Rule evaluation duration (per event)",
    "Extraction duration (per batch)",
    "Extraction time by stage",
    "Resident memory per worker",
    "CPU per worker",
    "Broker up per worker",
]


def grafana_values(instance: str) -> dict[str, str]:
    return {"instance": instance, "topic": "articles", "__rate_interval": "1m", "__interval": "1s",
            "__range": "5m", "datasource": "prometheus"}


@pytest.fixture(scope="module")
def scraped(prometheus, metrics_target):
    """Prometheus has scraped the target a few times (so rate() has points) and evaluated the rules."""
    def enough_samples():
        body = query(prometheus.url, 'count_over_time(up{job="sitrep"}[1m])')
        result = body.get("data", {}).get("result", [])
        return result and float(result[0]["value"][1]) >= 5

    wait_for(enough_samples, timeout=60, what="5 scrapes of the metrics target",
             diagnostics=prometheus.process.log_tail)
    return prometheus


@pytest.fixture(scope="module")
def instance(scraped):
    (result,) = query(scraped.url, 'up{job="sitrep"}')["data"]["result"]
    return result["metric"]["instance"]


def test_the_target_is_scraped_as_job_sitrep_with_host_and_port_as_instance(scraped, metrics_target, instance):
    _, body = http("GET", f"{scraped.url}/api/v1/targets")
    (target,) = [t for t in body["data"]["activeTargets"] if t["labels"]["job"] == "sitrep"]
    assert target["health"] == "up", target
    assert target["scrapeUrl"] == f"http://{metrics_target}/metrics"
    assert instance == metrics_target  # unique per worker, even with several on one host


def test_every_alerting_and_recording_rule_expression_runs(scraped):
    exprs = [e for _, e in rule_expressions(RULES)]
    results = run_all_expressions(scraped.url, exprs)
    failures = [(e, s) for e, s, _ in results if s != "success"]
    assert not failures, failures


def test_deployed_rules_load_and_evaluate_without_errors(scraped):
    expected = {name.split("/", 1)[1] for name, _ in rule_expressions(RULES)}

    def evaluated():
        _, body = http("GET", f"{scraped.url}/api/v1/rules")
        rules = [r for g in body["data"]["groups"] for r in g["rules"]]
        if not all(r.get("lastEvaluation", "").startswith("20") and r["evaluationTime"] > 0 for r in rules):
            return None
        return rules

    rules = wait_for(evaluated, timeout=30, what="every rule evaluated once")
    assert {r["name"] for r in rules} == expected
    unhealthy = [(r["name"], r.get("lastError")) for r in rules if r["health"] != "ok"]
    assert not unhealthy, unhealthy


def test_recording_rules_give_the_slo_error_ratio(scraped):
    """The recorded 5m error ratio is the share of alerts slower than 1 s, as the raw histogram says."""
    def ratio():
        result = query(scraped.url, "sitrep:end_to_end_latency_slo_errors:ratio_rate5m")["data"]["result"]
        return result and result

    (sample,) = wait_for(ratio, timeout=30, what="the 5m SLO error ratio")
    assert sample["metric"] == {"__name__": "sitrep:end_to_end_latency_slo_errors:ratio_rate5m", "job": "sitrep"}
    at, recorded = float(sample["value"][0]), float(sample["value"][1])
    assert 0.0 <= recorded <= 1.0
    direct = query(scraped.url, '1 - sum(rate(sitrep_end_to_end_latency_seconds_bucket{le="1.0"}[5m]))'
                                " / sum(rate(sitrep_end_to_end_latency_seconds_count[5m]))", at=at)
    (value,) = direct["data"]["result"]
    assert abs(float(value["value"][1]) - recorded) < 1e-9


def test_no_pipeline_alert_is_even_pending_for_a_healthy_worker(scraped):
    """Only the latency SLO alerts may be active, and only when the recorded error ratios say so."""
    # `scraped` waited for 5 scrapes; the rules run every second, so each saw the target's data
    active = {a["metric"]["alertname"] for a in query(scraped.url, "ALERTS")["data"]["result"]}
    assert active <= {"SitrepLatencySLOBurnFast", "SitrepLatencySLOBurnSlow"}, active
    if "SitrepLatencySLOBurnFast" in active:
        # fast burn: more than 14.4 % of alerts over 1 s in both the 1 h and the 5 m windows
        for window in ("1h", "5m"):
            (ratio,) = query(scraped.url, f"sitrep:end_to_end_latency_slo_errors:ratio_rate{window}")["data"]["result"]
            assert float(ratio["value"][1]) > 0.144, (window, ratio)


def test_every_dashboard_expression_runs(scraped, instance):
    values = grafana_values(instance)
    exprs = [grafana_to_promql(e, values) for _, e in dashboard_expressions(DASHBOARD)]
    assert len(exprs) >= 40
    results = run_all_expressions(scraped.url, exprs)
    failures = [(e, s) for e, s, _ in results if s != "success"]
    assert not failures, failures


def test_the_variables_find_the_worker_and_the_topic(scraped, instance):
    values = grafana_values(instance)
    found = {}
    for where, expr in dashboard_expressions(DASHBOARD):
        if where.startswith("variable "):
            name = where.split()[1]
            label = expr.rsplit(",", 1)[1].strip(" )")
            result = query(scraped.url, grafana_to_promql(expr, values))["data"]["result"]
            found[name] = {r["metric"][label] for r in result}
    assert found == {"instance": {instance}, "topic": {"articles", "events", "sitrep-rule-matches"}}


@pytest.mark.parametrize("title", PANELS_WITH_DATA)
def test_panel_has_data(scraped, instance, title):
    values = grafana_values(instance)
    exprs = [grafana_to_promql(e, values) for where, e in dashboard_expressions(DASHBOARD)
             if where.startswith(f"panel {title!r}")]
    assert exprs, f"no panel titled {title!r}"

    def all_have_finite_data():
        for expr in exprs:
            body = query(scraped.url, expr)
            if body.get("status") != "success":
                return False
            data = body["data"]
            values = [data["result"][1]] if data["resultType"] == "scalar" else [
                s["value"][1] for s in data["result"]]
            if not values or not all(math.isfinite(float(v)) for v in values):
                return False
        return True

    wait_for(all_have_finite_data, timeout=30, what=f"data in panel {title!r}: {exprs}")
