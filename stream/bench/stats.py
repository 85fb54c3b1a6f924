"""Small, exact statistics for the benchmark report (no numpy needed)."""

from __future__ import annotations

import math
from typing import Iterable, Sequence

__all__ = ["percentile", "summary", "slope", "ratio", "rate"]


def percentile(values: Iterable[float], q: float) -> float | None:
    """The q-th percentile (0..100) with linear interpolation between closest ranks.

    Same definition as numpy's default ("linear"): rank ``(n - 1) * q / 100``
    in the sorted values. ``None`` for no values.
    """
    if not 0.0 <= q <= 100.0:
        raise ValueError(f"percentile must be within 0..100 (got {q})")
    xs = sorted(values)
    if not xs:
        return None
    rank = (len(xs) - 1) * q / 100.0
    lo = math.floor(rank)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (rank - lo)


def summary(values: Sequence[float]) -> dict:
    """count, mean, min, p50, p95, p99, max of a sample (``None`` entries when empty)."""
    xs = list(values)
    return {
        "count": len(xs),
        "mean": sum(xs) / len(xs) if xs else None,
        "min": min(xs) if xs else None,
        "p50": percentile(xs, 50),
        "p95": percentile(xs, 95),
        "p99": percentile(xs, 99),
        "max": max(xs) if xs else None,
    }


def slope(points: Sequence[tuple[float, float]]) -> float | None:
    """Least-squares slope dy/dx of (x, y) points; ``None`` with fewer than two distinct x."""
    if len(points) < 2:
        return None
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    if sxx == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in points) / sxx


def ratio(a: float | None, b: float | None) -> float | None:
    """a / b, or ``None`` when either is missing or b is zero."""
    if a is None or b is None or b == 0:
        return None
    return a / b


def rate(count: float, seconds: float | None) -> float | None:
    return count / seconds if seconds else None
