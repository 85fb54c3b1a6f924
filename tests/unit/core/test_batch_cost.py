"""The runtime's estimate of what one more article adds to a batch's extraction (for stream.batching)."""

from __future__ import annotations

import asyncio
import time

from stream.config import Settings
from stream.metrics import Metrics
from stream.models import Article
from stream.runtime import Incoming, Runtime


class Paced:
    """A stand-in extractor that spends ``per`` seconds on each article."""

    info = {"model": "stand-in"}

    def __init__(self, per: float) -> None:
        self.per = per

    def extract_batch(self, articles):
        time.sleep(self.per * len(articles))
        return [[] for _ in articles]

    def extract(self, article):
        return self.extract_batch([article])[0]


def _batch(n: int) -> list[tuple[Incoming, Article]]:
    return [(Incoming(value=b"{}", key=None, topic="articles", partition=0, offset=i, timestamp=None),
             Article(id=f"a{i}", text="Troops massed.")) for i in range(n)]


def test_the_extra_of_a_batch_follows_the_measured_seconds_per_article():
    ex = Paced(0.02)
    runtime = Runtime(settings=Settings(), extractor=ex, rules=None, metrics=Metrics(process=False))
    assert runtime.batch_extra(8) == 0.0                      # nothing measured yet: no estimate
    asyncio.run(runtime.extract(_batch(4)))
    first = runtime.seconds_per_article
    assert 0.02 <= first < 0.1
    # n - 1 articles more than a batch of one, and one article's margin
    assert runtime.batch_extra(0) == 0.0 and runtime.batch_extra(1) == first and runtime.batch_extra(3) == 3 * first
    ex.per = 0.06                                             # articles got longer: the estimate follows
    for _ in range(8):
        asyncio.run(runtime.extract(_batch(2)))
    assert 0.05 <= runtime.seconds_per_article < 0.15
