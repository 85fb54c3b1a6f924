"""Stalled partitions: seen and explained in the log.

A partition with records waiting whose position has not moved for longer
than a batch may take is a stall, whatever its cause: lag alone grows slowly
and says nothing about why. The report logs faust's and aiokafka's view of each
stalled partition, what a fresh client reads from the broker at that
position, and (the first time) where every task waits.
"""

from __future__ import annotations

import asyncio
import io
import logging
import sys
import traceback
from typing import Any

__all__ = ["STALL_SECONDS", "StallWatch", "dump_stacks"]

log = logging.getLogger(__name__)

STALL_SECONDS = 30.0


class StallWatch:
    def __init__(self, seconds: float = STALL_SECONDS) -> None:
        self.seconds = seconds
        self.seen: dict[Any, tuple[int, float]] = {}   # tp -> (position, since)
        self.reported_at = 0.0
        self.stacks_dumped = False

    def observe(self, tp: Any, position: int, end: int, now: float) -> None:
        if end <= position:
            self.seen.pop(tp, None)     # nothing waiting
        elif self.seen.get(tp, (None,))[0] != position:
            self.seen[tp] = (position, now)

    def keep(self, tps: Any) -> None:
        """Forget partitions no longer assigned here."""
        for tp in set(self.seen) - set(tps):
            del self.seen[tp]

    def stalled(self, now: float) -> dict[Any, tuple[int, float]]:
        return {tp: v for tp, v in self.seen.items() if now - v[1] >= self.seconds}

    def due(self, now: float) -> bool:
        return bool(self.stalled(now)) and now - self.reported_at >= self.seconds

    async def report(self, app: Any, now: float) -> None:
        self.reported_at = now
        consumer = app.consumer
        stalled = self.stalled(now)
        for tp, (position, since) in sorted(stalled.items()):
            log.warning("%s[%d] has not moved from offset %d for %.0f s with records waiting (%s)",
                        tp.topic, tp.partition, position, now - since, _consumer_view(consumer, tp))
        try:
            found = await asyncio.wait_for(_probe(app, {tp: p for tp, (p, _) in stalled.items()}), 15.0)
            log.warning("a fresh client reads at those positions: %s", found)
        except Exception as exc:  # noqa: BLE001 - diagnostics only
            log.warning("probing the stalled partitions failed: %r", exc)
        if not self.stacks_dumped:
            self.stacks_dumped = True
            thread = getattr(consumer, "_thread", None)
            dump_stacks(tuple(x for x in (getattr(thread, "thread_loop", None),) if x is not None))


def _consumer_view(consumer: Any, tp: Any) -> str:
    parts = [f"active {tp in (consumer._active_partitions or ())}",  # noqa: SLF001
             f"paused {tp in consumer._paused_partitions}",  # noqa: SLF001
             f"read offset {consumer._read_offset.get(tp)!r}",  # noqa: SLF001
             f"committed {consumer._committed_offset.get(tp)!r}",  # noqa: SLF001
             f"flow active {consumer.flow_active}"]
    try:
        inner = consumer._thread._consumer  # noqa: SLF001 - aiokafka's consumer
        fetcher = inner._fetcher  # noqa: SLF001
        state = fetcher._subscriptions.subscription.assignment.state_value(tp)  # noqa: SLF001
        parts += [f"fetch position {state.position if state.has_valid_position else None!r}",
                  f"fetch paused {state.paused}",
                  f"buffered {fetcher._records.get(tp)!r}",  # noqa: SLF001
                  f"fetches in flight {len(fetcher._pending_tasks)}",  # noqa: SLF001
                  f"reassigning {fetcher._subscriptions.reassignment_in_progress}"]  # noqa: SLF001
    except Exception as exc:  # noqa: BLE001 - internals differ between versions
        parts.append(f"aiokafka state unavailable ({exc!r})")
    return ", ".join(parts)


async def _probe(app: Any, positions: dict) -> dict[str, list[int]]:
    """The first offsets a new consumer (no group) gets at each position."""
    import aiokafka

    client = aiokafka.AIOKafkaConsumer(**app.sitrep_client_kwargs, enable_auto_commit=False)
    await client.start()
    try:
        tps = {aiokafka.TopicPartition(tp.topic, tp.partition): pos for tp, pos in positions.items()}
        client.assign(list(tps))
        for tp, pos in tps.items():
            client.seek(tp, pos)
        batches = await client.getmany(*tps, timeout_ms=2000)
        return {f"{tp.topic}[{tp.partition}]@{pos}": [r.offset for r in batches.get(tp, [])][:5]
                for tp, pos in tps.items()}
    finally:
        await client.stop()


def dump_stacks(loops: tuple = ()) -> None:
    """Where every task and thread waits: what an operator (and a bug report) needs from a stall."""

    def chain(coro: Any) -> str:
        lines = []
        while coro is not None and len(lines) < 40:
            frame = getattr(coro, "cr_frame", None) or getattr(coro, "ag_frame", None) or getattr(coro, "gi_frame", None)
            if frame is not None:
                lines.append(f"    {frame.f_code.co_filename}:{frame.f_lineno} {frame.f_code.co_name}")
            coro = getattr(coro, "cr_await", None) or getattr(coro, "ag_await", None) or getattr(coro, "gi_yieldfrom", None)
        return "\n".join(lines)

    out = io.StringIO()
    for loop in (asyncio.get_running_loop(), *loops):
        for task in asyncio.all_tasks(loop):
            out.write(f"--- task {task.get_name()}\n{chain(task.get_coro())}\n")
    for ident, frame in sys._current_frames().items():  # noqa: SLF001
        out.write(f"--- thread {ident}\n{''.join(traceback.format_stack(frame, limit=12))}")
    log.warning("stacks of a stalled worker:\n%s", out.getvalue())
