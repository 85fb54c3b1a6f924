"""How the benchmark's producer places articles on partitions."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from stream.bench.corpus import Corpus
from stream.bench.pipeline import _produce


class Producer:
    """Records what would be sent; every send is acknowledged at once."""

    def __init__(self) -> None:
        self.sent: list[tuple[bytes, int | None]] = []

    async def send(self, topic, *, key, value, partition=None):
        self.sent.append((key, partition))
        fut = asyncio.get_running_loop().create_future()
        fut.set_result(SimpleNamespace(timestamp=0))
        return fut


def _run(partitions):
    async def go():
        p = Producer()
        sent = await _produce(p, "articles", iter(Corpus(seed=3).articles(10)), rate_=None, count=10,
                              duration=None, window=lambda k: True, partitions=partitions)
        return p.sent, sent
    return asyncio.run(go())


def test_articles_go_to_the_partitions_in_turn_and_keep_their_id_as_key():
    records, sent = _run(4)
    assert [p for _, p in records] == [0, 1, 2, 3, 0, 1, 2, 3, 0, 1]
    assert [k.decode() for k, _ in records] == list(sent)


def test_without_partitions_the_client_partitions_by_key():
    records, _ = _run(None)
    assert [p for _, p in records] == [None] * 10
