"""The seek guard: after a seek, no record from before it may stand in for the sought one.

faust takes the first record it hands out after seeking a partition to its
committed offset C as the next one in the log; a record fetched before the
seek (further on, at O > C) makes it book C..O-1 as a hole and commit them
unprocessed. These drive ``guard_records`` with the record sequences seen in
the fault suite (a stale batch first, then the refetch).
"""

from __future__ import annotations

import asyncio

from faust.types import TP

from stream.faust_transport import RESEEKS, SeekGuard, guard_records

ART = TP("articles", 2)
OTHER = TP("articles", 0)


class Log:
    """A partition log with a fetch position that ``reseek`` moves, and stale batches queued first."""

    def __init__(self, stale: list[tuple[TP, int]], refetch: list[tuple[TP, int]]) -> None:
        self.batches = [stale, refetch]
        self.reseeks: list[tuple[TP, int]] = []

    async def reseek(self, tp: TP, offset: int) -> None:
        self.reseeks.append((tp, offset))

    def run(self, guard: SeekGuard) -> list[tuple[TP, int]]:
        async def go() -> list[tuple[TP, int]]:
            out = []
            for batch in self.batches:
                async def records(batch=batch):
                    for tp, offset in batch:
                        yield tp, type("Message", (), {"offset": offset})()
                async for tp, message in guard_records(records(), guard, self.reseek):
                    out.append((tp, message.offset))
            return out
        return asyncio.run(go())


def test_a_record_fetched_before_the_seek_is_dropped_and_the_partition_sought_again():
    guard = SeekGuard()
    guard.sought(ART, 487, guarded=True)
    guard.sought(OTHER, 10, guarded=True)
    log = Log(stale=[(ART, 677), (OTHER, 10), (ART, 678), (ART, 679), (OTHER, 11)],
              refetch=[(ART, 487), (ART, 488), (ART, 489)])
    delivered = log.run(guard)
    assert log.reseeks == [(ART, 487)]
    assert delivered == [(OTHER, 10), (OTHER, 11), (ART, 487), (ART, 488), (ART, 489)]
    assert guard.expect == {} and guard.reseeks == 1 and guard.holes == 0


def test_a_real_hole_at_the_seek_is_accepted_after_the_reseeks():
    guard = SeekGuard()
    guard.sought(ART, 40, guarded=True)
    log = Log(stale=[], refetch=[])
    log.batches = [[(ART, 41), (ART, 42)] for _ in range(RESEEKS + 1)]  # a marker sits at 40
    delivered = log.run(guard)
    assert log.reseeks == [(ART, 40)] * RESEEKS
    assert delivered == [(ART, 41), (ART, 42)]
    assert guard.holes == 1 and guard.expect == {}


def test_unguarded_partitions_and_partitions_without_a_committed_offset_pass_through():
    guard = SeekGuard()
    guard.sought(ART, 5, guarded=False)             # a changelog: compaction leaves holes
    guard.sought(OTHER, None, guarded=True)         # nothing committed yet
    log = Log(stale=[(ART, 9), (OTHER, 3)], refetch=[])
    assert log.run(guard) == [(ART, 9), (OTHER, 3)]
    assert log.reseeks == []


def test_records_below_the_seek_are_left_for_faust_to_drop_and_the_expectation_stays():
    guard = SeekGuard()
    guard.sought(ART, 100, guarded=True)
    below = Log(stale=[(ART, 98), (ART, 99)], refetch=[])
    assert below.run(guard) == [(ART, 98), (ART, 99)]
    assert guard.expect == {ART: 100}      # still waiting for the record at the seek
    log = Log(stale=[], refetch=[(ART, 100), (ART, 105)])
    assert log.run(guard) == [(ART, 100), (ART, 105)]
    assert log.reseeks == [] and guard.expect == {}   # 100 arrived: 105 is faust's business


# ------------------------------------------------------------------ rewinding
from types import SimpleNamespace  # noqa: E402

from stream.faust_transport import _Consumer  # noqa: E402


class Rec:
    def __init__(self, offset: int) -> None:
        self.offset = offset


class FakeConsumer(_Consumer):
    """Only what ``getmany`` touches: one fetched batch, a flow switch, recorded seeks."""

    should_stop = False

    def __init__(self, records: dict, assigned: set) -> None:  # noqa: D107 - no faust service behind it
        self.records = records
        self.assigned = assigned
        self.flow_active = True
        self.app = SimpleNamespace(consumer_generation_id=1, monitor=SimpleNamespace(track_tp_end_offset=lambda *a: None),
                                   topics=SimpleNamespace(acks_enabled_for=lambda topic: True))
        self.scheduler = SimpleNamespace(iterate=lambda recs: [(tp, r) for tp, batch in recs.items() for r in batch])
        self._buffered_partitions = set()
        self._read_offset = {}
        self.active = set(assigned)
        self.seek_guard = SeekGuard()
        self.seek_epochs = {}
        self.seeks: list[tuple[TP, int]] = []

    async def _wait_next_records(self, timeout):
        return self.records, self.active

    def assignment(self):
        return self.assigned

    def highwater(self, tp):
        return 0

    def _to_message(self, tp, record):
        return record

    async def seek_wait(self, partitions):
        self.seeks += list(partitions.items())


def _drain(consumer: FakeConsumer, on_record=None) -> list[tuple[TP, int]]:
    async def go():
        out = []
        async for tp, message in consumer.getmany(1.0):
            out.append((tp, message.offset))
            if on_record:
                on_record(consumer, tp, message.offset)
        return out
    return asyncio.run(go())


def test_records_left_in_a_batch_when_the_flow_stops_are_fetched_again():
    consumer = FakeConsumer({ART: [Rec(o) for o in range(9, 14)]}, {ART})
    stop_at_11 = lambda c, tp, offset: setattr(c, "flow_active", offset != 11)  # noqa: E731
    assert _drain(consumer, stop_at_11) == [(ART, 9), (ART, 10), (ART, 11)]
    assert consumer.seeks == [(ART, 12)]


def test_records_of_a_partition_paused_since_the_fetch_are_fetched_again():
    consumer = FakeConsumer({ART: [Rec(6), Rec(7)], OTHER: [Rec(3)]}, {ART, OTHER})
    consumer.active = {OTHER}          # ART was paused after the fetch (recovery)
    assert _drain(consumer) == [(OTHER, 3)]
    assert consumer.seeks == [(ART, 6)]


def test_no_rewind_over_a_seek_made_since_the_fetch_or_for_a_partition_gone():
    consumer = FakeConsumer({ART: [Rec(9), Rec(10)], OTHER: [Rec(3), Rec(4)]}, {ART, OTHER})

    def rebalance(c, tp, offset):
        if offset == 9:
            c._sought([ART])           # a seek of ART (e.g. to its committed offset) since the fetch
            c.assigned = {ART}         # and OTHER went to another worker
            c.app.consumer_generation_id = 2
    assert _drain(consumer, rebalance) == [(ART, 9)]   # the new generation stopped the batch
    assert consumer.seeks == []


def test_a_fully_handed_out_batch_needs_no_seek():
    consumer = FakeConsumer({ART: [Rec(1), Rec(2)]}, {ART})
    assert _drain(consumer) == [(ART, 1), (ART, 2)]
    assert consumer.seeks == []
