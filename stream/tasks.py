"""Stopping background tasks: cancel, then wait until they have really ended."""

from __future__ import annotations

import asyncio
import logging

__all__ = ["cancel_and_wait"]

log = logging.getLogger(__name__)


async def cancel_and_wait(*tasks: asyncio.Future | None) -> None:
    """Cancel every task, then await each, so that none is still running (or holding a
    client) when the caller goes on. A task that had already failed is logged, not raised:
    this runs on shutdown paths, where the first error must not hide the other stops."""
    live = [t for t in tasks if t is not None]
    for task in live:
        task.cancel()
    for task in live:
        try:
            await task
        except asyncio.CancelledError:
            pass
        except Exception:  # noqa: BLE001 - reported, and the other tasks still stopped
            name = task.get_name() if isinstance(task, asyncio.Task) else repr(task)
            log.warning("task %s had failed before it was stopped", name, exc_info=True)
