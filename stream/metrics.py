"""Every Prometheus metric sitrep exports, with its help text, in one place.

``Metrics(registry)`` builds the whole set on a registry of the caller's
choice, so tests use a fresh ``CollectorRegistry`` and never touch global
state. Names follow Prometheus conventions: one ``sitrep_`` prefix, base
units, ``_total`` on counters, ``_info`` for constant information. Label
values are bounded: event types, rule ids, severities, DLQ reasons, topics
and partitions - never article ids or free text.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

__all__ = ["Metrics", "LATENCY_BUCKETS"]

# Seconds; dense below one second where the latency SLO lives.
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
DURATION_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
SIZE_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128)


class Metrics:
    """The metric families of one worker process."""

    def __init__(self, registry: CollectorRegistry | None = None, *, process: bool = True):
        self.registry = registry if registry is not None else CollectorRegistry(auto_describe=True)
        r = self.registry
        if process:
            ProcessCollector(registry=r)
            PlatformCollector(registry=r)
            GCCollector(registry=r)

        self.worker_info = Info(
            "sitrep_worker", "Version of sitrep, extraction model and extractor in this worker.", registry=r)
        # --- input
        self.articles_consumed = Counter(
            "sitrep_articles_consumed", "Messages read from the articles topic.", registry=r)
        self.consumed_bytes = Counter(
            "sitrep_consumed_bytes", "Bytes of article messages read from the articles topic.", registry=r)
        self.articles_processed = Counter(
            "sitrep_articles_processed", "Articles decoded and run through extraction.", registry=r)
        self.dlq_messages = Counter(
            "sitrep_dlq_messages", "Messages sent to the dead-letter topic, by reason.", ["reason"], registry=r)
        # --- extraction
        self.events = Counter(
            "sitrep_events", "Events extracted and published, by PLOVER type.", ["type"], registry=r)
        self.extraction_duration = Histogram(
            "sitrep_extraction_duration_seconds", "Time to extract the events of one batch of articles.",
            buckets=DURATION_BUCKETS, registry=r)
        self.batch_size = Histogram(
            "sitrep_batch_size_articles", "Articles per extraction batch.", buckets=SIZE_BUCKETS, registry=r)
        self.extraction_stage_seconds = Counter(
            "sitrep_extraction_stage_seconds",
            "Time spent per extraction stage (preprocess, prefilter, model, patterns).", ["stage"], registry=r)
        self.sentences = Counter(
            "sitrep_sentences", "Sentences seen by the prefilter, by outcome (candidate or skipped).",
            ["outcome"], registry=r)
        # --- rules
        self.rule_evaluations = Counter(
            "sitrep_rule_evaluations", "Events evaluated against the rule set.", registry=r)
        self.rule_errors = Counter(
            "sitrep_rule_errors", "Errors while evaluating a rule on an event, by rule.", ["rule"], registry=r)
        self.rule_evaluation_duration = Histogram(
            "sitrep_rule_evaluation_duration_seconds", "Time to evaluate one event against the rule set.",
            buckets=DURATION_BUCKETS, registry=r)
        self.alerts = Counter(
            "sitrep_alerts", "Alerts published, by rule and severity.", ["rule", "severity"], registry=r)
        self.alerts_suppressed = Counter(
            "sitrep_alerts_suppressed",
            "Alerts not published, by rule and reason (silenced, suppressed, duplicate).",
            ["rule", "reason"], registry=r)
        self.rules_loaded = Gauge(
            "sitrep_rules_loaded", "Rules in force (enabled rules of the last good rule set).", registry=r)
        self.rules_reload_success = Gauge(
            "sitrep_rules_last_reload_success", "1 if the last rule reload succeeded, else 0.", registry=r)
        self.rules_reload_timestamp = Gauge(
            "sitrep_rules_last_reload_timestamp_seconds", "Unix time of the last rule reload attempt.",
            registry=r)
        self.rules_reloads = Counter(
            "sitrep_rules_reloads", "Rule reload attempts, by result (success, failure).", ["result"],
            registry=r)
        self.silences_active = Gauge(
            "sitrep_silences_active", "Silences currently in force.", registry=r)
        # --- latency and freshness
        self.end_to_end_latency = Histogram(
            "sitrep_end_to_end_latency_seconds",
            "Time from an article's arrival on the articles topic to its alert being produced.",
            buckets=LATENCY_BUCKETS, registry=r)
        self.processing_latency = Histogram(
            "sitrep_processing_latency_seconds",
            "Time from an article's arrival on the articles topic to its events being produced.",
            buckets=LATENCY_BUCKETS, registry=r)
        self.last_processed = Gauge(
            "sitrep_last_processed_timestamp_seconds",
            "Unix time of the newest record processed, by topic.", ["topic"], registry=r)
        self.consumer_lag = Gauge(
            "sitrep_consumer_lag_messages",
            "Messages between the committed offset and the end of a partition assigned to this worker.",
            ["topic", "partition"], registry=r)
        self.consumer_lag_seconds = Gauge(
            "sitrep_consumer_lag_seconds",
            "Age of the oldest unprocessed record of a partition assigned to this worker (0 if none).",
            ["topic", "partition"], registry=r)
        self.broker_up = Gauge(
            "sitrep_broker_up", "1 if the last metadata request to the Kafka cluster succeeded, else 0.",
            registry=r)
        # --- delivery
        self.sink_deliveries = Counter(
            "sitrep_sink_deliveries", "Alert deliveries to external sinks, by sink and result.",
            ["sink", "result"], registry=r)

    def set_info(self, **values: str) -> None:
        self.worker_info.info({k: str(v) for k, v in values.items()})
