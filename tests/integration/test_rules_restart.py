"""A worker restart in the middle of a threshold window: the alert fires once.

Two of three events are processed by one worker, which is then stopped
(SIGTERM) or killed (SIGKILL); a new worker process joins the same group,
recovers the group's state from the table's changelog and sees the third
event. Counting every record on the alerts topic: one alert id, and after a
kill any duplicate record carries the same id and revision.
"""

from __future__ import annotations

import asyncio
import signal
from datetime import timedelta

import pytest

from pipeline_kit import run, wait_for
from rules_kit import ago, alerts, event, rules_pipeline, send_events, settle

pytestmark = pytest.mark.integration

RULES = """
rules:
  - id: restart-threshold
    description: three reports of a dyad within an hour
    kind: threshold
    when: {type: ASSAULT}
    group_by: [actor.country, recipient.country]
    count: 3
    window: 1h
"""


@pytest.fixture
def restart_settings(broker, tmp_path):
    settings, _ = rules_pipeline(broker.address, tmp_path, {"restart.yaml": RULES})
    return settings


def reports(n: int, recipient: str) -> list:
    t = ago(minutes=20)
    return [event("ASSAULT", actor="RUS", recipient=recipient, source=f"outlet{i}", at=t + timedelta(minutes=i))
            for i in range(n)]


GROUPS = [f"G{i:02d}" for i in range(24)]


def by_group(settings) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for a in alerts(settings):
        out.setdefault(a["group_key"].split("|", 1)[1], []).append(a)
    return out


def test_sigterm_mid_window_each_alert_fires_exactly_once(restart_settings, start_worker):
    """Two of three reports for 24 groups, SIGTERM, a new worker, the third reports: 24 alerts, once each."""
    settings = restart_settings
    evs = {g: reports(4, g) for g in GROUPS}
    first = start_worker(settings, name="before-term")
    send_events(settings, [e for g in GROUPS for e in evs[g][:2]])
    settle(settings, first)
    assert alerts(settings) == []
    assert first.stop(signal.SIGTERM) == 0, first.log_tail()

    second = start_worker(settings, name="after-term")
    send_events(settings, [evs[g][2] for g in GROUPS])
    settle(settings, second)
    found = by_group(settings)
    # Every group's two earlier reports came back from the table's changelog and count.
    assert sorted(found) == GROUPS, f"groups without an alert: {sorted(set(GROUPS) - set(found))}"
    for g in GROUPS:
        [alert] = found[g]
        assert sorted(e["id"] for e in alert["events"]) == sorted(e.id for e in evs[g][:3])
        assert alert["revision"] == 1

    # Redelivered reports from before the restart change nothing; a fourth outlet revises one alert.
    send_events(settings, [evs[g][0] for g in GROUPS[:4]] + evs[GROUPS[0]][3:])
    wait_for(lambda: any(a["revision"] == 2 for a in alerts(settings)), 30, f"revision 2\n{second.log_tail()}")
    settle(settings, second)
    final = by_group(settings)
    assert sum(map(len, final.values())) == len(GROUPS) + 1
    assert [(a["id"], a["revision"]) for a in final[GROUPS[0]]] == [(found[GROUPS[0]][0]["id"], 1),
                                                                    (found[GROUPS[0]][0]["id"], 2)]


def test_sigkill_mid_stream_no_alert_lost_and_duplicates_share_id_and_revision(restart_settings, start_worker):
    """The third report of 24 groups at once; SIGKILL as soon as the first alert is on the topic.

    The kill lands while the worker is publishing alerts and writing states, and
    (with offsets committed only every 5 s) before those inputs are committed: the
    new worker replays them. No group may lose its alert or get a second alert id;
    a replayed alert is the same record again (same id, same revision).
    """
    settings = restart_settings
    groups = GROUPS
    evs = {g: reports(4, g) for g in groups}
    first = start_worker(settings, name="before-kill", SITREP_COMMIT_INTERVAL="5")
    send_events(settings, [e for g in groups for e in evs[g][:2]])
    settle(settings, first)
    assert alerts(settings) == []

    seen_before_kill = run(send_and_kill_on_first_alert(settings, [evs[g][2] for g in groups], first))
    assert seen_before_kill >= 1 and first.process.returncode == -signal.SIGKILL

    second = start_worker(settings, name="after-kill")
    settle(settings, second)
    found = by_group(settings)
    assert sorted(found) == groups, f"groups without an alert: {sorted(set(groups) - set(found))}"
    for g in groups:
        records = found[g]
        assert len({a["id"] for a in records}) == 1, records            # one alert per group
        assert {a["revision"] for a in records} == {1}, records         # a duplicate is the same revision
        assert {tuple(sorted(e["id"] for e in a["events"])) for a in records} == {
            tuple(sorted(e.id for e in evs[g][:3]))}
    duplicates = sum(len(r) - 1 for r in found.values())
    print(f"\nSIGKILL after {seen_before_kill} alert(s) seen: {sum(map(len, found.values()))} alert records "
          f"for {len(groups)} groups ({duplicates} duplicates)")

    # The groups' state survived the kill: a fourth outlet revises the same alert.
    send_events(settings, evs[groups[0]][3:])
    wait_for(lambda: any(a["revision"] == 2 for a in alerts(settings)), 30, f"revision 2\n{second.log_tail()}")
    settle(settings, second)
    revised = by_group(settings)[groups[0]]
    assert len({a["id"] for a in revised}) == 1 and revised[-1]["revision"] == 2
    assert sum(a["revision"] == 2 for a in alerts(settings)) == 1


async def send_and_kill_on_first_alert(settings, events, worker) -> int:
    """Produce ``events``, watch the alerts topic closely and SIGKILL the worker at the first alert."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    from stream.clients import produce_raw
    from stream.kafka import client_kwargs
    from stream.models import to_json

    consumer = AIOKafkaConsumer(**client_kwargs(settings), enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(settings.alerts_topic, p)
               for p in sorted(consumer.partitions_for_topic(settings.alerts_topic) or ())]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        await produce_raw(settings, settings.events_topic, [(e.article.id.encode(), to_json(e)) for e in events])
        deadline = asyncio.get_running_loop().time() + 30
        while asyncio.get_running_loop().time() < deadline:
            batches = await consumer.getmany(timeout_ms=5)
            seen = sum(len(records) for records in batches.values())
            if seen:
                worker.process.send_signal(signal.SIGKILL)
                worker.process.wait()
                return seen
        raise AssertionError(f"no alert within 30 s\n{worker.log_tail()}")
    finally:
        await consumer.stop()
