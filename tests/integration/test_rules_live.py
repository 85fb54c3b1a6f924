"""Every kind of rule on the live pipeline: real broker, a real worker process, events topic in.

Events are produced to the events topic keyed by article id, so the events
of one group arrive on different partitions; the route agent re-keys them by
``<rule id>|<group key>`` and the evaluate agent keeps each group's state in
its table. One worker serves the whole module; each test owns a rule that
selects only its own events (by type and actor country).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from pipeline_kit import WorkerProcess, wait_for
from rules_kit import ago, alerts, at_least, event, rules_pipeline, send_events, settle
from rules_kit import records as topic_records

pytestmark = pytest.mark.integration

RULES = """
rules:
  - id: live-match
    description: one alert per story, revised by new outlets
    when: {type: MOBILIZE, actor.country: RUS}

  - id: live-threshold
    description: three events of a dyad within an hour
    kind: threshold
    when: {type: ASSAULT, actor.country: BLR}
    group_by: [actor.country, recipient.country]
    count: 3
    window: 1h

  - id: live-corroborated
    description: three distinct outlets within six hours
    kind: threshold
    when: {type: SANCTION, actor.country: USA}
    group_by: [actor.country, recipient.country]
    count: 3
    distinct: article.source
    window: 6h

  - id: live-new
    description: the first protest in a country for 30 days
    kind: new
    when: {type: PROTEST, actor.country: FRA}
    group_by: [location.country]
    lookback: 30d

  - id: live-spike
    description: coercion three times its daily rate
    kind: spike
    when: {type: COERCE, actor.country: CHN}
    group_by: [location.country]
    window: 1h
    baseline: 1d
    factor: 3
    min_count: 3

  - id: live-sequence
    description: mobilize, threaten, attack within a day
    kind: sequence
    when: {actor.country: IRN}
    group_by: [actor.country, recipient.country]
    window: 1d
    steps:
      - type: MOBILIZE
      - type: THREATEN
      - type: ASSAULT
"""


@pytest.fixture(scope="module")
def live(broker, tmp_path_factory):
    """One worker for the module, watching a rules directory written for these tests."""
    tmp: Path = tmp_path_factory.mktemp("live")
    settings, _ = rules_pipeline(broker.address, tmp, {"live.yaml": RULES})
    worker = WorkerProcess(settings, tmp / "worker.log", "live").start().wait_ready()
    assert worker.metric("sitrep_rules_loaded") == 6, worker.log_tail()
    yield settings, worker
    worker.stop()


def partitions_of(settings, events) -> set[int]:
    ids = {e.article.id.encode() for e in events}
    return {r.partition for r in topic_records(settings, settings.events_topic) if r.key in ids}


def test_match_one_alert_per_story_revised_by_a_second_outlet(live):
    settings, worker = live
    t = ago(minutes=5)
    first = event("MOBILIZE", actor="RUS", location="UKR", source="reuters", at=t)
    send_events(settings, [first])
    [alert] = wait_for(lambda: alerts(settings, "live-match"), 30, f"first alert\n{worker.log_tail()}")
    assert alert["revision"] == 1 and alert["sources"] == ["reuters"]
    assert alert["group_key"] == "MOBILIZE|RUS||UKR"
    assert alert["events"][0]["id"] == first.id

    # The same story from a second outlet (another article, another event id): same alert, revision 2.
    second = event("MOBILIZE", actor="RUS", location="UKR", source="apnews", at=t + timedelta(minutes=2))
    send_events(settings, [second])
    records = wait_for(lambda: at_least(settings, "live-match", 2), 30,
                       f"revision 2\n{worker.log_tail()}")
    assert [(a["id"], a["revision"]) for a in records] == [(alert["id"], 1), (alert["id"], 2)]
    assert sorted(records[1]["sources"]) == ["apnews", "reuters"] and records[1]["source_count"] == 2
    assert records[1]["first_alerted_at"] == alert["first_alerted_at"]

    # The first event redelivered, and a third article from an outlet already listed: nothing new.
    known = event("MOBILIZE", actor="RUS", location="UKR", source="Reuters", at=t + timedelta(minutes=3))
    send_events(settings, [first, known])
    settle(settings, worker)
    assert len(alerts(settings, "live-match")) == 2
    assert worker.metric("sitrep_alerts_suppressed_total", rule="live-match", reason="duplicate") >= 1
    assert worker.metric("sitrep_alerts_suppressed_total", rule="live-match", reason="no_new_source") >= 1


def test_threshold_counts_a_group_across_partitions_and_fires_once(live):
    settings, worker = live
    t = ago(minutes=30)
    evs = [event("ASSAULT", actor="BLR", recipient="UKR", source=f"outlet{i}", at=t + timedelta(minutes=i))
           for i in range(4)]
    send_events(settings, evs[:2])
    settle(settings, worker)
    assert alerts(settings, "live-threshold") == []          # 2 of 3

    send_events(settings, evs[2:3])
    [alert] = wait_for(lambda: alerts(settings, "live-threshold"), 30, f"threshold alert\n{worker.log_tail()}")
    assert alert["kind"] == "threshold" and alert["group_key"] == "BLR|UKR" and alert["revision"] == 1
    assert sorted(e["id"] for e in alert["events"]) == sorted(e.id for e in evs[:3])
    # The events came in on different partitions and still met in one group's state.
    assert len(partitions_of(settings, evs[:3])) >= 2

    # A fourth event in the open window revises the same alert (a new outlet) instead of firing again.
    send_events(settings, evs[3:])
    records = wait_for(lambda: at_least(settings, "live-threshold", 2), 30,
                       "revision of the threshold alert")
    settle(settings, worker)
    records = alerts(settings, "live-threshold")
    assert [(a["id"], a["revision"]) for a in records] == [(alert["id"], 1), (alert["id"], 2)]


def test_threshold_distinct_outlets(live):
    settings, worker = live
    t = ago(hours=2)
    same_outlet = [event("SANCTION", actor="USA", recipient="IRN", source="reuters", at=t + timedelta(minutes=i))
                   for i in range(3)]
    send_events(settings, same_outlet)
    settle(settings, worker)
    assert alerts(settings, "live-corroborated") == []        # 3 events, 1 outlet

    others = [event("SANCTION", actor="USA", recipient="IRN", source=s, at=t + timedelta(minutes=10 + i))
              for i, s in enumerate(["bbc.co.uk", "apnews"])]
    send_events(settings, others)
    [alert] = wait_for(lambda: alerts(settings, "live-corroborated"), 30, f"corroboration\n{worker.log_tail()}")
    settle(settings, worker)
    assert len(alerts(settings, "live-corroborated")) == 1
    assert sorted(alert["sources"]) == ["apnews", "bbc.co.uk", "reuters"]
    assert alert["group_key"] == "USA|IRN"


def test_new_fires_once_per_group(live):
    settings, worker = live
    send_events(settings, [event("PROTEST", actor="FRA", location="FRA", source="lemonde", at=ago(hours=3))])
    [first] = wait_for(lambda: alerts(settings, "live-new"), 30, f"new group FRA\n{worker.log_tail()}")
    assert first["group_key"] == "FRA" and first["kind"] == "new"

    # Seen already (same outlet while the alert is open), then a group never seen: one more alert.
    send_events(settings, [event("PROTEST", actor="FRA", location="FRA", source="lemonde", at=ago(hours=2))])
    settle(settings, worker)
    send_events(settings, [event("PROTEST", actor="FRA", location="BEL", source="lemonde", at=ago(hours=1))])
    records = wait_for(lambda: at_least(settings, "live-new", 2), 30, "new group BEL")
    settle(settings, worker)
    records = alerts(settings, "live-new")
    assert sorted((a["group_key"], a["revision"]) for a in records) == [("BEL", 1), ("FRA", 1)]
    assert records[0]["id"] != records[1]["id"]


def test_spike_against_the_groups_own_baseline(live):
    settings, worker = live
    # Quiet group: two events in the last day. Busy group: eight, 40 minutes apart (never 3 in an hour).
    quiet = [event("COERCE", actor="CHN", location="TWN", source=f"q{i}", at=ago(hours=h))
             for i, h in enumerate([20, 10])]
    busy = [event("COERCE", actor="CHN", location="PHL", source=f"b{i}", at=ago(minutes=120 + 40 * i))
            for i in range(8)]
    send_events(settings, quiet + busy)
    settle(settings, worker)
    assert alerts(settings, "live-spike") == []

    # The same burst in both: three events in one quarter of an hour. A spike only for the quiet group.
    burst_at = ago(minutes=2)
    burst = [event("COERCE", actor="CHN", location=loc, source=f"burst{i}", at=burst_at)
             for loc in ("TWN", "PHL") for i in range(3)]
    send_events(settings, burst)
    [alert] = wait_for(lambda: alerts(settings, "live-spike"), 30, f"spike\n{worker.log_tail()}")
    settle(settings, worker)
    assert [a["group_key"] for a in alerts(settings, "live-spike")] == ["TWN"]
    assert alert["kind"] == "spike" and alert["source_count"] == 3


def test_sequence_in_event_time_order_whatever_the_arrival_order(live):
    settings, worker = live
    t = ago(hours=6)
    in_order = [event(kind, actor="IRN", recipient="ISR", source="reuters", at=t + timedelta(hours=i))
                for i, kind in enumerate(["MOBILIZE", "THREATEN", "ASSAULT"])]
    # Wrong order in event time for another dyad: the attack came before the mobilisation.
    wrong = [event(kind, actor="IRN", recipient="SAU", source="reuters", at=t + timedelta(hours=i))
             for i, kind in enumerate(["ASSAULT", "THREATEN", "MOBILIZE"])]
    send_events(settings, list(reversed(in_order)) + wrong)  # the last step arrives first
    [alert] = wait_for(lambda: alerts(settings, "live-sequence"), 30, f"sequence\n{worker.log_tail()}")
    settle(settings, worker)
    assert len(alerts(settings, "live-sequence")) == 1
    assert alert["group_key"] == "IRN|ISR"
    assert [e["type"] for e in alert["events"]] == ["MOBILIZE", "THREATEN", "ASSAULT"]
