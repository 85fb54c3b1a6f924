"""Percentiles, summaries and slopes of the benchmark report."""

from __future__ import annotations

import pytest

from stream.bench.stats import percentile, rate, ratio, slope, summary


@pytest.mark.parametrize("values, q, expected", [
    ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50, 5.5),
    ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0, 1),
    ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 100, 10),
    ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90, 9.1),      # rank 8.1 between 9 and 10
    ([10, 1, 7, 3], 25, 2.5),                          # unsorted input; rank 0.75 between 1 and 3
    ([0.2, 0.4], 99, 0.398),
    ([42.0], 99, 42.0),
])
def test_percentile_interpolates_linearly_between_closest_ranks(values, q, expected):
    assert percentile(values, q) == pytest.approx(expected)


def test_percentile_of_nothing_is_none_and_q_must_be_a_percentage():
    assert percentile([], 50) is None
    with pytest.raises(ValueError):
        percentile([1, 2], 101)
    with pytest.raises(ValueError):
        percentile([1, 2], -1)


def test_p99_of_a_hundred_latencies_is_near_the_top_not_the_max():
    values = [i / 100 for i in range(1, 101)]   # 0.01 .. 1.00
    assert percentile(values, 99) == pytest.approx(0.9901)
    assert percentile(values, 95) == pytest.approx(0.9505)


def test_summary_has_every_field_also_when_empty():
    s = summary([3.0, 1.0, 2.0])
    assert s == {"count": 3, "mean": 2.0, "min": 1.0, "p50": 2.0, "p95": pytest.approx(2.9),
                 "p99": pytest.approx(2.98), "max": 3.0}
    empty = summary([])
    assert empty["count"] == 0 and all(empty[k] is None for k in ("mean", "min", "p50", "p95", "p99", "max"))


def test_slope_is_least_squares():
    assert slope([(0, 100), (1, 102), (2, 104), (3, 106)]) == pytest.approx(2.0)
    assert slope([(0, 1), (1, 3), (2, 2)]) == pytest.approx(0.5)
    assert slope([(0, 5), (1, 5), (2, 5)]) == 0.0          # flat memory
    assert slope([(1, 5), (1, 6)]) is None                   # no spread in time
    assert slope([(0, 5)]) is None


def test_ratio_and_rate_refuse_missing_or_zero():
    assert ratio(6.0, 2.0) == 3.0
    assert ratio(None, 2.0) is None and ratio(1.0, 0) is None and ratio(1.0, None) is None
    assert rate(100, 20.0) == 5.0 and rate(100, 0) is None
