"""Stopping background tasks: every one is cancelled and awaited, a failed one is reported."""

from __future__ import annotations

import asyncio
import logging

from stream.tasks import cancel_and_wait


def test_every_task_has_ended_when_cancel_and_wait_returns_even_after_a_failure(caplog):
    async def go():
        async def forever():
            await asyncio.Event().wait()

        async def fails():
            raise ValueError("broken feed")

        broken = asyncio.create_task(fails(), name="broken-feed")
        await asyncio.wait([broken])
        running = [asyncio.create_task(forever()) for _ in range(2)]
        await cancel_and_wait(running[0], broken, None, running[1])
        return running, broken

    with caplog.at_level(logging.WARNING, logger="stream.tasks"):
        running, broken = asyncio.run(go())
    assert all(t.cancelled() for t in running)
    assert broken.done() and not broken.cancelled()
    [record] = caplog.records
    assert "broken-feed" in record.getMessage() and "broken feed" in record.exc_text
