"""What a benchmark run watches while it runs: the alerts topic and the workers' /metrics."""

from __future__ import annotations

import asyncio
import json
import time

from ..clients import end_offsets, read_topic
from ..config import Settings
from ..errors import SitrepError
from ..tasks import cancel_and_wait
from .workers import WorkerProcess

__all__ = ["AlertFollower", "Monitor", "MB"]

MB = 1024 * 1024


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
        async for rec in read_topic(self.settings, self.settings.alerts_topic, follow=True, fetch_wait=0.05):
            now = time.time()
            self.read += 1
            try:
                data = json.loads(rec.value or b"{}")
                self.records.append((data["id"], int(data.get("revision", 1)), data["article"]["id"],
                                     rec.timestamp, now))
            except (ValueError, KeyError, TypeError):
                continue

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
        await cancel_and_wait(self.task)


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
        await cancel_and_wait(self.task)
