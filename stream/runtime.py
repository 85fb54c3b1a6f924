"""What a worker holds besides Faust: extractor, rules, silences, sinks, metrics.

The agents in ``stream.app`` call these methods; nothing here touches
Kafka, so the same steps serve the worker, ``sitrep rules backtest`` and
unit tests. Extraction runs off the event loop, on a thread, so that a long
spaCy batch never starves it (heartbeats, commits, /metrics), and within a
time budget (``extraction_timeout``): a batch that overruns is retried one
article at a time, and an article that overruns alone goes to the DLQ
(``extraction_error``, detail "extraction_timeout") instead of stalling the
worker. A Python thread cannot be stopped, so an overrunning one is left to
finish in the background (a daemon thread: it never holds up shutdown).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Sequence

from . import __version__
from .config import Settings
from .decode import decode_article, dead_letter
from .errors import DecodeError
from .metrics import Metrics
from .alerting import Outcome
from .models import Alert, Article, DeadLetter, Event

__all__ = ["Runtime", "Incoming", "Rejected", "ExtractionTimeout", "now_utc", "SUPPRESSION_REASONS"]

# Outcomes where a rule matched but an alert was held back on purpose (counted per rule).
SUPPRESSION_REASONS = frozenset({"suppressed", "duplicate", "no_new_source"})

log = logging.getLogger(__name__)

PER_ARTICLE_WEIGHT = 0.2   # of the newest batch in the moving average of seconds per article


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Incoming:
    """One record as read from a topic (what the decoder needs of it)."""

    value: bytes | None
    key: bytes | None
    topic: str
    partition: int
    offset: int
    timestamp: float | None  # seconds since the epoch (Kafka record time)


class ExtractionTimeout(Exception):
    """Extraction did not finish within the configured budget."""


def _in_thread(fn: Any, arg: Any) -> "asyncio.Future[Any]":
    """Run ``fn(arg)`` on a new daemon thread; the returned future gets its result."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()

    def settle(ok: bool, value: Any) -> None:
        if not future.done():
            future.set_result(value) if ok else future.set_exception(value)

    def work() -> None:
        try:
            value, ok = fn(arg), True
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting task
            value, ok = exc, False
        try:
            loop.call_soon_threadsafe(settle, ok, value)
        except RuntimeError:  # the loop is closed: nobody waits any more
            pass

    threading.Thread(target=work, name="extract", daemon=True).start()
    return future


@dataclass
class Rejected:
    incoming: Incoming
    letter: DeadLetter


@dataclass
class Runtime:
    settings: Settings
    extractor: Any
    rules: Any  # stream.alerting.RuleStore
    metrics: Metrics
    sinks: Any = None
    silences: Any = None  # stream.silence_feed.SilenceFeed
    worker: str = field(default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}")
    broker_up: bool | None = None
    http_port: int | None = None

    def __post_init__(self) -> None:
        self._overrunning: list[asyncio.Future[Any]] = []  # extractions left running past the budget
        # Extraction seconds per article of recent batches (moving average): what one more article
        # adds to a batch's extraction, for batches that keep within their wait (stream.batching).
        self.seconds_per_article = 0.0
        info = dict(getattr(self.extractor, "info", {}) or {})
        self.metrics.set_info(version=__version__, worker=self.worker, **info)

    # ------------------------------------------------------------ articles
    def decode(self, records: Sequence[Incoming]) -> tuple[list[tuple[Incoming, Article]], list[Rejected]]:
        good: list[tuple[Incoming, Article]] = []
        bad: list[Rejected] = []
        s = self.settings
        for rec in records:
            self.metrics.articles_consumed.inc()
            self.metrics.consumed_bytes.inc(len(rec.value or b""))
            ingested = datetime.fromtimestamp(rec.timestamp, timezone.utc) if rec.timestamp else now_utc()
            try:
                article = decode_article(rec.value, max_bytes=s.max_message_bytes,
                                         max_text_chars=s.max_text_chars, ingested_at=ingested)
            except DecodeError as exc:
                bad.append(self.reject(rec, exc))
            else:
                good.append((rec, article))
        return good, bad

    def reject(self, rec: Incoming, exc: DecodeError) -> Rejected:
        produced = datetime.fromtimestamp(rec.timestamp, timezone.utc) if rec.timestamp else None
        letter = dead_letter(exc, rec.value, topic=rec.topic, partition=rec.partition, offset=rec.offset,
                             key=rec.key, produced_at=produced, rejected_at=now_utc(), worker=self.worker)
        self.metrics.dlq_messages.labels(reason=exc.reason).inc()
        log.warning("rejected %s[%d]@%d: %s: %s", rec.topic, rec.partition, rec.offset, exc.reason, exc.detail)
        return Rejected(rec, letter)

    async def extract(self, batch: list[tuple[Incoming, Article]]) -> tuple[list[list[Event]], list[Rejected]]:
        """Events per article, in order; an article the extractor fails on (or overruns the
        time budget with) is rejected alone."""
        articles = [a for _, a in batch]
        before = dict(getattr(self.extractor, "timings", {}) or {})
        counts_before = dict(getattr(self.extractor, "sentence_counts", {}) or {})
        started = time.perf_counter()
        try:
            results = await self._extract_within_budget(self.extractor.extract_batch, articles)
            rejected: list[Rejected] = []
        except Exception as exc:  # noqa: BLE001 - isolate the article that breaks the batch
            if isinstance(exc, ExtractionTimeout):
                log.error("extraction of a batch of %d took longer than %g s; retrying one by one",
                          len(articles), self.settings.extraction_timeout)
            else:
                log.exception("extraction failed for a batch of %d; retrying one by one", len(articles))
            results, rejected = [], []
            for rec, article in batch:
                try:
                    results.append(await self._extract_within_budget(self.extractor.extract, article))
                except ExtractionTimeout:
                    results.append([])
                    rejected.append(self.reject(rec, DecodeError(
                        "extraction_error", f"extraction_timeout: this article took longer than "
                                            f"{self.settings.extraction_timeout:g} s to extract")))
                except Exception as exc:  # noqa: BLE001
                    results.append([])
                    rejected.append(self.reject(rec, DecodeError("extraction_error", f"{type(exc).__name__}: {exc}")))
        m = self.metrics
        took = time.perf_counter() - started
        m.extraction_duration.observe(took)
        if not rejected and articles:
            per = took / len(articles)
            self.seconds_per_article = per if not self.seconds_per_article else \
                (1 - PER_ARTICLE_WEIGHT) * self.seconds_per_article + PER_ARTICLE_WEIGHT * per
        m.batch_size.observe(len(articles))
        for stage, total in (getattr(self.extractor, "timings", {}) or {}).items():
            delta = total - before.get(stage, 0.0)
            if delta > 0:
                m.extraction_stage_seconds.labels(stage=stage).inc(delta)
        for outcome, total in (getattr(self.extractor, "sentence_counts", {}) or {}).items():
            delta = total - counts_before.get(outcome, 0)
            if delta > 0:
                m.sentences.labels(outcome=outcome).inc(delta)
        m.articles_processed.inc(len(articles) - len(rejected))
        return results, rejected

    async def _extract_within_budget(self, fn: Any, arg: Any) -> Any:
        budget = self.settings.extraction_timeout
        future = _in_thread(fn, arg)
        if not budget or budget <= 0:
            return await future
        try:
            return await asyncio.wait_for(asyncio.shield(future), budget)
        except asyncio.TimeoutError:
            future.add_done_callback(lambda f: f.cancelled() or f.exception())  # no "never retrieved"
            self._overrunning = [f for f in self._overrunning if not f.done()] + [future]
            log.error("extraction overran its %g s budget; left to finish in the background "
                      "(%d overrunning now)", budget, len(self._overrunning))
            raise ExtractionTimeout(budget) from None

    def batch_extra(self, n: int) -> float:
        """Seconds a batch of ``n`` articles may take to extract beyond a batch of one: (n - 1)
        articles at the recent mean, plus one more, as articles vary in length around the mean
        (without it, the longest tenth of batches overran the wait by up to 0.03 s at p99)."""
        return n * self.seconds_per_article if n > 0 else 0.0

    @property
    def overrunning(self) -> int:
        """Extractions still running in the background after overrunning their budget."""
        return sum(1 for f in self._overrunning if not f.done())

    # ------------------------------------------------------------ rules
    def route(self, event: Event) -> list[Any]:
        started = time.perf_counter()
        try:
            routes = self.rules.engine.route(event, on_error=self._rule_failed)
        finally:
            self.metrics.rule_evaluations.inc()
            self.metrics.rule_evaluation_duration.observe(time.perf_counter() - started)
        return routes

    def _rule_failed(self, rule_id: str, exc: Exception) -> None:
        self.metrics.rule_errors.labels(rule=rule_id).inc()
        log.error("rule %s failed: %r", rule_id, exc)

    def apply(self, route: Any, event: Event, state: Any) -> Any:
        """The rule engine's Outcome (new state, alerts, reason) for one routed event."""
        try:
            outcome = self.rules.engine.evaluate(route, event, state, now_utc())
        except Exception:  # noqa: BLE001 - one bad rule must not stop the others
            self.metrics.rule_errors.labels(rule=route.rule_id).inc()
            log.exception("rule %s failed on event %s", route.rule_id, event.id)
            return Outcome(state, [], "error")
        if outcome.reason in SUPPRESSION_REASONS:
            self.metrics.alerts_suppressed.labels(rule=route.rule_id, reason=outcome.reason).inc()
        return outcome

    def silenced(self, alert: Alert) -> Any:
        if self.silences is None:
            return None
        return self.silences.silenced_by(alert, now_utc())

    def alert_sent(self, alert: Alert) -> None:
        self.metrics.alerts.labels(rule=alert.rule_id, severity=alert.severity).inc()
        if alert.article.ingested_at is not None:
            latency = (now_utc() - alert.article.ingested_at).total_seconds()
            self.metrics.end_to_end_latency.observe(max(latency, 0.0))

    def reload_rules(self) -> Any:
        result = self.rules.reload()
        m = self.metrics
        m.rules_reload_timestamp.set(time.time())
        m.rules_reload_success.set(1 if result.ok else 0)
        m.rules_reloads.labels(result="success" if result.ok else "failure").inc()
        m.rules_loaded.set(result.rules_loaded)
        if result.ok:
            if result.changed:
                log.info("rules reloaded: %d rules in force", result.rules_loaded)
        else:
            log.error("rule reload failed; keeping the last good rule set (%d rules):\n%s",
                      result.rules_loaded, "\n".join(str(e) for e in result.errors))
        return result

    def close(self) -> None:
        """Nothing to release: extraction threads are daemons and never hold up the exit."""
