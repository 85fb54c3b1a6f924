"""Batches whose wait is a deadline from their oldest record (stream.batching).

A stand-in for a Faust stream drives ``take_batches`` the way Faust does: a
passive reader takes each record off the channel, sets ``current_event`` and
awaits every processor. Times are read from the event loop's clock, and each
check is one that Faust's own ``noack_take`` (timer restarted per batch)
fails by a wide margin.
"""

from __future__ import annotations

import asyncio
import logging

import pytest

from stream.batching import take_batches


class Stream:
    """The parts of ``faust.Stream`` that ``take_batches`` uses."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue = asyncio.Queue()
        self._processors: list = []
        self.enable_acks = True
        self.should_stop = False
        self.current_event = None
        self.channel = self
        self.log = logging.getLogger("test-stream")
        self.reader: asyncio.Task | None = None

    def __aiter__(self):
        return self

    async def __anext__(self):
        await asyncio.sleep(0)        # Faust's reader gives the loop a turn between records
        return await self.queue.get()

    def add_processor(self, fn) -> None:
        self._processors.append(fn)

    def _enable_passive(self, channel) -> None:
        self.reader = asyncio.ensure_future(self._read(channel))

    async def _read(self, channel) -> None:
        async for event in channel:
            self.current_event = event
            for fn in list(self._processors):
                await fn(event)

    async def wait(self, event: asyncio.Event) -> None:
        await event.wait()

    async def wait_for_stopped(self, event: asyncio.Event, timeout: float | None = None) -> bool:
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except asyncio.TimeoutError:
            pass
        return self.should_stop

    async def crash(self, exc: BaseException) -> None:
        raise exc

    def put(self, *values) -> None:
        for v in values:
            self.queue.put_nowait(v)


async def _collect(stream: Stream, max_: int, within: float, *, batches: int, work: float = 0.0,
                   on_batch=None, extra=None) -> list[tuple[float, list]]:
    """(loop time handed out, batch) for ``batches`` batches; ``work`` seconds spent on each."""
    loop = asyncio.get_running_loop()
    out: list[tuple[float, list]] = []
    gen = take_batches(stream, max_, within, extra)
    async for batch in gen:
        out.append((loop.time(), list(batch)))
        if on_batch:
            on_batch(len(out))
        if len(out) == batches:
            break
        await asyncio.sleep(work)
    await gen.aclose()
    stream.reader.cancel()
    return out


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 30))


def first_batch(max_: int, within: float, now=(), later=(), extra=None) -> tuple[float, list]:
    """(seconds until handed out, batch): ``now`` queued at the start, ``later`` = (delay, value)."""
    async def go():
        s = Stream()
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        s.put(*now)
        for delay, value in later:
            loop.call_later(delay, s.put, value)
        [(t, batch)] = await _collect(s, max_, within=within, batches=1, extra=extra)
        return t - t0, batch
    return run(go())


def test_a_full_batch_is_handed_out_without_waiting():
    took, batch = first_batch(5, 20.0, now=range(5))
    assert batch == [0, 1, 2, 3, 4]
    assert took < 5.0            # the 20 s wait was not taken


def test_a_batch_holds_at_most_max_records_and_the_rest_follow_in_order():
    async def go():
        s = Stream()
        s.put(*range(10))
        return await _collect(s, 4, within=20.0, batches=2)
    out = run(go())
    assert [b for _, b in out] == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_a_lone_record_waits_its_wait_and_no_longer():
    took, batch = first_batch(16, 0.3, now=["a"])
    assert batch == ["a"]
    assert 0.3 <= took < 2.0


def test_the_deadline_runs_from_the_oldest_record_not_from_the_last_batch():
    """Records arriving while a batch is worked on (0.5 s, longer than the 0.3 s wait) are due
    when it is done: the next batch comes at once, with all of them. Faust's take would wait
    another 0.3 s after every batch."""
    async def go():
        s = Stream()
        loop = asyncio.get_running_loop()
        done_at: list[float] = []

        def on_batch(n: int) -> None:
            if n == 1:   # while batch 1 is "extracted", three more records come in
                loop.call_later(0.05, s.put, "b", "c", "d")
                done_at.append(loop.time() + 0.5)
        s.put("a")
        out = await _collect(s, 16, within=0.3, batches=2, work=0.5, on_batch=on_batch)
        return out, done_at[0]
    out, first_done = run(go())
    assert [b for _, b in out] == [["a"], ["b", "c", "d"]]
    assert out[1][0] - first_done < 0.15


def test_a_record_that_arrives_later_shortens_nobody_s_wait_but_joins_the_batch():
    took, batch = first_batch(16, 0.4, now=["a"], later=[(0.2, "b")])
    assert batch == ["a", "b"]
    assert 0.4 <= took < 0.6     # due 0.4 s after "a", not 0.4 s after "b"


def test_a_batch_stops_growing_when_its_size_would_cost_its_oldest_record_more_than_the_wait():
    """Each record adds 0.3 s of extraction: with "a" waiting since 0 and a 1 s budget, the batch
    is due once the 4th record (0.3 s, 3 x 0.3 s more extraction) arrives, not at 1 s."""
    took, batch = first_batch(16, 1.0, now=["a"], later=[(0.1, "b"), (0.2, "c"), (0.3, "d"), (0.6, "e")],
                              extra=lambda n: (n - 1) * 0.3)
    assert batch == ["a", "b", "c", "d"]
    assert 0.3 <= took < 0.55


def test_a_wait_of_zero_takes_what_is_queued_at_once():
    took, batch = first_batch(16, 0.0, now=range(7))
    assert batch == list(range(7))
    assert took < 1.0


def test_acks_and_the_processor_are_restored_when_the_batches_end():
    async def go():
        s = Stream()
        s.put(1, 2)
        await _collect(s, 2, within=1.0, batches=1)
        return s
    s = run(go())
    assert s.enable_acks is True and s._processors == []


def test_an_error_in_the_reader_crashes_the_stream():
    async def go():
        s = Stream()

        async def read(channel):   # Faust always sets current_event; a None is a bug to surface
            async for _ in channel:
                for fn in list(s._processors):
                    await fn(None)
        s._read = read  # type: ignore[method-assign]
        s.put(1)
        gen = take_batches(s, 4, 0.1)
        task = asyncio.ensure_future(gen.__anext__())
        while s.reader is None:
            await asyncio.sleep(0)
        try:
            await s.reader
        finally:
            task.cancel()

    with pytest.raises(RuntimeError, match="current_event is None"):
        run(go())
