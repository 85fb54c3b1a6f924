"""One measured run of the whole pipeline through the broker.

Each run gets its own topics and consumer group, starts its workers, warms
them up, then produces articles (a backlog, a fixed rate, or for a duration)
while sampling every worker's /metrics, and follows the alerts topic. It ends
when the group has committed every input record (Faust commits only after a
record's results are produced) and the alerts topic has been read to its end.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from aiokafka import AIOKafkaProducer

from ..clients import group_caught_up
from ..config import Settings
from ..errors import SitrepError
from ..kafka import client_kwargs, ensure_topics
from ..models import Article, to_json
from . import profile
from .follow import AlertFollower, Monitor
from .measure import Sent, measure
from .scrape import cpu_delta, cpu_snapshot
from .workers import start_workers, stop_workers, wait_assigned

__all__ = ["Phase", "Context", "run_phase"]

log = logging.getLogger(__name__)


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
    # Articles keep their id as key but go to the partitions in turn, so each worker of a
    # group gets the same number (a firehose's share over minutes); False: partition by the key
    # hash, as sitrep produce does (600 hashed ids put 4% more on one of 2 workers, 1 sigma).
    spread: bool = True


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


def _producer(settings: Settings) -> AIOKafkaProducer:
    return AIOKafkaProducer(acks="all", linger_ms=5, request_timeout_ms=30_000,
                            max_request_size=max(settings.max_message_bytes * 2, 1_048_576),
                            **client_kwargs(settings))


async def _produce(producer: AIOKafkaProducer, topic: str, articles: Iterator[Article], *, rate_: float | None,
                   count: int | None, duration: float | None, window: Callable[[int], bool],
                   partitions: int | None = None) -> dict[str, Sent]:
    """Send articles (paced at ``rate_`` if given); ``window(sent)`` may hold a closed-loop run back.
    With ``partitions``, article k goes to partition k mod partitions (else: by key hash)."""
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
        fut = await producer.send(topic, key=article.id.encode(), value=to_json(article),
                                  partition=k % partitions if partitions else None)
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
        spread = phase.partitions if phase.spread else None
        follower.start()
        await producer.start()
        monitor.start()
        if phase.warmup:
            warm = (ctx.article(i, f"warm-{phase.name}") for i in range(phase.start, phase.start + phase.warmup))
            await _produce(producer, settings.articles_topic, warm, rate_=None, count=phase.warmup,
                           duration=None, window=lambda k: True, partitions=spread)
            await _wait_done(settings, monitor, timeout=300)
        before = [await w.scrape() for w in workers]
        pids = {w.name: w.pid for w in workers}
        pids["broker"] = ctx.broker_pid
        cpu0 = cpu_snapshot(pids)
        profiles = {w.name: ctx.profile_dir / f"{phase.name}-{w.name}.txt" for w in workers} if ctx.profile_dir else {}
        spies = [profile.start(w.pid, profiles[w.name]) for w in workers if w.pid] if profiles else []
        base = monitor.consumed
        articles = (ctx.article(i, phase.name) for i in itertools.count(phase.start))
        # Articles produced ahead of those consumed; ``consumed`` is scraped every couple of
        # seconds, so the allowance must outlast a scrape interval at full speed (256: ~10 s).
        backlog = max(256, 4 * phase.batch_size * phase.workers)
        what = (f"{phase.duration:.0f}s" if phase.duration else f"{phase.articles} articles") + \
               (f" at {phase.rate:.1f}/s" if phase.rate else " as fast as possible")
        ctx.say(f"{phase.name}: producing {what}")
        sent = await _produce(producer, settings.articles_topic, articles, rate_=phase.rate,
                              count=None if phase.duration else phase.articles, duration=phase.duration,
                              window=lambda k: k - (monitor.consumed - base) < backlog, partitions=spread)
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
