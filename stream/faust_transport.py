"""A Faust app whose consumer waits at most ``fetch_wait`` for new records.

faust-streaming 0.15.3 creates its consumer with ``fetch_max_wait_ms=1500``
and no setting to change it. A broker may hold a fetch that long when no
record is ready (the bundled broker always does), and an article crosses
three consumers on its way to an alert, so that one constant alone put end
to end latency near two seconds. ``SitrepApp`` uses the configured wait
(``Settings.fetch_wait``, 0.1 s by default) instead; a shorter wait costs
the broker a few more idle fetch requests.
"""

from __future__ import annotations

from typing import Any

import faust
from faust.transport.drivers import aiokafka as driver

__all__ = ["SitrepApp"]


class _ConsumerThread(driver.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        wait_ms = getattr(self.consumer.app, "sitrep_fetch_wait_ms", None)
        if wait_ms is not None:
            consumer._fetch_max_wait_ms = wait_ms  # noqa: SLF001 - read when the consumer starts
        return consumer


class _Consumer(driver.Consumer):
    def _new_consumer_thread(self) -> driver.AIOKafkaConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class _Transport(driver.Transport):
    Consumer = _Consumer


class SitrepApp(faust.App):
    """``faust.App`` with the consumer fetch wait taken from ``sitrep_fetch_wait_ms``."""

    sitrep_fetch_wait_ms: int | None = None

    def _new_transport(self) -> Any:
        return _Transport(self.conf.broker_consumer, self)
