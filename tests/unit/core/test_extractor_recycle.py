"""A worker swaps in a fresh extractor every ``extractor_recycle`` articles (spaCy's vocabulary
only grows); a failed reload keeps the current one working."""

from __future__ import annotations

import asyncio

from stream.config import Settings
from stream.metrics import Metrics
from stream.models import Article
from stream.runtime import Incoming, Runtime


class Counting:
    def __init__(self, name: str) -> None:
        self.name, self.seen = name, 0

    def extract_batch(self, articles):
        self.seen += len(articles)
        return [[] for _ in articles]


def _batch(n: int, start: int = 0):
    return [(Incoming(value=b"{}", key=None, topic="articles", partition=0, offset=start + i, timestamp=None),
             Article(id=f"a{start + i}", text="Nothing happened.")) for i in range(n)]


def _run(runtime: Runtime, batches: int, size: int = 10) -> None:
    async def go():
        for b in range(batches):
            await runtime.extract(_batch(size, b * size))
    asyncio.run(go())


def test_the_extractor_is_replaced_after_the_configured_number_of_articles():
    made = []

    def load():
        made.append(Counting(f"fresh-{len(made) + 1}"))
        return made[-1]

    first = Counting("first")
    runtime = Runtime(settings=Settings(extractor_recycle=25), extractor=first, rules=None,
                      metrics=Metrics(process=False), load_extractor=load)
    _run(runtime, batches=6)                    # 60 articles: reloads after 30 and after 60
    assert first.seen == 30
    assert [e.seen for e in made] == [30, 0]
    assert runtime.extractor is made[-1] and runtime.recycled == 2


def test_recycling_off_or_a_failing_reload_keeps_the_extractor():
    first = Counting("first")
    off = Runtime(settings=Settings(extractor_recycle=0), extractor=first, rules=None,
                  metrics=Metrics(process=False), load_extractor=lambda: Counting("never"))
    _run(off, batches=3)
    assert off.extractor is first and off.recycled == 0

    attempts = []

    def broken():
        attempts.append(1)
        raise OSError("model files gone")

    seen_before = first.seen
    kept = Runtime(settings=Settings(extractor_recycle=5), extractor=first, rules=None,
                   metrics=Metrics(process=False), load_extractor=broken)
    _run(kept, batches=2)
    assert len(attempts) == 2                       # tried after each batch of 10, failed, kept going
    assert kept.extractor is first and kept.recycled == 0 and first.seen == seen_before + 20
