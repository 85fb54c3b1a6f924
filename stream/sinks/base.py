"""What every sink shares: the outcome of a delivery, retries with backoff, and a queue.

A ``Sink`` knows how to make one attempt at delivering a batch of alerts
(``send``), and says whether a failure is worth retrying by the exception it
raises. ``QueuedSink`` wraps a sink with a bounded queue and one background
task, so the pipeline never waits on a slow receiver: it retries with
exponential backoff and jitter, counts every outcome in
``sitrep_sink_deliveries_total{sink, result}`` and logs failures, and never
lets an exception out.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Awaitable, Callable, Sequence

import aiohttp

from ..errors import SitrepError
from ..models import Alert
from ..tasks import cancel_and_wait

if TYPE_CHECKING:  # pragma: no cover
    from ..metrics import Metrics

__all__ = [
    "Outcome",
    "RetryPolicy",
    "SinkError",
    "RetryableError",
    "PermanentError",
    "Sink",
    "QueuedSink",
    "classify_status",
]

log = logging.getLogger("stream.sinks")


class Outcome(str, enum.Enum):
    """Values of the ``result`` label, one count per alert."""

    DELIVERED = "delivered"   # the receiver accepted it
    RETRIED = "retried"       # an attempt failed and another follows
    FAILED = "failed"         # retryable failures until the retries ran out
    REJECTED = "rejected"     # permanent failure (4xx): not retried
    DROPPED = "dropped"       # never attempted: queue full, sink not started, or left at stop


class SinkError(SitrepError):
    """One delivery attempt failed."""


class RetryableError(SinkError):
    """Connection error, timeout, 5xx, 408/425/429: worth another attempt."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(SinkError):
    """Any other 4xx, redirects, bad URLs: the same request will fail again."""


RETRYABLE_4XX = frozenset({408, 425, 429})


def classify_status(status: int, detail: str, retry_after: str | None = None) -> None:
    """Raise the right ``SinkError`` for a non-2xx HTTP status; return on 2xx."""
    if 200 <= status < 300:
        return
    message = f"HTTP {status}: {detail[:200]}" if detail else f"HTTP {status}"
    if status >= 500 or status in RETRYABLE_4XX:
        raise RetryableError(message, retry_after=_parse_retry_after(retry_after))
    raise PermanentError(message)


def _parse_retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:  # an HTTP date: ignore, use the backoff
        return None


@dataclass(frozen=True)
class RetryPolicy:
    """``retries`` attempts after the first; waits grow 2x from ``initial`` up to ``maximum``.

    ``jitter`` is the largest fraction taken off each wait at random, so
    workers that failed together do not retry together.
    """

    retries: int = 3
    initial: float = 0.5
    maximum: float = 30.0
    jitter: float = 0.5

    def delay(self, retry: int, rng: random.Random | None = None, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``retry`` (0 for the first retry)."""
        ceiling = min(self.maximum, self.initial * (2 ** retry))
        wait = ceiling * (1.0 - self.jitter * (rng or random).random())
        if retry_after is not None:  # the server asked: honour it, within the cap
            wait = max(wait, min(retry_after, self.maximum))
        return wait


class Sink:
    """One receiver. Subclasses set ``name`` and ``max_batch`` and implement ``send``."""

    name: str = "sink"
    max_batch: int = 1

    async def send(self, session: aiohttp.ClientSession, alerts: Sequence[Alert]) -> None:
        """Make one attempt; raise ``RetryableError`` or ``PermanentError`` on failure."""
        raise NotImplementedError

    def describe(self) -> str:
        return self.name


Sleep = Callable[[float], Awaitable[None]]


class QueuedSink:
    """A sink behind a bounded queue, drained by one task with retries."""

    def __init__(
        self,
        sink: Sink,
        policy: RetryPolicy,
        *,
        queue_size: int = 1000,
        metrics: "Metrics | None" = None,
        rng: random.Random | None = None,
        sleep: Sleep = asyncio.sleep,
    ):
        self.sink = sink
        self.policy = policy
        self.queue_size = queue_size
        self.metrics = metrics
        self._rng = rng or random.Random()
        self._sleep = sleep
        self._queue: asyncio.Queue[Alert] | None = None
        self._task: asyncio.Task | None = None
        self._session: aiohttp.ClientSession | None = None
        if metrics is not None:  # every series exists from the start, so rate() sees zeros
            for outcome in Outcome:
                metrics.sink_deliveries.labels(sink=sink.name, result=outcome.value)

    # ---------------------------------------------------------------- lifecycle
    def start(self, session: aiohttp.ClientSession) -> None:
        self._session = session
        self._queue = asyncio.Queue(maxsize=self.queue_size)
        self._task = asyncio.get_running_loop().create_task(self._run(), name=f"sitrep-sink-{self.sink.name}")

    @property
    def pending(self) -> int:
        return self._queue.qsize() if self._queue is not None else 0

    def submit(self, alert: Alert) -> bool:
        """Queue an alert without waiting; False (and counted as dropped) if it cannot be."""
        if self._queue is None or self._task is None or self._task.done():
            self._count(Outcome.DROPPED)
            log.warning("sink %s not running: alert %s dropped", self.sink.describe(), alert.id)
            return False
        try:
            self._queue.put_nowait(alert)
        except asyncio.QueueFull:
            self._count(Outcome.DROPPED)
            log.warning("sink %s queue full (%d): alert %s dropped", self.sink.describe(), self.queue_size, alert.id)
            return False
        return True

    async def join(self) -> None:
        if self._queue is not None:
            await self._queue.join()

    async def stop(self) -> int:
        """Cancel the task; count what is still queued as dropped and return that number."""
        await cancel_and_wait(self._task)
        left = 0
        if self._queue is not None:
            while not self._queue.empty():
                self._queue.get_nowait()
                self._queue.task_done()
                left += 1
        if left:
            self._count(Outcome.DROPPED, left)
            log.warning("sink %s stopped with %d alerts undelivered", self.sink.describe(), left)
        self._task = None
        return left

    # ---------------------------------------------------------------- delivery
    async def _run(self) -> None:
        assert self._queue is not None
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self.sink.max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self.deliver(batch)
            finally:
                for _ in batch:
                    self._queue.task_done()

    async def deliver(self, batch: Sequence[Alert]) -> Outcome:
        """Deliver one batch now, with retries; count and log the outcome. Never raises
        (except ``CancelledError``, which ends the task)."""
        assert self._session is not None, "start() first"
        try:
            return await self._attempts(batch)
        except asyncio.CancelledError:  # stopped mid-delivery or mid-backoff: no answer for the batch
            self._count(Outcome.DROPPED, len(batch))
            raise

    async def _attempts(self, batch: Sequence[Alert]) -> Outcome:
        retry = 0
        while True:
            try:
                await self.sink.send(self._session, batch)
            except RetryableError as exc:
                if retry >= self.policy.retries:
                    self._count(Outcome.FAILED, len(batch))
                    log.warning("sink %s gave up on %s after %d attempts: %s",
                                self.sink.describe(), _ids(batch), retry + 1, exc)
                    return Outcome.FAILED
                self._count(Outcome.RETRIED, len(batch))
                wait = self.policy.delay(retry, self._rng, exc.retry_after)
                log.info("sink %s attempt %d for %s failed (%s); retrying in %.2fs",
                         self.sink.describe(), retry + 1, _ids(batch), exc, wait)
                retry += 1
                await self._sleep(wait)
            except PermanentError as exc:
                self._count(Outcome.REJECTED, len(batch))
                log.warning("sink %s rejected %s: %s", self.sink.describe(), _ids(batch), exc)
                return Outcome.REJECTED
            except Exception:  # a bug in a sink must not stop the pipeline
                self._count(Outcome.FAILED, len(batch))
                log.exception("sink %s failed on %s", self.sink.describe(), _ids(batch))
                return Outcome.FAILED
            else:
                self._count(Outcome.DELIVERED, len(batch))
                return Outcome.DELIVERED

    def _count(self, outcome: Outcome, n: int = 1) -> None:
        if self.metrics is not None:
            self.metrics.sink_deliveries.labels(sink=self.sink.name, result=outcome.value).inc(n)


def _ids(batch: Sequence[Alert]) -> str:
    ids = [a.id for a in batch[:3]]
    more = f" (+{len(batch) - 3} more)" if len(batch) > 3 else ""
    return ", ".join(ids) + more
