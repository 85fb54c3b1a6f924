"""The targets of ``sitrep bench`` and their evaluation against a result dict.

``evaluate_targets`` gives a list of ``{"id", "name", "value", "op",
"target", "unit", "pass", "note"}`` where ``pass`` is ``None`` when the part
that measures the target did not run.
"""

from __future__ import annotations

from .rules import TARGET_OVERHEAD
from .stats import ratio

__all__ = ["SCHEMA", "TARGETS", "evaluate_targets"]

SCHEMA = "sitrep-bench/1"

# id: (description, op, target, unit)
TARGETS = {
    "vs_naive": ("end-to-end throughput / naive full model (a)", ">=", 3.0, "x"),
    "vs_extractor": ("end-to-end throughput / extractor alone (b)", ">=", 0.8, "x"),
    "latency_p99": ("p99 produce -> alert at half the max rate", "<=", 1.0, "s"),
    "batching_extra": ("latency batching adds (p50/p95/p99, worst)", "<=", None, "s"),  # target: batch_wait
    "scale_out": ("2 workers / 1 worker (4+ partitions)", ">=", 1.7, "x"),
    "rss_max": ("RSS per worker, max", "<=", 400.0, "MB"),
    "rss_slope": ("RSS growth at steady state (second half)", "<=", 1.0, "MB/min"),
    "rules_overhead": ("1,000 rules vs 10 rules, per event", "<=", TARGET_OVERHEAD, "%"),
}


def _check(value: float | None, op: str, target: float) -> bool | None:
    if value is None:
        return None
    return value >= target if op == ">=" else value <= target


def evaluate_targets(result: dict) -> list[dict]:
    """Every target with the measured value (``None`` when its part did not run)."""
    values: dict[str, float | None] = {k: None for k in TARGETS}
    notes: dict[str, str] = {}
    tp = result.get("throughput") or {}
    base = result.get("baselines") or {}
    if tp and base:
        values["vs_naive"] = ratio(tp.get("articles_per_s"), base.get("naive_estimated_articles_per_s"))
        values["vs_extractor"] = ratio(tp.get("articles_per_s"), (base.get("extractor") or {}).get("articles_per_s"))
    lat = result.get("latency") or {}
    batch_wait = None
    if lat:
        values["latency_p99"] = lat.get("p99")
        extra = lat.get("batching_extra_s") or {}
        worst = [v for v in (extra.get("p50"), extra.get("p95"), extra.get("p99")) if v is not None]
        values["batching_extra"] = max(worst) if worst else None
        batch_wait = lat.get("batch_wait")
        notes["latency_p99"] = f"at {lat.get('rate', 0):.1f} articles/s"
    scale = result.get("scale") or {}
    if scale:
        values["scale_out"] = scale.get("ratio")
    rss = _all_rss(result)
    if rss:
        values["rss_max"] = max(rss)
    mem = result.get("memory") or {}
    if mem:
        values["rss_slope"] = mem.get("slope_mb_per_min")
        notes["rss_slope"] = f"over {mem.get('duration_s', 0) / 60:.1f} min"
    else:
        notes["rss_slope"] = "run --duration 600"
    rules = result.get("rules") or {}
    if rules:
        values["rules_overhead"] = rules.get("overhead")
    out = []
    for key, (name, op, target, unit) in TARGETS.items():
        if key == "batching_extra":
            target = batch_wait
        value = values[key]
        out.append({"id": key, "name": name, "value": value, "op": op, "target": target, "unit": unit,
                    "pass": _check(value, op, target) if target is not None else None,
                    "note": notes.get(key, "")})
    return out


def _all_rss(result: dict) -> list[float]:
    out = []
    for part in ("throughput", "latency_run", "latency_nobatch_run", "scale_two", "memory_run"):
        run = result.get(part) or {}
        for w in (run.get("rss_mb") or {}).values():
            if w.get("max_mb") is not None:
                out.append(w["max_mb"])
    return out
