"""Plain aiokafka clients for the command-line tools: produce articles, read topics, wait for a group.

The worker uses Faust; tools that send a file or follow a topic need less,
and must not join the worker's consumer group.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import AsyncIterator, Iterable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from .config import Settings
from .kafka import KafkaUnavailable, client_kwargs
from .models import Article, to_json
from .offsets import probe_end_offsets

__all__ = ["Record", "produce_articles", "produce_raw", "read_topic", "end_offsets", "group_caught_up"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp: float  # seconds


def _producer(settings: Settings) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        acks="all",
        linger_ms=5,
        max_request_size=max(settings.max_message_bytes * 2, 1_048_576),
        request_timeout_ms=30_000,
        **client_kwargs(settings),
    )


async def _start(client: AIOKafkaProducer | AIOKafkaConsumer, settings: Settings) -> None:
    try:
        await asyncio.wait_for(client.start(), 30)
    except Exception as exc:  # noqa: BLE001
        try:
            await client.stop()
        except Exception:  # noqa: BLE001
            pass
        raise KafkaUnavailable(f"cannot reach Kafka at {settings.broker}: {exc!r}") from exc


async def produce_raw(settings: Settings, topic: str, items: Iterable[tuple[bytes | None, bytes | None]]) -> int:
    """Send (key, value) pairs; returns how many the broker acknowledged."""
    producer = _producer(settings)
    await _start(producer, settings)
    try:
        futures = [await producer.send(topic, key=key, value=value) for key, value in items]
        await asyncio.gather(*futures)
        return len(futures)
    finally:
        await producer.stop()


async def produce_articles(settings: Settings, articles: Iterable[Article], topic: str | None = None) -> int:
    """Send articles keyed by id (so an article's redeliveries stay on one partition)."""
    return await produce_raw(
        settings, topic or settings.articles_topic,
        ((a.id.encode("utf-8"), to_json(a)) for a in articles),
    )


async def end_offsets(settings: Settings, topic: str) -> dict[TopicPartition, int]:
    """The offset after the last record of every partition (exact, see ``stream.offsets``)."""
    consumer = AIOKafkaConsumer(**client_kwargs(settings), enable_auto_commit=False)
    await _start(consumer, settings)
    try:
        tps = [TopicPartition(topic, p) for p in sorted(await _partitions(consumer, topic))]
        return await probe_end_offsets(consumer, await consumer.end_offsets(tps)) if tps else {}
    finally:
        await consumer.stop()


async def read_topic(
    settings: Settings,
    topic: str,
    *,
    from_beginning: bool = True,
    follow: bool = False,
    idle_timeout: float | None = None,
    fetch_wait: float | None = None,
) -> AsyncIterator[Record]:
    """Every record of a topic (all partitions, no consumer group).

    Without ``follow`` it stops once it has read up to the end offsets seen
    at the start; with ``follow`` it keeps reading (stopping after
    ``idle_timeout`` seconds without records, if given). ``fetch_wait``: the
    longest the broker may hold a fetch (default the client's 0.5 s), for a
    reader that timestamps what it receives.
    """
    wait = {} if fetch_wait is None else {"fetch_max_wait_ms": max(1, int(fetch_wait * 1000))}
    consumer = AIOKafkaConsumer(**client_kwargs(settings), enable_auto_commit=False, **wait,
                                fetch_max_bytes=max(settings.max_message_bytes * 2, 52_428_800),
                                max_partition_fetch_bytes=max(settings.max_message_bytes * 2, 1_048_576))
    await _start(consumer, settings)
    try:
        partitions: set[int] = set()
        for _ in range(50):  # the topic may be created a moment after we start
            partitions = consumer.partitions_for_topic(topic) or set()
            if partitions:
                break
            await consumer._client.force_metadata_update()  # noqa: SLF001
            if not follow:
                break
            await asyncio.sleep(0.2)
        if not partitions:
            if follow:
                raise KafkaUnavailable(f"topic {topic!r} does not exist at {settings.broker}")
            return
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        ends = await probe_end_offsets(consumer, await consumer.end_offsets(tps))
        consumer.assign(tps)
        if from_beginning:
            await consumer.seek_to_beginning(*tps)
        else:
            for tp in tps:
                consumer.seek(tp, ends[tp])
        remaining = {tp for tp in tps if ends[tp] > await consumer.position(tp)}
        if not follow and not remaining:
            return
        while True:
            batches = await consumer.getmany(timeout_ms=int((idle_timeout or 1.0) * 1000), max_records=500)
            if not batches and follow and idle_timeout is not None:
                return
            for tp, records in batches.items():
                for r in records:
                    yield Record(r.topic, r.partition, r.offset, r.key, r.value, r.timestamp / 1000.0)
                    if not follow and r.offset + 1 >= ends[tp]:
                        remaining.discard(tp)
            if not follow and not remaining:
                return
    finally:
        await consumer.stop()


async def group_caught_up(settings: Settings, group: str, topics: Iterable[str]) -> bool:
    """True when the group's committed offsets reach the end of every partition of ``topics``.

    Faust commits only after a record's results are produced, so this says
    every record so far has been fully processed.
    """
    consumer = AIOKafkaConsumer(**client_kwargs(settings), group_id=group, enable_auto_commit=False)
    await _start(consumer, settings)
    try:
        # All partitions first: probing assigns partitions, which narrows later metadata to them.
        tps = [TopicPartition(topic, p) for topic in topics
               for p in sorted(await _partitions(consumer, topic))]
        if not tps:
            return True
        ends = await probe_end_offsets(consumer, await consumer.end_offsets(tps))
        for tp in tps:
            if ends[tp] == 0:
                continue
            committed = await consumer.committed(tp)
            if committed is None or committed < ends[tp]:
                return False
        return True
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    partitions = consumer.partitions_for_topic(topic)
    if partitions is None:
        await consumer._client.force_metadata_update()  # noqa: SLF001 - a topic created since start
        partitions = consumer.partitions_for_topic(topic)
    return set(partitions or ())
