"""10,000 hostile messages through a live worker (see hostile.py for what they are).

Every message must end up either processed or on the dead-letter topic with
a reason (none lost, none stuck), the worker must stay up the whole time
(one process, /healthz answering), memory must stay bounded, and ordinary
articles mixed into the flood must still get their events and alerts.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter

import pytest
from aiokafka import AIOKafkaProducer

from faultkit import make_articles, report, wait_all_out, wait_for
from hostile import hostile_messages
from stream.decode import REASONS
from stream.kafka import client_kwargs
from stream.models import to_json

pytestmark = [pytest.mark.integration, pytest.mark.slow]

RSS_BOUND = 1_500_000_000  # bytes: the model (~300 MB) plus room; a leak or a copy storm shows up well above
GOOD = 300


async def _send(settings, items: list[tuple[bytes, bytes]]) -> int:
    producer = AIOKafkaProducer(acks="all", linger_ms=20, max_request_size=64 * 1024 * 1024,
                                request_timeout_ms=120_000, **client_kwargs(settings))
    await producer.start()
    try:
        futures = [await producer.send(settings.articles_topic, key=k, value=v) for k, v in items]
        await asyncio.gather(*futures)
        return len(futures)
    finally:
        await producer.stop()


class RssSampler(threading.Thread):
    def __init__(self, worker) -> None:
        super().__init__(daemon=True)
        self.worker = worker
        self.samples: list[float] = []
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.wait(0.5):
            value = self.worker.metric("process_resident_memory_bytes")
            if value:
                self.samples.append(value)


def test_ten_thousand_hostile_messages(fleet_for, templates_ok):
    fleet = fleet_for()
    settings = fleet.settings
    worker = fleet.start("a")
    baseline = worker.metric("process_resident_memory_bytes")
    sampler = RssSampler(worker)
    sampler.start()

    hostile = hostile_messages()
    kinds = {key.decode(): kind for key, _, kind in hostile}
    good = make_articles("among-hostile", GOOD)
    items = [(k, v) for k, v, _ in hostile]
    # Ordinary articles spread through the flood.
    for n, article in enumerate(good):
        items.insert((n + 1) * len(items) // (GOOD + 1), (article.id.encode(), to_json(article)))
    started = time.monotonic()
    sent = asyncio.run(_send(settings, items))
    assert sent == len(hostile) + GOOD

    total = len(hostile) + GOOD

    def accounted() -> bool:
        assert worker.alive(), f"the worker died\n{worker.log_tail()}"
        return (worker.metric("sitrep_dlq_messages_total") + worker.metric("sitrep_articles_processed_total")
                >= total)
    wait_for(accounted, 600, f"every message processed or dead-lettered\n{worker.log_tail()}", interval=1.0)
    ledger = wait_all_out(settings, {a.id for a in good}, timeout=180)
    elapsed = time.monotonic() - started
    sampler.halt.set()
    sampler.join(5)

    letters = ledger.letters
    by_key = {x["key"]: x for x in letters}
    reasons = Counter(x["reason"] for x in letters)
    by_kind = Counter((kinds.get(x["key"], "good"), x["reason"]) for x in letters)
    consumed = worker.metric("sitrep_articles_consumed_total")
    processed = worker.metric("sitrep_articles_processed_total")
    assert sampler.samples, "the RSS sampler took no sample"
    peak = max(sampler.samples)
    counts = {"sent": sent, "consumed": int(consumed), "processed": int(processed), "dlq": len(letters),
              "good_processed": len(ledger.processed), "good_alerts": len(ledger.alerted),
              "rss_baseline_mb": round(baseline / 1e6), "rss_peak_mb": round(peak / 1e6),
              "rss_bound_mb": round(RSS_BOUND / 1e6), "seconds": round(elapsed, 1),
              "dlq_by_reason": dict(sorted(reasons.items()))}
    report("hostile-flood", counts)
    print("dead letters by kind:", dict(sorted(by_kind.items())), flush=True)

    assert consumed == total
    assert len(by_key) == len(letters), "each rejected message is dead-lettered once"
    assert len(letters) + processed == total, "every message is either processed or dead-lettered"
    assert set(reasons) <= set(REASONS) and all(x["detail"] for x in letters)
    assert not ledger.missing and not ledger.missing_alerts, "the ordinary articles went through"
    assert not [k for k in by_key if k.startswith("among-hostile")], "no ordinary article was rejected"
    for key in ("h-0", "h-1", "h-2", "h-6"):  # 50 MB, 150,000 repeats, 100,000 tokens, deep nesting
        assert key in by_key, f"{kinds[key]} must be rejected"
    assert by_key["h-0"]["reason"] == "too_large" and by_key["h-0"]["payload_size"] > 50_000_000
    assert len(by_key["h-0"]["payload"]) <= 4096
    assert worker.alive() and worker.get("/healthz")[0] == 200 and len(fleet.history) == 1
    assert peak < RSS_BOUND, f"RSS peaked at {peak / 1e6:.0f} MB (bound {RSS_BOUND / 1e6:.0f} MB)"
