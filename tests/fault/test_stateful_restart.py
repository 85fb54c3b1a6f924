"""Restart a worker (SIGKILL) inside a stateful rule's window: the alert fires exactly once.

Group state lives in a changelog-backed table. After a kill the restarted
worker must restore it before evaluating again; if it did not, a ``new`` rule
would call the group new a second time and a ``sequence`` would lose its
earlier steps (or fire again with another id). The threshold kind is covered
by the rules suite; this file covers ``new`` and ``sequence``.

Three phases of one group (actor RUS, source fault.example), each streamed
and cut by a kill -9 in its middle: MOBILIZE reports (``new`` fires on the
first; step 1 of the sequence), then THREATEN (step 2), then ASSAULT (step 3:
the sequence fires). Every later event of the group falls in the open
alerts' windows from the same outlet, so it must raise nothing new.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from faultkit import StreamProducer, make_articles, report, wait_all_out, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]

RULES = """\
rules:
  - id: fault-new-buildup
    title: New buildup by an actor country
    severity: high
    kind: new
    when: {type: MOBILIZE, actor.country: {exists: true}}
    group_by: [actor.country, article.source]
    lookback: 30d
    window: 2d
  - id: fault-escalation
    title: Mobilize, threaten, attack
    severity: critical
    kind: sequence
    when: {actor.country: {exists: true}}
    group_by: [actor.country, article.source]
    window: 14d
    steps:
      - type: MOBILIZE
      - type: THREATEN
      - type: ASSAULT
"""

PER_PHASE = 150


def _alert_ids(ledger, rule: str) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for a in ledger.alerts:
        if a["rule_id"] == rule:
            out.setdefault(a["id"], []).append(a["revision"])
    return out


def test_new_and_sequence_fire_once_across_kills_inside_their_windows(fleet_for, templates_ok):
    fleet = fleet_for(RULES)
    settings = fleet.settings
    fleet.start("a")
    start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=6)
    phases = [
        make_articles("new-mob", PER_PHASE, kind="MOBILIZE", published=start, step=timedelta(seconds=10)),
        make_articles("seq-thr", PER_PHASE, kind="THREATEN", published=start + timedelta(hours=1),
                      step=timedelta(seconds=10)),
        make_articles("seq-asl", PER_PHASE, kind="ASSAULT", published=start + timedelta(hours=2),
                      step=timedelta(seconds=10)),
    ]
    sent_so_far: set[str] = set()
    kills = 0
    for number, articles in enumerate(phases, 1):
        worker = fleet.workers["a"]
        done_before = worker.metric("sitrep_articles_processed_total")
        producer = StreamProducer(settings, articles, rate=60)
        producer.start()
        wait_for(lambda: worker.metric("sitrep_articles_processed_total") >= done_before + PER_PHASE // 3, 60,
                 f"phase {number} under way\n{worker.log_tail()}")
        fleet.kill("a")
        kills += 1
        fleet.start("a")
        producer.finish(120)
        sent_so_far |= {a.id for a in articles}
        ledger = wait_all_out(settings, sent_so_far, timeout=120)
        assert not ledger.missing, (f"phase {number}: {len(ledger.missing)} articles never processed: "
                                    f"{ledger.missing[:10]}\n{fleet.logs(60)}")

    new = _alert_ids(ledger, "fault-new-buildup")
    sequence = _alert_ids(ledger, "fault-escalation")
    report("stateful-restart", {"sent": len(sent_so_far), "processed": len(ledger.processed),
                                "events": len(ledger.events), "kills": kills,
                                "new_alert_ids": len(new), "new_alert_records": sum(map(len, new.values())),
                                "sequence_alert_ids": len(sequence),
                                "sequence_alert_records": sum(map(len, sequence.values())),
                                "dlq": len(ledger.letters)})
    assert len(new) == 1, f"'new' fired for {len(new)} alert ids: {new}"
    assert len(sequence) == 1, f"'sequence' fired for {len(sequence)} alert ids: {sequence}"
    # One outlet throughout: the open alerts never gain a revision; copies are exact redeliveries.
    assert all(r == [1] * len(r) for r in (*new.values(), *sequence.values()))
    [alert] = [a for a in ledger.alerts if a["rule_id"] == "fault-escalation"][:1]
    assert [e["type"] for e in alert["events"]] == ["MOBILIZE", "THREATEN", "ASSAULT"]
    assert [e["article"]["id"].rsplit("-", 1)[0] for e in alert["events"]] == ["new-mob", "seq-thr", "seq-asl"]
    assert not ledger.letters
