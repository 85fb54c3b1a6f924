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
    log = Log(stale=[(ART, 98), (ART, 99)], refetch=[(ART, 100), (ART, 105)])
    assert log.run(guard) == [(ART, 98), (ART, 99), (ART, 100), (ART, 105)]
    assert log.reseeks == []    # once 100 arrived the guard stood down: 105 is faust's business
