"""One measured run of the whole pipeline through the broker.

Each run gets its own topics and consumer group, starts its workers, warms
them up, then produces articles (a backlog, a fixed rate, or for a duration)
while sampling every worker's /metrics, and follows the alerts topic. It ends
when the group has committed every input record (Faust commits only after a
record's results are produced) and the alerts topic has been read to its end.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterator

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from ..clients import end_offsets, group_caught_up
from ..config import Settings
from ..errors import SitrepError
from ..kafka import client_kwargs, ensure_topics
from ..models import Article, to_json
from . import profile
from .scrape import Samples, cpu_delta, cpu_snapshot
from .stats import rate, slope, summary
from .workers import WorkerProcess, start_workers, stop_workers, wait_assigned

__all__ = ["Phase", "Context", "run_phase"]

log = logging.getLogger(__name__)
MB = 1024 * 1024


@dataclass
class Phase:
    """What one run does: workers, partitions, batching, and how articles are produced."""

    name: str
    workers: int = 1
    partitions: int = 4
    articles: int = 600
    rate: float | None = None        # articles/s; None: as fast as possible
    duration: float | None = None    # produce for this long (steady-state runs) instead of `articles`
    batch_size: int = 16
    batch_wait: float = 0.2
    warmup: int = 16
    sample_every: float = 2.0
    start: int = 0                   # first corpus index


@dataclass
class Context:
    """What every run shares: the broker, the corpus, where logs go, the broker's pid."""

    settings: Settings
    article: Callable[[int, str], Article]   # (index, id prefix) -> article
    log_dir: Path
    broker_pid: int | None = None
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:6])
    profile_dir: Path | None = None          # py-spy profiles of the workers, when set
    say: Callable[[str], None] = lambda text: None

    def phase_settings(self, phase: Phase) -> Settings:
        p = f"bench-{self.tag}-{phase.name}"
        return self.settings.replace(
            app_id=p, articles_topic=f"{p}-articles", events_topic=f"{p}-events", alerts_topic=f"{p}-alerts",
            dlq_topic=f"{p}-dlq", matches_topic=f"{p}-matches", silences_topic=f"{p}-silences",
            partitions=phase.partitions, batch_size=phase.batch_size, batch_wait=phase.batch_wait,
            session_timeout=min(self.settings.session_timeout, 6.0))


@dataclass
class Sent:
    wall: float          # time.time() just before send()
    record_ts: float     # the record's timestamp (CreateTime), seconds


class AlertFollower:
    """Follows the alerts topic; keeps (alert id, revision, article id, record time, receive time).

    Its own consumer asks the broker to answer fetches within 50 ms, so the
    receive times add little of the follower's own waiting.
    """

    def __init__(self, settings: Settings):
        self.settings = settings
        self.records: list[tuple[str, int, str, float, float]] = []
        self.read = 0
        self.task: asyncio.Task | None = None

    async def _run(self) -> None:
        s = self.settings
        consumer = AIOKafkaConsumer(enable_auto_commit=False, fetch_max_wait_ms=50,
                                    max_partition_fetch_bytes=max(s.max_message_bytes * 2, 1_048_576),
                                    **client_kwargs(s))
        await consumer.start()
        try:
            parts: set[int] = set()
            while not parts:
                parts = consumer.partitions_for_topic(s.alerts_topic) or set()
                if not parts:
                    await consumer._client.force_metadata_update()  # noqa: SLF001
                    await asyncio.sleep(0.2)
            tps = [TopicPartition(s.alerts_topic, p) for p in sorted(parts)]
            consumer.assign(tps)
            await consumer.seek_to_beginning(*tps)
            while True:
                batches = await consumer.getmany(timeout_ms=1000, max_records=500)
                now = time.time()
                for records in batches.values():
                    for rec in records:
                        self.read += 1
                        try:
                            data = json.loads(rec.value or b"{}")
                            self.records.append((data["id"], int(data.get("revision", 1)), data["article"]["id"],
                                                 rec.timestamp / 1000.0, now))
                        except (ValueError, KeyError, TypeError):
                            continue
        finally:
            await consumer.stop()

    def start(self) -> None:
        self.task = asyncio.create_task(self._run())

    async def drain(self, timeout: float = 30.0) -> None:
        total = sum((await end_offsets(self.settings, self.settings.alerts_topic)).values())
        deadline = time.monotonic() + timeout
        while self.read < total and time.monotonic() < deadline:
            if self.task is not None and self.task.done():
                self.task.result()
            await asyncio.sleep(0.1)

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            try:
                await self.task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001
                pass


class Monitor:
    """Scrapes every worker's /metrics every ``poll`` seconds (progress) and keeps an RSS
    sample every ``every`` seconds. Scraping costs the worker CPU (about 1% at once a
    second), so measured runs poll only as often as they sample."""

    def __init__(self, workers: list[WorkerProcess], every: float, poll: float | None = None):
        self.workers = workers
        self.every = every
        self.poll = poll or every
        self.rss: dict[str, list[tuple[float, float]]] = {w.name: [] for w in workers}
        self.consumed = 0.0
        self._last_sample = 0.0
        self.task: asyncio.Task | None = None

    async def tick(self) -> None:
        scrapes = await asyncio.gather(*(w.scrape() for w in self.workers))
        self.consumed = sum(s.get("sitrep_articles_consumed_total") for s in scrapes if s)
        now = time.time()
        if now - self._last_sample >= self.every:
            self._last_sample = now
            for w, s in zip(self.workers, scrapes):
                if s is not None:
                    self.rss[w.name].append((now, s.get("process_resident_memory_bytes") / MB))

    async def _run(self) -> None:
        while True:
            await self.tick()
            for w in self.workers:
                if not w.alive():
                    raise SitrepError(f"worker {w.name} exited:\n{w.log_tail()}")
            await asyncio.sleep(self.poll)

    def start(self) -> None:
        self._last_sample = 0.0
        self.task = asyncio.create_task(self._run())

    def check(self) -> None:
        if self.task is not None and self.task.done():
            self.task.result()

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            try:
                await self.task
            except asyncio.CancelledError:
                pass


def _producer(settings: Settings) -> AIOKafkaProducer:
    return AIOKafkaProducer(acks="all", linger_ms=5, request_timeout_ms=30_000,
                            max_request_size=max(settings.max_message_bytes * 2, 1_048_576),
                            **client_kwargs(settings))


async def _produce(producer: AIOKafkaProducer, topic: str, articles: Iterator[Article], *, rate_: float | None,
                   count: int | None, duration: float | None, window: Callable[[int], bool]) -> dict[str, Sent]:
    """Send articles (paced at ``rate_`` if given); ``window(sent)`` may hold a closed-loop run back."""
    pending: list[tuple[str, float, Any]] = []
    t0 = time.time()
    k = 0
    for article in articles:
        if count is not None and k >= count:
            break
        if duration is not None and time.time() - t0 >= duration:
            break
        if rate_:
            delay = t0 + k / rate_ - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
        else:
            while not window(k):
                await asyncio.sleep(0.05)
        wall = time.time()
        fut = await producer.send(topic, key=article.id.encode(), value=to_json(article))
        pending.append((article.id, wall, fut))
        k += 1
        if k % 64 == 0:
            await asyncio.sleep(0)  # let the follower and the monitor run
    sent: dict[str, Sent] = {}
    for aid, wall, fut in pending:
        meta = await fut
        ts = meta.timestamp / 1000.0 if meta.timestamp and meta.timestamp > 0 else wall
        sent[aid] = Sent(wall, ts)
    return sent


async def _wait_done(settings: Settings, monitor: Monitor, timeout: float) -> None:
    """Until the group has committed every record of its three input topics (checked in the
    order data flows, so the events and matches of every article are counted)."""
    topics = [settings.articles_topic, settings.events_topic, settings.matches_topic]
    deadline = time.monotonic() + timeout
    while True:
        monitor.check()
        if await group_caught_up(settings, settings.app_id, topics):
            return
        if time.monotonic() > deadline:
            raise SitrepError(f"the run did not finish within {timeout:.0f}s "
                              f"(about {monitor.consumed:.0f} articles consumed)")
        await asyncio.sleep(0.5)


async def _delete_topics(settings: Settings) -> None:
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(**client_kwargs(settings))
    try:
        await admin.start()
        names = [t for t in await admin.list_topics() if t.startswith(settings.app_id)]
        if names:
            await admin.delete_topics(names)
    except Exception as exc:  # noqa: BLE001 - best effort: the broker may not support it
        log.debug("could not delete the run's topics: %r", exc)
    finally:
        await admin.close()


async def run_phase(ctx: Context, phase: Phase) -> dict:
    """Run ``phase`` end to end and return its measurements (see ``measure``)."""
    settings = ctx.phase_settings(phase)
    await ensure_topics(settings)
    ctx.say(f"{phase.name}: starting {phase.workers} worker(s) on {phase.partitions} partitions")
    workers = await start_workers(settings, phase.workers, ctx.log_dir, f"{ctx.tag}-{phase.name}")
    follower = AlertFollower(settings)
    closed_loop = bool(phase.duration) and not phase.rate
    monitor = Monitor(workers, phase.sample_every, poll=1.0 if closed_loop else None)
    producer = _producer(settings)
    try:
        assignment = await wait_assigned(workers, settings.articles_topic, phase.partitions)
        follower.start()
        await producer.start()
        monitor.start()
        if phase.warmup:
            warm = (ctx.article(i, f"warm-{phase.name}") for i in range(phase.start, phase.start + phase.warmup))
            await _produce(producer, settings.articles_topic, warm, rate_=None, count=phase.warmup,
                           duration=None, window=lambda k: True)
            await _wait_done(settings, monitor, timeout=300)
        before = [await w.scrape() for w in workers]
        pids = {w.name: w.pid for w in workers}
        pids["broker"] = ctx.broker_pid
        cpu0 = cpu_snapshot(pids)
        profiles = {w.name: ctx.profile_dir / f"{phase.name}-{w.name}.txt" for w in workers} if ctx.profile_dir else {}
        spies = [profile.start(w.pid, profiles[w.name]) for w in workers if w.pid] if profiles else []
        base = monitor.consumed
        articles = (ctx.article(i, phase.name) for i in _indices(phase))
        backlog = max(64, 4 * phase.batch_size * phase.workers)
        what = (f"{phase.duration:.0f}s" if phase.duration else f"{phase.articles} articles") + \
               (f" at {phase.rate:.1f}/s" if phase.rate else " as fast as possible")
        ctx.say(f"{phase.name}: producing {what}")
        sent = await _produce(producer, settings.articles_topic, articles, rate_=phase.rate,
                              count=None if phase.duration else phase.articles, duration=phase.duration,
                              window=lambda k: k - (monitor.consumed - base) < backlog)
        first = min(s.wall for s in sent.values())
        await _wait_done(settings, monitor, timeout=120 + len(sent) * 1.0)
        cpu1 = cpu_snapshot(pids)
        await asyncio.to_thread(profile.stop, spies)
        after = [await w.scrape() for w in workers]
        await monitor.tick()
        await follower.drain()
        result = measure(phase, settings, workers, before, after, sent, first, follower.records, monitor.rss,
                         cpu_delta(cpu1, cpu0), assignment)
        if profiles:
            result["profile"] = {name: dict(profile.summarise(path), file=str(path))
                                 for name, path in profiles.items() if path.exists()}
        return result
    finally:
        await monitor.stop()
        await follower.stop()
        try:
            await producer.stop()
        except Exception:  # noqa: BLE001
            pass
        await asyncio.to_thread(stop_workers, workers)
        await _delete_topics(settings)


def _indices(phase: Phase) -> Iterator[int]:
    i = phase.start
    while True:
        yield i
        i += 1


def _d(after: list[Samples], before: list[Samples], name: str, **labels: str) -> float:
    return sum(a.get(name, **labels) - b.get(name, **labels) for a, b in zip(after, before) if a and b)


def measure(phase: Phase, settings: Settings, workers: list[WorkerProcess], before: list[Samples],
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
                        "slope_mb_per_min": per_min}
    return {
        "name": phase.name,
        "workers": phase.workers,
        "partitions": phase.partitions,
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
        "worker_cpu_seconds": worker_cpu,
        "worker_cpu_ms_per_article": 1000 * worker_cpu / n if n else None,
        "rss_mb": memory,
        "cpu": cpu,
        "assignment": assignment,
        "worker_info": _worker_info(after),
    }


def _worker_info(scrapes: list[Samples]) -> dict:
    """Labels of ``sitrep_worker_info`` (versions of sitrep, spaCy, the model and the extractor)."""
    for s in scrapes:
        for (name, labels), _ in (s.values.items() if s else []):
            if name == "sitrep_worker_info":
                return {k: v for k, v in labels if k != "worker"}
    return {}


def with_defaults(phase: Phase, **changes: Any) -> Phase:
    return replace(phase, **changes)
