"""A worker joins and later leaves during a stream: two rebalances, nothing lost.

Partitions move to the new worker (with the rule-state table shards) and back
when it stops. Same guarantee as a crash: every article processed, every
alert out, copies only as same-id redeliveries.
"""

from __future__ import annotations

import pytest

from faultkit import StreamProducer, make_articles, report, wait_all_out, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ARTICLES = 3000


def test_worker_added_and_removed_mid_stream(fleet_for, templates_ok):
    fleet = fleet_for()
    settings = fleet.settings
    a = fleet.start("a")
    articles = make_articles("rebalance", ARTICLES)
    producer = StreamProducer(settings, articles, rate=200)
    producer.allow(1000)
    producer.start()

    producer.wait_sent(700, timeout=60)
    b = fleet.start("b")  # joins: partitions split between a and b
    joined_at = producer.sent
    producer.allow(2200)
    wait_for(lambda: b.metric("sitrep_articles_processed_total") >= 50, 180,
             f"the new worker takes a share\n{fleet.logs()}")
    producer.wait_sent(2000, timeout=120)
    b_done = b.metric("sitrep_articles_processed_total")
    fleet.stop("b")  # leaves (SIGTERM): its partitions go back to a
    left_at = producer.sent
    assert b.process is not None and b.process.returncode == 0, fleet.logs()
    producer.allow(ARTICLES)

    sent = producer.finish()
    ledger = wait_all_out(settings, {x.id for x in articles}, timeout=180)
    report("add-remove-worker", ledger.counts(sent), joined_at=joined_at, left_at=left_at,
           a_processed=int(a.metric("sitrep_articles_processed_total")), b_processed=int(b_done))
    ledger.assert_complete()
    assert a.alive()
    assert b_done > 0 and a.metric("sitrep_articles_processed_total") > 0
