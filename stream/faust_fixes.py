"""A fix to faust-streaming's table recovery that otherwise loses records.

After a rebalance, ``Recovery.on_recovery_completed`` (faust-streaming
0.15.3) resumes the stream partitions and only then seeks them to their
committed offsets. When a table had changelog records to restore, the flow
is already running at that point, so the fetcher hands out stream records
during the seek. The seek then resets the consumer's read offset to the
committed offset, and the next record (fetched before the seek, further on)
looks like a jump; faust takes a jump for a gap in the log (as compaction
leaves) and marks the skipped offsets as acknowledged. Those records are
committed without ever being processed: the fault suite's kill-and-takeover
rounds lost 7 to 31 articles or alerts per 10 rounds this way.

``SeekingRecovery`` seeks first and resumes after, so the first record a
stream sees after recovery is the one at its committed offset.
``TableManager`` is passed to ``faust.App(TableManager=...)`` to use it
(``Settings.faust_recovery_fix``, on by default; off only to reproduce the
loss). Tests: ``tests/fault/test_loss_hazard.py``.

``SeekingRecovery`` also checks the changelog end offsets recovery reads up
to: the bundled broker (Tansu 0.6) reports one past the first record of a
partition's last record batch, so recovery stopped short and restored group
states without their latest updates (a threshold alert then never fired
after a restart). ``stream.offsets`` fetches the last batch to count every
record. Test: ``tests/integration/test_rules_restart.py``.

It also keeps a rebalance that races a recovery from crashing the worker
(a partition registered with offset None was sought to None). Test:
``tests/fault/test_loss_hazard.py``.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

from faust.tables.manager import TableManager as _FaustTableManager
from faust.tables.recovery import Recovery

__all__ = ["SeekingRecovery", "TableManager"]


class SeekingRecovery(Recovery):
    async def _seek_offsets(self, consumer: Any, tps: Any, offsets: Any, title: str) -> None:
        # A rebalance that lands while recovery reads the changelogs registers its new
        # partitions with offset None; faust then seeks a standby to None and the worker
        # crashes ("Offset must be a positive integer"). Read such a partition from the
        # start (-1, as faust does for an empty one) and let the generation check that
        # follows restart recovery for the new assignment.
        for tp in tps:
            if not isinstance(offsets[tp], int) or offsets[tp] < -1:
                self.log.info("%s offset of %s unknown (%r): reading it from the start", title, tp, offsets[tp])
                offsets[tp] = -1
        await Recovery._seek_offsets(self, consumer, tps, offsets, title)

    async def _build_highwaters(self, consumer: Any, tps: Any, destination: Any, title: str) -> None:
        await super()._build_highwaters(consumer, tps, destination, title)
        # Brokers that report the end of a changelog partition as one past the first record
        # of its last batch (the bundled Tansu) would make recovery stop short of the latest
        # states: count every record (stream.offsets).
        reported = {tp: destination[tp] + 1 for tp in tps if destination.get(tp, -1) >= 0}
        if reported:
            try:
                exact = await asyncio.wait_for(_exact_ends(self.app, reported), 30.0)
            except Exception as exc:  # noqa: BLE001 - keep the broker's answer rather than fail recovery
                self.log.warning("could not verify changelog end offsets (%r); using the broker's", exc)
                return
            for tp, end in exact.items():
                if end - 1 != destination[tp]:
                    self.log.info("highwater of %s corrected from %d to %d", tp, destination[tp], end - 1)
                destination[tp] = end - 1

    async def on_recovery_completed(self, generation_id: int = 0) -> None:
        consumer = self.app.consumer
        self.log.info("Restore complete!")
        await self.app.on_rebalance_complete.send()
        self._set_recovery_ended()
        callbacks = [
            asyncio.ensure_future(
                table.on_recovery_completed(self.actives_for_table[table], self.standbys_for_table[table])
            )
            for table in self.tables.values()
        ]
        if callbacks:
            await asyncio.wait(callbacks)
        assignment = consumer.assignment()
        if self.app.consumer_generation_id != generation_id:
            self.log.warning("Recovery rebalancing again app id %s param %s",
                             self.app.consumer_generation_id, generation_id)
            return
        if assignment:
            # The fix: position every stream partition at its committed
            # offset *before* the fetcher may hand out records from it.
            self.log.info("Seek stream partitions to committed offsets.")
            await self._wait(consumer.perform_seek(), timeout=self.app.conf.broker_request_timeout)
        consumer.resume_partitions({tp for tp in assignment if not self._is_changelog_tp(tp)})
        self.completed.set()
        self.app.flow_control.resume()
        consumer.resume_flow()
        await cast(Any, self.app)._fetcher.maybe_start()
        self.tables.on_actives_ready()
        if not self.app.assignor.assigned_standbys():
            self.tables.on_standbys_ready()
        self.app.on_rebalance_end()
        self.log.info("Worker ready")


async def _exact_ends(app: Any, reported: dict) -> dict:
    from aiokafka import TopicPartition

    from .offsets import exact_end_offsets

    tps = {tp: TopicPartition(tp.topic, tp.partition) for tp in reported}
    exact = await exact_end_offsets(app.sitrep_client_kwargs, tps.values())
    return {tp: exact[atp] for tp, atp in tps.items()}


class TableManager(_FaustTableManager):
    @property
    def recovery(self) -> Recovery:  # type: ignore[override]
        if self._recovery is None:
            self._recovery = SeekingRecovery(self.app, self, beacon=self.beacon, loop=self.loop)
        return self._recovery
