"""A run's measurements from the workers' /metrics deltas, the produce times and the alerts."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..config import Settings
from .scrape import Samples
from .stats import rate, slope, summary

if TYPE_CHECKING:
    from .pipeline import Phase

__all__ = ["Sent", "measure"]


@dataclass
class Sent:
    wall: float          # time.time() just before send()
    record_ts: float     # the record's timestamp (CreateTime), seconds


def _d(after: list[Samples], before: list[Samples], name: str, **labels: str) -> float:
    return sum(a.get(name, **labels) - b.get(name, **labels) for a, b in zip(after, before) if a and b)


def measure(phase: "Phase", settings: Settings, workers: list, before: list[Samples],
            after: list[Samples], sent: dict[str, Sent], first: float, alerts: list, rss: dict, cpu: dict,
            assignment: dict) -> dict:
    topics = {settings.articles_topic, settings.events_topic, settings.matches_topic}
    end = max((v for s in after if s for t, v in s.by_label("sitrep_last_processed_timestamp_seconds",
                                                             "topic").items() if t in topics), default=time.time())
    seen: set[tuple[str, int]] = set()
    lat_ts, lat_seen = [], []
    for alert_id, revision, article_id, ts, received in alerts:
        s = sent.get(article_id)
        if s is None or (alert_id, revision) in seen:
            continue
        seen.add((alert_id, revision))
        lat_ts.append(max(ts - s.record_ts, 0.0))
        lat_seen.append(max(received - s.wall, 0.0))
        end = max(end, ts)
    seconds = end - first
    n = len(sent)
    events = _d(after, before, "sitrep_events_total")
    stage_names = ("preprocess", "prefilter", "model", "patterns")
    stages = {k: _d(after, before, "sitrep_extraction_stage_seconds_total", stage=k) for k in stage_names}
    stages["rules_route"] = _d(after, before, "sitrep_rule_evaluation_duration_seconds_sum")
    worker_cpu = _d(after, before, "process_cpu_seconds_total")
    extraction_wall = _d(after, before, "sitrep_extraction_duration_seconds_sum")
    batches = _d(after, before, "sitrep_batch_size_articles_count")
    accounted = sum(stages.values())
    stages["other"] = max(worker_cpu - accounted, 0.0)
    memory = {}
    for name, points in rss.items():
        values = [mb for _, mb in points]
        steady = points[len(points) // 5:] if len(points) >= 5 else points
        per_min = slope([((t - points[0][0]) / 60.0, mb) for t, mb in steady]) if points else None
        memory[name] = {"samples": len(values), "min_mb": min(values, default=None),
                        "max_mb": max(values, default=None), "last_mb": values[-1] if values else None,
                        "slope_mb_per_min": per_min,
                        "series": [[round(t - points[0][0], 1), round(mb, 1)] for t, mb in points]}
    return {
        "name": phase.name,
        "workers": phase.workers,
        "partitions": phase.partitions,
        "spread": phase.spread,
        "batch_size": phase.batch_size,
        "batch_wait": phase.batch_wait,
        "target_rate": phase.rate,
        "articles": n,
        "seconds": seconds,
        "articles_per_s": rate(n, seconds),
        "events": events,
        "events_per_s": rate(events, seconds),
        "alerts": len(lat_ts),
        "alerts_per_s": rate(len(lat_ts), seconds),
        "articles_with_alerts": len({a[2] for a in alerts if a[2] in sent}),
        "dead_letters": _d(after, before, "sitrep_dlq_messages_total"),
        "batches": batches,
        "mean_batch": (n / batches) if batches else None,
        "latency_s": {"record_timestamps": summary(lat_ts), "observed": summary(lat_seen)},
        "stage_seconds": stages,
        "stage_ms_per_article": {k: 1000 * v / n for k, v in stages.items()} if n else {},
        "extraction_wall_seconds": extraction_wall,
        # worker-side means: arrival of an article -> its events produced; one batch's extraction
        "mean_processing_latency_s": _mean(after, before, "sitrep_processing_latency_seconds"),
        "mean_batch_extraction_s": _mean(after, before, "sitrep_extraction_duration_seconds"),
        "worker_cpu_seconds": worker_cpu,
        "worker_cpu_ms_per_article": 1000 * worker_cpu / n if n else None,
        "rss_mb": memory,
        "cpu": cpu,
        "assignment": assignment,
        "worker_info": _worker_info(after),
    }


def _mean(after: list[Samples], before: list[Samples], histogram: str) -> float | None:
    count = _d(after, before, histogram + "_count")
    return _d(after, before, histogram + "_sum") / count if count else None


def _worker_info(scrapes: list[Samples]) -> dict:
    """Labels of ``sitrep_worker_info`` (versions of sitrep, spaCy, the model and the extractor)."""
    for s in scrapes:
        for (name, labels), _ in (s.values.items() if s else []):
            if name == "sitrep_worker_info":
                return {k: v for k, v in labels if k != "worker"}
    return {}
