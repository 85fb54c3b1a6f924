"""The broker freezes (SIGSTOP) for 20 s in the middle of a backlog, then thaws (SIGCONT).

Nothing restarts the worker: it must notice the outage (``sitrep_broker_up``
0, /readyz 503, a warning in its log, ``sitrep_last_processed_timestamp_seconds``
standing still), ride it out, and finish the backlog by itself with nothing
lost once the broker answers again (``sitrep_broker_up`` 1, lag visible and
then drained, "answering again" in its log).
"""

from __future__ import annotations

import time

import pytest

from faultkit import StreamProducer, make_articles, report, wait_all_out, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]

BACKLOG = 1500
AFTER = 300
FREEZE = 20.0


def test_broker_frozen_for_20s_worker_recovers_by_itself(own_broker, fleet_for, templates_ok):
    fleet = fleet_for()
    settings = fleet.settings
    worker = fleet.start("a")
    articles = make_articles("freeze", BACKLOG + AFTER)
    producer = StreamProducer(settings, articles[:BACKLOG], rate=2000)
    producer.start()
    assert producer.finish(60) == BACKLOG

    wait_for(lambda: worker.metric("sitrep_articles_processed_total") >= 200, 60,
             f"processing under way\n{worker.log_tail()}")
    wait_for(lambda: worker.metric("sitrep_broker_up") == 1, 15, "broker_up 1 before the freeze")

    own_broker.pause()
    paused_at = time.time()
    try:
        # The outage shows on /metrics and /readyz while the broker is frozen.
        wait_for(lambda: worker.metric("sitrep_broker_up") == 0 and worker.get("/readyz")[0] == 503, FREEZE - 2,
                 f"broker_up 0 and not ready during the freeze\n{worker.log_tail()}")
        seen_down_after = time.time() - paused_at
        last_before = worker.metric("sitrep_last_processed_timestamp_seconds", topic=settings.articles_topic)
        assert worker.get("/healthz")[0] == 200, "the worker itself is alive and answering"
        while time.time() - paused_at < FREEZE:  # the fault: keep it frozen for 20 s in all
            time.sleep(0.2)
        last_during = worker.metric("sitrep_last_processed_timestamp_seconds", topic=settings.articles_topic)
        assert last_during == last_before <= paused_at + 1.0, "nothing is processed while the broker is frozen"
        processed_during = worker.metric("sitrep_articles_processed_total")
    finally:
        own_broker.resume()
    resumed_at = time.time()

    lags: list[float] = []

    def back_up() -> bool:
        lags.append(worker.metric("sitrep_consumer_lag_messages", topic=settings.articles_topic))
        return worker.metric("sitrep_broker_up") == 1 and worker.get("/readyz")[0] == 200
    wait_for(back_up, 90, f"worker back to ready after the thaw\n{worker.log_tail()}")
    recovered_after = time.time() - resumed_at

    late = StreamProducer(settings, articles[BACKLOG:], rate=2000)
    late.start()
    late.finish(60)
    wait_for(lambda: (lags.append(worker.metric("sitrep_consumer_lag_messages", topic=settings.articles_topic))
                      or True) and worker.metric("sitrep_last_processed_timestamp_seconds",
                                                 topic=settings.articles_topic) > resumed_at,
             60, "processing moves on after the thaw")

    ledger = wait_all_out(settings, {a.id for a in articles}, timeout=180)
    log_text = worker.log_path.read_text(errors="replace")
    report("broker-freeze-20s", ledger.counts(BACKLOG + AFTER), seen_down_after_s=round(seen_down_after, 1),
           ready_again_after_s=round(recovered_after, 1), processed_at_freeze=int(processed_during),
           max_lag_seen=int(max(lags or [0])), restarts=0)
    ledger.assert_complete()
    assert worker.alive() and len(fleet.history) == 1, "recovered without a restart"
    assert "Kafka is not answering" in log_text and "Kafka is answering again" in log_text
    assert max(lags) > 0, "the backlog showed as lag"
    wait_for(lambda: worker.metric("sitrep_consumer_lag_messages", topic=settings.articles_topic) == 0, 30,
             "lag back to 0")
