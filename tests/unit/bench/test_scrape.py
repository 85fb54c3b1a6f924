"""Parsing a worker's /metrics, CPU accounting, the baselines' sample, the run's measurements."""

from __future__ import annotations

import pytest

from stream.bench.baselines import sample_indices
from stream.bench.measure import Sent, measure
from stream.bench.pipeline import Phase
from stream.bench.scrape import CpuSnapshot, cpu_delta, parse_metrics
from stream.config import Settings

TEXT = """# HELP sitrep_articles_consumed_total Messages read.
# TYPE sitrep_articles_consumed_total counter
sitrep_articles_consumed_total 10.0
# HELP sitrep_extraction_stage_seconds_total Time per stage.
# TYPE sitrep_extraction_stage_seconds_total counter
sitrep_extraction_stage_seconds_total{stage="model"} 2.5
sitrep_extraction_stage_seconds_total{stage="prefilter"} 0.5
# HELP sitrep_consumer_lag_messages Lag.
# TYPE sitrep_consumer_lag_messages gauge
sitrep_consumer_lag_messages{partition="0",topic="a"} 0.0
sitrep_consumer_lag_messages{partition="3",topic="a"} 4.0
sitrep_consumer_lag_messages{partition="1",topic="b"} 0.0
# HELP process_resident_memory_bytes RSS.
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes 2.097152e+08
"""


def test_samples_by_name_and_labels():
    s = parse_metrics(TEXT, at=1.0)
    assert s.get("sitrep_articles_consumed_total") == 10.0
    assert s.get("sitrep_extraction_stage_seconds_total") == 3.0
    assert s.get("sitrep_extraction_stage_seconds_total", stage="model") == 2.5
    assert s.get("sitrep_extraction_stage_seconds_total", stage="patterns") == 0.0
    assert s.label_values("sitrep_consumer_lag_messages", "partition", topic="a") == {"0", "3"}
    assert s.by_label("sitrep_consumer_lag_messages", "topic") == {"a": 4.0, "b": 0.0}
    assert s.get("process_resident_memory_bytes") / 2**20 == 200.0


def test_cpu_delta_splits_the_machine_between_known_and_other_processes():
    before = CpuSnapshot(100.0, 1000.0, {"w0": 10.0, "broker": 1.0, "bench": 2.0})
    after = CpuSnapshot(110.0, 1018.0, {"w0": 19.0, "broker": 2.0, "bench": 3.0})
    d = cpu_delta(after, before, cores=2)
    assert d["cpu_seconds"] == {"bench": 1.0, "broker": 1.0, "w0": 9.0}
    assert d["cores_used"]["w0"] == pytest.approx(0.9)
    assert d["machine_cores_busy"] == pytest.approx(1.8)
    assert d["other_processes_cores"] == pytest.approx(0.7)


def test_naive_sample_is_evenly_spread():
    assert sample_indices(10, 5) == [0, 2, 4, 6, 8]
    assert sample_indices(5, 10) == [0, 1, 2, 3, 4]
    assert sample_indices(600, 120)[:3] == [0, 5, 10] and len(sample_indices(600, 120)) == 120
    assert sample_indices(10, 0) == []


def _scrape(at, consumed, model, cpu, rss_mb, last):
    return parse_metrics(
        f"sitrep_articles_consumed_total {consumed}\n"
        f"sitrep_events_total{{type=\"ASSAULT\"}} {consumed * 2}\n"
        f"sitrep_extraction_stage_seconds_total{{stage=\"model\"}} {model}\n"
        f"sitrep_rule_evaluation_duration_seconds_sum {model / 100}\n"
        f"process_cpu_seconds_total {cpu}\n"
        f"process_resident_memory_bytes {rss_mb * 2**20}\n"
        f"sitrep_last_processed_timestamp_seconds{{topic=\"p-articles\"}} {last}\n"
        f"sitrep_last_processed_timestamp_seconds{{topic=\"elsewhere\"}} {last + 500}\n", at=at)


def test_measure_computes_rates_latencies_stages_and_memory_from_deltas():
    settings = Settings(articles_topic="p-articles", events_topic="p-events", matches_topic="p-matches")
    before = [_scrape(0, 16, 1.0, 3.0, 200, 999.0)]
    after = [_scrape(0, 116, 6.0, 9.0, 210, 1010.0)]
    sent = {f"a{i}": Sent(wall=1000.0 + i * 0.05, record_ts=1000.0 + i * 0.05) for i in range(100)}
    alerts = [("x1", 1, "a0", 1000.5, 1000.6), ("x1", 1, "a0", 1000.9, 1001.0),   # a redelivered copy
              ("x2", 1, "a10", 1001.0, 1001.2), ("x3", 1, "warm-1", 999.0, 999.1)]  # not of this run
    rss = {"w0": [(1000.0 + 6 * k, 200.0 + k) for k in range(10)]}                 # +1 MB per 6 s
    cpu = {"cores_used": {}, "cores": 2}
    m = measure(Phase("t"), settings, [], before, after, sent, 1000.0, alerts, rss, cpu, {})
    assert m["articles"] == 100 and m["seconds"] == pytest.approx(10.0)   # last processed on its topics
    assert m["articles_per_s"] == pytest.approx(10.0)
    assert m["events"] == 200 and m["events_per_s"] == pytest.approx(20.0)
    assert m["alerts"] == 2 and m["articles_with_alerts"] == 2
    lat = m["latency_s"]["record_timestamps"]
    assert lat["count"] == 2 and lat["min"] == pytest.approx(0.5) and lat["max"] == pytest.approx(0.5)
    assert m["latency_s"]["observed"]["max"] == pytest.approx(0.7)
    assert m["stage_seconds"]["model"] == pytest.approx(5.0)
    assert m["stage_seconds"]["rules_route"] == pytest.approx(0.05)
    assert m["stage_seconds"]["other"] == pytest.approx(6.0 - 5.05)           # CPU not in a timed stage
    assert m["worker_cpu_ms_per_article"] == pytest.approx(60.0)
    w = m["rss_mb"]["w0"]
    assert (w["min_mb"], w["max_mb"], w["last_mb"], w["samples"]) == (200.0, 209.0, 209.0, 10)
    assert w["slope_mb_per_min"] == pytest.approx(10.0)
    assert w["series"][:2] == [[0.0, 200.0], [6.0, 201.0]]
