"""Silences from the compacted silences topic, so every worker obeys the same set.

Each worker reads the whole topic (no consumer group: every partition,
from the beginning) into memory and keeps following it. A record's key is
the silence id and its value the Silence as JSON; a later record with the
same id replaces the earlier one, and compaction keeps only the latest.

``sitrep_silences_active`` follows the feed: it is updated when a record
arrives, every few seconds (silences start and end with time), and when an
alert is checked.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime, timezone

from .alerting import Silence, silenced_by
from .config import Settings
from .metrics import Metrics
from .models import Alert
from .tasks import cancel_and_wait

__all__ = ["SilenceFeed"]

log = logging.getLogger(__name__)

GAUGE_INTERVAL = 5.0


class SilenceFeed:
    def __init__(self, settings: Settings, metrics: Metrics | None = None):
        self.settings = settings
        self.metrics = metrics
        self.silences: dict[str, Silence] = {}
        self._tasks: list[asyncio.Task] = []
        self.loaded = asyncio.Event()

    def apply(self, key: bytes | None, value: bytes | None) -> None:
        """Apply one record of the topic (pure; also used by the CLI to list silences)."""
        if key is None:
            return
        sid = key.decode("utf-8", "replace")
        if value is None:
            self.silences.pop(sid, None)
            return
        try:
            self.silences[sid] = Silence.from_dict(json.loads(value))
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("ignoring unreadable silence %s: %r", sid, exc)

    def update_gauge(self, now: datetime | None = None) -> int:
        active = len(self.active(now or datetime.now(timezone.utc)))
        if self.metrics is not None:
            self.metrics.silences_active.set(active)
        return active

    def active(self, now: datetime) -> list[Silence]:
        return [s for s in self.silences.values() if s.starts_at <= now < s.ends_at]

    def silenced_by(self, alert: Alert, now: datetime) -> Silence | None:
        active = self.active(now)
        if self.metrics is not None:
            self.metrics.silences_active.set(len(active))
        return silenced_by(alert, active, now) if active else None

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self._follow(), name="silence-feed"),
                       asyncio.create_task(self._tick(), name="silence-gauge")]

    async def stop(self) -> None:
        await cancel_and_wait(*self._tasks)
        self._tasks = []

    async def _tick(self) -> None:
        while True:
            self.update_gauge()
            await asyncio.sleep(GAUGE_INTERVAL)

    async def _follow(self) -> None:
        from .clients import read_topic

        while True:
            try:
                async for record in read_topic(self.settings, self.settings.silences_topic,
                                               from_beginning=True, follow=True, idle_timeout=None):
                    self.apply(record.key, record.value)
                    self.update_gauge()
                    self.loaded.set()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - keep following; the broker may be back later
                # Re-reading from the beginning re-applies every record; the latest per id wins.
                log.warning("silences feed interrupted (%r); retrying", exc)
                await asyncio.sleep(2.0)
