"""The Faust consumer sitrep runs: a bounded fetch wait, and no record fetched and then skipped.

Fetch wait. faust-streaming 0.15.3 creates its consumer with
``fetch_max_wait_ms=1500`` and no setting to change it. A broker may hold a
fetch that long when no record is ready (the bundled broker always does),
and an article crosses three consumers on its way to an alert, so that one
constant alone put end to end latency near two seconds. ``SitrepApp`` uses
the configured wait (``Settings.fetch_wait``, 0.1 s by default).

Rewinding. faust drops the rest of a fetched batch when the flow stops or
the generation changes while it hands the batch out, and the records of a
partition paused since the fetch, although the fetcher's position has moved
past them. Unless a seek repositioned the partition later, they were never
seen again: a restarted worker sat 20 to 40 records behind on every
partition with nothing left to fetch. ``getmany`` seeks each such partition
back to the first record it did not hand out.

Fresh partitions. aiokafka's ``seek_to_committed`` does not move a
partition that has no committed offset (or 0): it stays wherever the
fetcher left it. Records fetched there while the worker started, and then
dropped when table recovery cleared faust's buffers, were never seen again:
a worker restarted before its predecessor's first commit processed nothing
(the stateful-restart test, "90 articles never processed"). ``perform_seek``
starts such partitions from their earliest offset.

Seek guard. After a rebalance, faust seeks each partition to its committed
offset C and takes the next record it hands out as the truth: when that
record is further on (O > C), it books C..O-1 as a gap in the log (as
compaction leaves) and counts them acknowledged, so they are committed
without ever being processed. Records fetched *before* the seek can still
be handed out after it (the fetch runs in the consumer thread; the main
loop picks its result up later), and the fault suite saw exactly that:
windows of 5 to 190 records skipped right after "Worker ready". The guard
holds each partition of an acknowledged topic to its seek: the first record
handed out must be the one at C. A later one is dropped and the partition
is sought to C again; only when fresh fetches keep starting past C
(``RESEEKS`` times: the log really has a hole there, e.g. a transaction
marker) is the jump accepted. Changelog topics (no acks) are left alone.
"""

from __future__ import annotations

import logging
from typing import Any, AsyncIterator, Awaitable, Callable

import faust
from faust.transport.drivers import aiokafka as driver
from faust.types import TP

__all__ = ["RESEEKS", "SeekGuard", "SitrepApp", "guard_records"]

log = logging.getLogger(__name__)

RESEEKS = 3


class _ConsumerThread(driver.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        wait_ms = getattr(self.consumer.app, "sitrep_fetch_wait_ms", None)
        if wait_ms is not None:
            consumer._fetch_max_wait_ms = wait_ms  # noqa: SLF001 - read when the consumer starts
        return consumer


class SeekGuard:
    """Which offset the first record of each partition must have after a seek."""

    def __init__(self) -> None:
        self.expect: dict[TP, int] = {}
        self.attempts: dict[TP, int] = {}
        self.reseeks = 0      # records fetched before a seek, caught and fetched again
        self.holes = 0        # jumps accepted as real holes in the log

    def sought(self, tp: TP, offset: int | None, guarded: bool) -> None:
        if guarded and offset is not None and offset >= 0:
            self.expect[tp] = offset
        else:
            self.expect.pop(tp, None)
            self.attempts.pop(tp, None)

    def check(self, tp: TP, offset: int) -> str:
        """``deliver``; ``reseek`` (fetched before the seek: drop it, seek again); ``hole`` (deliver:
        fetches after ``RESEEKS`` seeks still start past the sought offset, so nothing is there)."""
        want = self.expect.get(tp)
        if want is None or offset <= want:
            if want is not None and offset == want:
                self.expect.pop(tp, None)
                self.attempts.pop(tp, None)
            return "deliver"   # below the seek: faust drops it itself (offset < read offset)
        if self.attempts.get(tp, 0) < RESEEKS:
            self.attempts[tp] = self.attempts.get(tp, 0) + 1
            self.reseeks += 1
            return "reseek"
        self.holes += 1
        self.expect.pop(tp, None)
        self.attempts.pop(tp, None)
        return "hole"


async def guard_records(records: AsyncIterator[tuple[TP, Any]], guard: SeekGuard,
                        reseek: Callable[[TP, int], Awaitable[None]]) -> AsyncIterator[tuple[TP, Any]]:
    """Hand out ``records`` (pairs of partition and message) held to ``guard``'s seeks."""
    resought: set[TP] = set()
    async for tp, message in records:
        if tp in resought:
            continue     # the rest of a stale batch
        verdict = guard.check(tp, message.offset) if guard.expect else "deliver"
        if verdict == "reseek":
            want = guard.expect[tp]
            log.warning("%s[%d]: first record after seeking to %d is %d (fetched before the seek); "
                        "seeking to %d again", tp.topic, tp.partition, want, message.offset, want)
            resought.add(tp)
            await reseek(tp, want)
            continue
        if verdict == "hole":
            log.warning("%s[%d]: still no record at the sought offset after %d seeks; taking %d as "
                        "the next record", tp.topic, tp.partition, RESEEKS, message.offset)
        yield tp, message


class _Consumer(driver.Consumer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.seek_guard = SeekGuard()
        # Seeks per partition since start: a rewind never undoes a seek made after its fetch.
        self.seek_epochs: dict[TP, int] = {}

    def _new_consumer_thread(self) -> driver.AIOKafkaConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)

    def _guarded(self, tp: TP) -> bool:
        return bool(self.app.topics.acks_enabled_for(tp.topic))

    async def perform_seek(self) -> None:
        self._sought(self.assignment())
        await super().perform_seek()
        # aiokafka leaves a partition without a committed offset (or committed at 0) where
        # its fetch position happens to be; records fetched there before recovery paused the
        # stream were dropped with faust's buffers, so start such a partition from the beginning.
        fresh = [tp for tp in self.assignment() if self._guarded(tp) and not self._read_offset.get(tp)]
        if fresh:
            earliest = await self.earliest_offsets(*fresh)
            starts = {tp: max(earliest.get(tp) or 0, 0) for tp in fresh}
            await self.seek_wait(starts)
            for tp, offset in starts.items():
                self._read_offset[tp] = offset if offset else None
        for tp in self.assignment():
            offset = self._read_offset.get(tp)
            self.seek_guard.sought(tp, offset if offset is not None else (0 if tp in fresh else None),
                                   self._guarded(tp))

    async def seek(self, partition: TP, offset: int) -> None:
        self._sought([partition])
        await super().seek(partition, offset)
        self.seek_guard.sought(partition, offset, self._guarded(partition))

    async def getmany(self, timeout: float) -> AsyncIterator[tuple[TP, Any]]:
        async for tp, message in guard_records(self._getmany_rewinding(timeout), self.seek_guard, self._reseek):
            yield tp, message

    async def _getmany_rewinding(self, timeout: float) -> AsyncIterator[tuple[TP, Any]]:
        """faust's ``getmany``, except that records taken from the fetcher and not handed out are
        fetched again.

        faust drops the rest of a fetched batch when the flow stops or the generation changes
        while it hands the batch out, and drops the records of a partition paused since the
        fetch; the fetcher's position has moved past them all the same. When no seek
        repositions the partition afterwards, they are never seen again: a restarted worker sat
        with every partition 20 to 40 records behind and nothing left to fetch. Here each such
        partition is sought back to the first record not handed out.
        """
        records, active_partitions = await self._wait_next_records(timeout)
        generation_id = self.app.consumer_generation_id
        epochs = dict(self.seek_epochs)
        if records is None or self.should_stop:
            return
        if not self.flow_active:
            try:
                await self.perform_seek()   # as faust does: back to the committed offsets
            except Exception as exc:  # noqa: BLE001
                log.warning("seek to committed offsets with the flow stopped failed: %r", exc)
            return
        handed: dict[TP, int] = {}
        try:
            for tp, record in self.scheduler.iterate(records):
                if not self.flow_active or self.app.consumer_generation_id != generation_id:
                    break
                if active_partitions is None or tp in active_partitions or tp in self._buffered_partitions:
                    self.app.monitor.track_tp_end_offset(tp, self.highwater(tp))
                    handed[tp] = handed.get(tp, 0) + 1
                    yield tp, self._to_message(tp, record)
        finally:
            await self._rewind(records, handed, epochs)

    async def _rewind(self, records: Any, handed: dict[TP, int], epochs: dict[TP, int]) -> None:
        assigned = self.assignment()
        for tp, batch in records.items():
            done = handed.get(tp, 0)
            if done >= len(batch) or tp not in assigned or self.seek_epochs.get(tp) != epochs.get(tp):
                continue   # all handed out, taken away, or sought since the fetch
            first = batch[done].offset
            log.info("%s[%d]: records %d..%d were fetched but not handed out; fetching them again",
                     tp.topic, tp.partition, first, batch[-1].offset)
            try:
                await self._reseek(tp, first)
            except Exception as exc:  # noqa: BLE001 - a rebalance took the partition meanwhile
                log.info("%s[%d]: could not seek back to %d (%r); the next assignment seeks anyway",
                         tp.topic, tp.partition, first, exc)

    def _sought(self, tps: Any) -> None:
        for tp in tps:
            self.seek_epochs[tp] = self.seek_epochs.get(tp, 0) + 1

    async def _reseek(self, tp: TP, offset: int) -> None:
        self._sought([tp])
        await self.seek_wait({tp: offset})
        self._read_offset[tp] = offset if offset else None
        self.seek_guard.sought(tp, offset, self._guarded(tp))

    async def _add_gap(self, tp: TP, offset_from: int, offset_to: int) -> None:
        # Faust counts the offsets it jumped over as acknowledged. On these topics that
        # only happens for a real hole in the log; say so, since they are never processed.
        log.warning("offsets %d..%d of %s[%d] taken as a hole in the log (committed %r): not processed",
                    offset_from, offset_to - 1, tp.topic, tp.partition, self._committed_offset[tp])
        await super()._add_gap(tp, offset_from, offset_to)


class _Transport(driver.Transport):
    Consumer = _Consumer


class SitrepApp(faust.App):
    """``faust.App`` with sitrep's consumer: fetch wait from ``sitrep_fetch_wait_ms``, seek guard.

    ``sitrep_client_kwargs`` (``stream.kafka.client_kwargs``) serves the side clients that
    table recovery and the stall report open next to Faust's own.
    """

    sitrep_fetch_wait_ms: int | None = None
    sitrep_client_kwargs: dict[str, Any] = {}

    def _new_transport(self) -> Any:
        return _Transport(self.conf.broker_consumer, self)
