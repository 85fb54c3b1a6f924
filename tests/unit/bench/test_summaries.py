"""Scale-out and latency summaries: ratios, CPU accounting, what batching adds."""

from __future__ import annotations

import pytest

from stream.bench.runner import _latency_summary, _memory_summary, _scale_summary


def run(per_s, cores_used, busy, cpu_ms, partitions=4, lat=None, rss=None):
    return {"articles_per_s": per_s, "partitions": partitions, "worker_cpu_ms_per_article": cpu_ms,
            "cpu": {"cores": 2, "cores_used": cores_used, "machine_cores_busy": busy, "other_processes_cores": 0.0},
            "latency_s": {"record_timestamps": lat or {}}, "target_rate": 8.0, "articles": 320,
            "batch_size": 16, "batch_wait": 0.2, "mean_batch": 2.0, "rss_mb": rss or {}, "seconds": 600.0}


def test_scale_ratio_and_per_core_efficiency_on_a_saturated_machine():
    one = run(20.0, {"w0": 1.0, "broker": 0.05, "bench": 0.05}, 1.1, 50.0)
    two = run(34.0, {"w0": 0.9, "w1": 0.9, "broker": 0.1, "bench": 0.08}, 1.98, 53.0)
    s = _scale_summary(one, two)
    assert s["ratio"] == pytest.approx(1.7)
    assert s["two_workers_cores"] == pytest.approx(1.8) and s["cpu_ratio"] == pytest.approx(1.8)
    assert s["per_core_efficiency"] == pytest.approx((34 / 1.8) / 20.0)
    assert s["verdict"].startswith("the machine is the limit")


def test_scale_on_an_idle_machine_blames_the_software():
    one = run(20.0, {"w0": 1.0}, 1.05, 50.0)
    two = run(22.0, {"w0": 0.55, "w1": 0.55}, 1.2, 50.0)
    assert "limit is in the software" in _scale_summary(one, two)["verdict"]


def test_batching_extra_is_the_difference_of_the_percentiles():
    lat_a = {"count": 100, "p50": 0.40, "p95": 0.60, "p99": 0.70, "max": 0.8}
    lat_b = {"count": 100, "p50": 0.30, "p95": 0.45, "p99": 0.62, "max": 0.7}
    batched = run(8.0, {}, 1.0, 50.0, lat=lat_a)
    ref = dict(run(8.0, {}, 1.0, 50.0, lat=lat_b), batch_wait=0.001)
    s = _latency_summary(batched, ref, 16.0)
    assert s["batching_extra_s"] == {"p50": pytest.approx(0.10), "p95": pytest.approx(0.15),
                                     "p99": pytest.approx(0.08)}
    assert (s["rate"], s["max_rate"], s["p99"], s["reference"]["batch_wait"]) == (8.0, 16.0, 0.70, 0.001)


def test_memory_summary_takes_the_worst_worker():
    levelling = [[60.0 * k, 200.0 + (2.0 * k if k < 5 else 10.0)] for k in range(10)]   # +2 MB/min, then flat
    rss = {"a": {"max_mb": 250.0, "slope_mb_per_min": 0.2, "series": levelling},
           "b": {"max_mb": 240.0, "slope_mb_per_min": 0.9}}
    m = _memory_summary(run(10.0, {}, 1.0, 50.0, rss=rss))
    assert (m["max_mb"], m["slope_last_80_mb_per_min"], m["duration_s"]) == (250.0, 0.9, 600.0)
    assert m["slope_mb_per_min"] == pytest.approx(0.0)          # the steady state: second halves
    first, second = m["slope_by_half_mb_per_min"]["a"]
    assert first == pytest.approx(2.0) and second == pytest.approx(0.0)
    assert m["slope_by_half_mb_per_min"]["b"] == [None, None]


def test_the_peak_slope_ignores_rss_alternating_between_two_levels_and_sees_growth():
    # every 5 s for 10 min: low (220 MB) in the first part of the second half, high (240) later:
    # the least-squares slope of that half is steep, the peaks of each minute are flat
    two_levels = [[5.0 * i, 240.0 if (i // 6) % 2 == 0 or i > 90 else 220.0] for i in range(120)]
    growing = [[5.0 * i, 200.0 + 0.05 * i] for i in range(120)]    # +0.6 MB/min
    def summary(series):
        return _memory_summary(run(10.0, {}, 1.0, 50.0, rss={"w": {"max_mb": 240.0, "slope_mb_per_min": 0.0,
                                                                    "series": series}}))
    levels, grows = summary(two_levels), summary(growing)
    assert levels["slope_mb_per_min"] > 2.0 and levels["peak_slope_mb_per_min"] == pytest.approx(0.0)
    assert grows["slope_mb_per_min"] == pytest.approx(0.6, abs=0.01)
    assert grows["peak_slope_mb_per_min"] == pytest.approx(0.6, abs=0.01)
