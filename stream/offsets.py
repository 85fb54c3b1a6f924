"""End offsets that count every record, even on brokers that under-report them.

Kafka's ListOffsets(latest) answers the offset after the last record. The
bundled broker (Tansu 0.6) answers one past the *first* record of the last
record batch: after a batch of three records at offsets 1..3 it says 2, not
4. Whatever trusts that number stops early: a reader that reads "up to the
end" misses the rest of the batch, a "caught up" check passes too soon, and
Faust's table recovery (which reads a changelog up to that offset) restores
a state that lacks the last updates.

``exact_end_offsets`` asks for the end offsets, then fetches from the
offset before each one. A fetch returns whole batches, so the last offset
fetched is at least the true end at the time of the question. On a broker
that answers correctly this costs one small fetch per non-empty partition.
"""

from __future__ import annotations

import asyncio
from typing import Any, Iterable, Mapping

__all__ = ["exact_end_offsets", "probe_end_offsets"]


async def probe_end_offsets(consumer: Any, reported: Mapping[Any, int], timeout: float = 10.0) -> dict[Any, int]:
    """Correct ``reported`` end offsets with ``consumer``, a started aiokafka consumer it may (re)assign."""
    exact = dict(reported)
    pending = {tp for tp, end in reported.items() if end and end > 0}
    if not pending:
        return exact
    consumer.assign(sorted(pending))
    for tp in pending:
        consumer.seek(tp, reported[tp] - 1)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while pending and loop.time() < deadline:
        batches = await consumer.getmany(*pending, timeout_ms=200)
        for tp, records in batches.items():
            if records:
                exact[tp] = max(exact[tp], records[-1].offset + 1)
                pending.discard(tp)
    return exact  # a partition that returned nothing in time keeps the reported end


async def exact_end_offsets(client_kwargs: Mapping[str, Any], tps: Iterable[Any],
                            timeout: float = 10.0) -> dict[Any, int]:
    """The end offset of each partition, counting every record of the last batch."""
    from aiokafka import AIOKafkaConsumer

    tps = list(tps)
    if not tps:
        return {}
    consumer = AIOKafkaConsumer(**client_kwargs, enable_auto_commit=False)
    await asyncio.wait_for(consumer.start(), timeout)
    try:
        reported = await consumer.end_offsets(tps)
        return await probe_end_offsets(consumer, reported, timeout)
    finally:
        await consumer.stop()
