"""``SinkSet``: the one object the worker holds, fanning every alert out to each configured sink."""

from __future__ import annotations

import asyncio
import logging
import os
import random
from typing import TYPE_CHECKING, Any, Iterable, Mapping

import aiohttp

from ..models import Alert
from .alertmanager import AlertmanagerSink
from .base import QueuedSink, RetryPolicy, Sink
from .settings import SinkSettings
from .webhook import WebhookSink

if TYPE_CHECKING:  # pragma: no cover
    from ..metrics import Metrics

__all__ = ["SinkSet", "build_sinks"]

log = logging.getLogger("stream.sinks")


class SinkSet:
    """Start, deliver, flush, stop. ``deliver`` only queues, so it returns at once and never raises.

    ::

        sinks = build_sinks(SinkSettings.from_env(), metrics=metrics)
        await sinks.start()
        await sinks.deliver(alert)      # after the alert is on the alerts topic
        await sinks.stop()              # waits up to stop_timeout for queued alerts
    """

    def __init__(self, sinks: Iterable[Sink], *, policy: RetryPolicy | None = None, queue_size: int = 1000,
                 stop_timeout: float = 10.0, metrics: "Metrics | None" = None,
                 rng: random.Random | None = None):
        self.policy = policy or RetryPolicy()
        self.stop_timeout = stop_timeout
        self.queued = [QueuedSink(s, self.policy, queue_size=queue_size, metrics=metrics, rng=rng) for s in sinks]
        self._session: aiohttp.ClientSession | None = None

    @property
    def names(self) -> list[str]:
        return [q.sink.describe() for q in self.queued]

    @property
    def enabled(self) -> bool:
        return bool(self.queued)

    @property
    def pending(self) -> int:
        return sum(q.pending for q in self.queued)

    async def start(self) -> None:
        if self._session is not None or not self.queued:
            return
        self._session = aiohttp.ClientSession()
        for q in self.queued:
            q.start(self._session)
        log.info("alert sinks started: %s", ", ".join(self.names))

    async def deliver(self, alert: Alert) -> None:
        for q in self.queued:
            q.submit(alert)

    async def flush(self, timeout: float | None = None) -> bool:
        """Wait until every queued alert got an outcome; False if ``timeout`` ran out first."""
        if not self.queued:
            return True
        try:
            await asyncio.wait_for(asyncio.gather(*(q.join() for q in self.queued)), timeout)
        except asyncio.TimeoutError:
            return False
        return True

    async def stop(self) -> None:
        if self._session is None:
            return
        if not await self.flush(self.stop_timeout):
            log.warning("alert sinks: %d alerts still queued after %gs", self.pending, self.stop_timeout)
        for q in self.queued:
            await q.stop()
        await self._session.close()
        self._session = None

    async def __aenter__(self) -> "SinkSet":
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


def build_sinks(
    config: SinkSettings | Mapping[str, str] | Any | None = None,
    *,
    metrics: "Metrics | None" = None,
    rng: random.Random | None = None,
) -> SinkSet:
    """A ``SinkSet`` for ``config``: ``SinkSettings``; a mapping of ``SITREP_*`` variables;
    any object with ``SinkSettings`` field names as attributes; or ``None`` for ``os.environ``.

    With nothing configured the set is empty and ``deliver`` does nothing.
    """
    if config is None:
        settings = SinkSettings.from_env(os.environ)
    elif isinstance(config, SinkSettings):
        settings = config
    elif isinstance(config, Mapping):
        settings = SinkSettings.from_env(config)
    else:
        settings = SinkSettings.from_object(config)
    sinks: list[Sink] = [
        AlertmanagerSink(url, timeout=settings.alertmanager_timeout,
                         resolve_timeout=settings.alertmanager_resolve_timeout)
        for url in settings.alertmanager_urls
    ]
    if settings.webhook_url:
        sinks.append(WebhookSink(settings.webhook_url, timeout=settings.webhook_timeout,
                                 secret=settings.webhook_secret))
    policy = RetryPolicy(retries=settings.retries, initial=settings.backoff_initial,
                         maximum=settings.backoff_max, jitter=settings.backoff_jitter)
    return SinkSet(sinks, policy=policy, queue_size=settings.queue_size,
                   stop_timeout=settings.stop_timeout, metrics=metrics, rng=rng)
