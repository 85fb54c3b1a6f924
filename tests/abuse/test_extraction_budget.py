"""A pathological article must not stall a worker forever: extraction runs within a time budget.

``extraction_timeout`` bounds one batch; a batch that overruns is retried one
article at a time with the same budget, and an article that overruns alone
goes to the dead-letter topic (``extraction_error``, detail starting
``extraction_timeout``) while the rest of the batch is processed. The
stand-in extractor below hangs on demand, so the mechanism is tested
whatever the real extractor's speed; the live test feeds the worker an
article found to keep the real extractor busy for minutes (one 20,000-word
sentence naming the same buildup 3,000 times).
"""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from faultkit import StreamProducer, make_articles, report, wait_all_out, wait_for
from pipeline_kit import send_raw
from stream.config import Settings
from stream.metrics import Metrics
from stream.models import Article, Event
from stream.runtime import Incoming, Runtime

RELEASE = threading.Event()  # lets the hung stand-in threads end with the test


class HangingExtractor:
    """Extracts nothing, except that an article whose text starts with HANG never finishes."""

    info = {"model": "stand-in"}

    def __init__(self) -> None:
        self.calls = 0

    def extract(self, article: Article) -> list[Event]:
        self.calls += 1
        if article.text.startswith("HANG"):
            RELEASE.wait(60)
        return []

    def extract_batch(self, articles: list[Article]) -> list[list[Event]]:
        return [self.extract(a) for a in articles]


def _runtime(budget: float) -> Runtime:
    return Runtime(settings=Settings(extraction_timeout=budget), extractor=HangingExtractor(), rules=None,
                   metrics=Metrics(process=False))


def _batch(texts: list[str]) -> list[tuple[Incoming, Article]]:
    return [(Incoming(value=b"{}", key=f"k{i}".encode(), topic="articles", partition=0, offset=i, timestamp=None),
             Article(id=f"a{i}", text=text)) for i, text in enumerate(texts)]


def test_an_article_that_hangs_is_dead_lettered_and_the_batch_goes_on():
    runtime = _runtime(0.5)
    batch = _batch(["Troops massed.", "HANG forever", "Missiles struck Kyiv."])
    started = time.monotonic()
    try:
        results, rejected = asyncio.run(runtime.extract(batch))
        elapsed = time.monotonic() - started
        assert [r.incoming.offset for r in rejected] == [1]
        letter = rejected[0].letter
        assert letter.reason == "extraction_error" and letter.detail.startswith("extraction_timeout")
        assert results == [[], [], []]
        # Budget for the batch, then for the hanging article alone; the others are quick.
        assert 1.0 <= elapsed < 3.0, elapsed
        assert runtime.overrunning == 2
        assert runtime.metrics.dlq_messages.labels(reason="extraction_error")._value.get() == 1
        assert runtime.metrics.articles_processed._value.get() == 2
    finally:
        RELEASE.set()
    wait_for(lambda: not [t for t in threading.enumerate() if t.name == "extract"], 10,
             "the released threads end")
    RELEASE.clear()


def test_no_budget_means_no_timeout():
    runtime = _runtime(0)
    results, rejected = asyncio.run(runtime.extract(_batch(["Troops massed."] * 3)))
    assert results == [[], [], []] and rejected == []


def test_an_extractor_exception_isolates_the_article():
    class Failing(HangingExtractor):
        def extract(self, article):
            if "boom" in article.text:
                raise ValueError("boom")
            return []

    runtime = Runtime(settings=Settings(), extractor=Failing(), rules=None, metrics=Metrics(process=False))
    results, rejected = asyncio.run(runtime.extract(_batch(["fine", "boom", "fine"])))
    assert [r.incoming.offset for r in rejected] == [1]
    assert rejected[0].letter.detail == "ValueError: boom"


PATHOLOGICAL = "Russian forces massed troops near the border with Ukraine " * 3000


@pytest.mark.integration
@pytest.mark.slow
def test_worker_with_a_pathological_article_keeps_going(fleet_for, templates_ok):
    fleet = fleet_for(env={"SITREP_EXTRACTION_TIMEOUT": "5", "SITREP_BATCH_SIZE": "4"})
    settings = fleet.settings
    worker = fleet.start("a")
    import json

    send_raw(settings, [(b"pathological", json.dumps({"id": "pathological", "text": PATHOLOGICAL}).encode())])
    sent_at = time.monotonic()
    after = make_articles("after-pathological", 200)
    producer = StreamProducer(settings, after, rate=400)
    producer.start()
    producer.finish(60)
    ledger = wait_all_out(settings, {a.id for a in after}, timeout=120)
    wait_for(lambda: any(x["key"] == "pathological" for x in ledger.read().letters), 60,
             f"the pathological article dead-lettered\n{worker.log_tail()}")
    elapsed = time.monotonic() - sent_at
    letters = [x for x in ledger.letters if x["key"] == "pathological"]
    outcome = letters[0]["detail"].split(":")[0] if letters else "processed"
    report("pathological-article", {"sent": 201, "processed": len(ledger.processed),
                                    "pathological": outcome, "seconds_to_drain": round(elapsed, 1),
                                    "dlq": {x["reason"]: 1 for x in ledger.letters}})
    assert not ledger.missing, "the articles behind it were processed"
    assert len(letters) == 1
    assert letters[0]["reason"] == "extraction_error"
    assert letters[0]["detail"].startswith("extraction_timeout")
    assert worker.alive() and worker.get("/healthz")[0] == 200
    assert elapsed < 100, "bounded by the budget, not by the article"
