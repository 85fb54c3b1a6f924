"""Regression tests of the faust-streaming 0.15.3 loss after a crash or a takeover.

The hazard: after a rebalance, faust's ``Recovery.on_recovery_completed``
resumes the stream partitions and then seeks them to their committed offsets.
When the table had changelog records to restore, the flow is already running
at that point, so the fetcher hands out records during the seek; the seek
resets the consumer's read offset to the committed one, and the next record
(fetched before the seek, further on) looks like a jump. Faust treats a jump
as a gap in the log (as after compaction) and marks the skipped offsets as
done: those records are committed without ever being processed.

``stream.faust_fixes.SeekingRecovery`` seeks first and resumes after. The
rounds below are the end-to-end proof; ``tests/fault/rounds.py --fix 0`` runs
the same rounds with faust's own method for comparison (see docs/guarantees.md).
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from faust.tables.recovery import Recovery

from faultkit import report
from rounds import run_rounds
from stream.faust_fixes import SeekingRecovery


class _Fetcher:
    """A stand-in consumer: while a stream partition is resumed and the flow runs, each loop
    tick delivers the record at the fetch position (as faust's fetcher does)."""

    def __init__(self) -> None:
        self.log: list[str] = []
        self.active: set[str] = set()
        self.position = 120          # where a previous fetch left the partition
        self.committed = 100
        self.delivered: list[int] = []

    def assignment(self) -> set[str]:
        return {"articles-0"}

    def resume_partitions(self, tps: set[str]) -> None:
        self.log.append("resume")
        self.active |= set(tps)

    async def perform_seek(self) -> None:
        self.log.append("seek-start")
        await asyncio.sleep(0.01)     # a request to the broker: other tasks run meanwhile
        self.position = self.committed
        self.log.append("seek-end")

    def resume_flow(self) -> None:
        self.log.append("resume-flow")

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            if "articles-0" in self.active:
                self.delivered.append(self.position)
                self.position += 1
            await asyncio.sleep(0.001)


def _recovery(consumer: _Fetcher) -> SimpleNamespace:
    async def nothing(*args, **kwargs):
        return None

    async def wait(coro, timeout=None):
        return await coro

    app = SimpleNamespace(
        consumer=consumer, consumer_generation_id=0,
        on_rebalance_complete=SimpleNamespace(send=nothing),
        flow_control=SimpleNamespace(resume=lambda: None),
        _fetcher=SimpleNamespace(maybe_start=nothing),
        assignor=SimpleNamespace(assigned_standbys=lambda: set()),
        on_rebalance_end=lambda: None,
        conf=SimpleNamespace(broker_request_timeout=5),
    )
    return SimpleNamespace(
        app=app, log=SimpleNamespace(info=lambda *a: None, warning=lambda *a: None, dev=lambda *a: None),
        _set_recovery_ended=lambda: None, tables=SimpleNamespace(values=lambda: [], on_actives_ready=lambda: None,
                                                                 on_standbys_ready=lambda: None),
        actives_for_table={}, standbys_for_table={}, _wait=wait, _is_changelog_tp=lambda tp: False,
        completed=SimpleNamespace(set=lambda: None),
    )


async def _complete(method) -> _Fetcher:
    consumer = _Fetcher()
    stop = asyncio.Event()
    fetcher = asyncio.create_task(consumer.run(stop))
    await method(_recovery(consumer), 0)
    await asyncio.sleep(0.005)
    stop.set()
    await fetcher
    return consumer


def test_fixed_recovery_seeks_before_any_record_is_handed_out():
    consumer = asyncio.run(_complete(SeekingRecovery.on_recovery_completed))
    assert consumer.log[:3] == ["seek-start", "seek-end", "resume"]
    assert consumer.delivered, "records flow after recovery"
    assert consumer.delivered[0] == consumer.committed, "the first record is the one at the committed offset"
    assert consumer.delivered == list(range(consumer.committed, consumer.committed + len(consumer.delivered)))


def test_faust_recovery_hands_out_records_from_before_the_seek():
    """Documents the upstream defect this project works around (faust-streaming 0.15.3).

    If this starts failing, faust fixed the order upstream and stream.faust_fixes may go.
    """
    consumer = asyncio.run(_complete(Recovery.on_recovery_completed))
    assert consumer.log[:2] == ["resume", "seek-start"]
    assert consumer.delivered[0] == 120, "records from the old fetch position came out during the seek"


def test_a_partition_registered_by_a_racing_rebalance_does_not_crash_recovery():
    """Seen in the rounds: a rebalance during changelog recovery registered a standby partition
    with offset None, faust sought it to None, and the worker crashed. Faust itself maps -1 to
    0; the fix reads a partition of unknown offset from the start the same way."""
    from collections import Counter

    sought: dict = {}

    class Consumer:
        async def seek_wait(self, offsets):
            for tp, offset in offsets.items():
                if not isinstance(offset, int) or offset < 0:
                    raise ValueError("Offset must be a positive integer")  # what aiokafka says
            sought.update(offsets)

    offsets = Counter({"changelog-0": None, "changelog-1": 1213, "changelog-2": -1})
    recovery = SimpleNamespace(log=SimpleNamespace(info=lambda *a: None))
    asyncio.run(SeekingRecovery._seek_offsets(recovery, Consumer(), set(offsets), offsets, "standby"))
    assert sought == {"changelog-0": 0, "changelog-1": 1213, "changelog-2": 0}
    with pytest.raises(ValueError):
        asyncio.run(Recovery._seek_offsets(recovery, Consumer(), set(offsets),
                                           Counter({"changelog-0": None}), "standby"))


@pytest.mark.integration
@pytest.mark.slow
def test_ten_kill_and_takeover_rounds_lose_nothing(own_broker, tmp_path, templates_ok):
    """10 rounds x 1,000 articles; each round SIGKILLs one of two workers mid-stream (the other
    takes over) and restarts it (partitions move back). With faust's own recovery this lost
    7 to 31 articles (and alerts) per 10 rounds here; with the fix, none."""
    counts = run_rounds(own_broker.address, tmp_path, rounds=10, per_round=1000, fix=True)
    ledger = counts.pop("ledger")
    report("kill-takeover-rounds", counts)
    ledger.assert_complete()
