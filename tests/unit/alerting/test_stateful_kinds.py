"""threshold, new, spike and sequence rules, with out-of-order and redelivered events."""

import json

from stream.models import stable_id

from alerting_helpers import at, engine_from, make_event

THRESHOLD = """
rules:
  - id: corroborated
    kind: threshold
    when: {type: ASSAULT}
    group_by: [actor.country]
    count: 3
    distinct: article.source
    window: 6h
    annotations: {summary: "{{ alert.count }} reports from {{ alert.source_count }} outlets"}
"""


def feed(engine, items):
    """items: (minutes, event); now = event time. Returns alerts per item."""
    states, out = {}, []
    for minutes, ev in items:
        out.append(engine.process(ev, states, at(minutes)))
    return out, states


def ass(minutes, source, actor="RUS", **kw):
    return make_event("ASSAULT", published_at=at(minutes), source=source, actor=actor, **kw)


def test_threshold_counts_distinct_sources_within_the_window():
    engine = engine_from(THRESHOLD)
    out, states = feed(engine, [(0, ass(0, "a")), (10, ass(10, "a")), (20, ass(20, "b")), (30, ass(30, "c")),
                                (40, ass(40, "d")), (50, ass(50, "d"))])
    assert [len(x) for x in out] == [0, 0, 0, 1, 1, 0]
    first, update = out[3][0], out[4][0]
    assert first.sources == ("a", "b", "c") and first.revision == 1 and first.kind == "threshold"
    assert first.id == stable_id("corroborated", "RUS", at(0).isoformat(), prefix="al-")
    assert update.id == first.id and update.revision == 2 and update.sources == ("a", "b", "c", "d")
    assert first.summary == "4 reports from 3 outlets"
    assert len(first.events) == 4
    json.dumps(states)


def test_threshold_ignores_sources_outside_the_window_and_other_groups():
    engine = engine_from(THRESHOLD)
    out, _ = feed(engine, [(0, ass(0, "a")), (400, ass(400, "b")), (410, ass(410, "c", actor="BLR")),
                           (420, ass(420, "c"))])
    assert [len(x) for x in out] == [0, 0, 0, 0]


def test_threshold_counts_a_late_event_in_the_window_that_contains_it():
    engine = engine_from(THRESHOLD)
    # c arrives last but happened between a and b.
    out, _ = feed(engine, [(0, ass(0, "a")), (120, ass(120, "b")), (121, ass(60, "c"))])
    assert [len(x) for x in out] == [0, 0, 1]
    # An event older than the window behind the newest one is too late to count.
    out, _ = feed(engine, [(600, ass(600, "a")), (610, ass(610, "b")), (611, ass(100, "c"))])
    assert [len(x) for x in out] == [0, 0, 0]


def test_threshold_without_distinct_counts_events_and_redelivery_counts_once():
    engine = engine_from(THRESHOLD.replace("    distinct: article.source\n", ""))
    e = ass(0, "a")
    out, _ = feed(engine, [(0, e), (1, e), (2, e), (3, ass(3, "a"))])
    assert [len(x) for x in out] == [0, 0, 0, 0]
    out, _ = feed(engine, [(0, ass(0, "a")), (1, ass(1, "a")), (2, ass(2, "a"))])
    assert [len(x) for x in out] == [0, 0, 1]


def test_threshold_raises_a_new_alert_after_the_open_one_closes():
    engine = engine_from(THRESHOLD)
    items = [(m, ass(m, s)) for m, s in [(0, "a"), (1, "b"), (2, "c"), (500, "a"), (501, "b"), (502, "c")]]
    out, _ = feed(engine, items)
    alerts = [a for batch in out for a in batch]
    assert [a.revision for a in alerts] == [1, 1]
    assert alerts[0].id != alerts[1].id


NEW = """
rules:
  - id: new-buildup
    kind: new
    when: {type: MOBILIZE}
    group_by: [actor.country, location.country]
    lookback: 30d
"""


def mob(days, source, actor="RUS", location="UKR"):
    return make_event("MOBILIZE", published_at=at(days=days), source=source, actor=actor, location=location)


def test_new_fires_on_the_first_event_of_a_group_and_after_a_quiet_lookback():
    engine = engine_from(NEW)
    states, out = {}, []
    for ev in [mob(0, "a"), mob(0.1, "b"), mob(0.2, "b"), mob(5, "c"), mob(5, "c", location="BLR"),
               mob(40, "d")]:
        out.append([(a.revision, a.group_key, a.sources) for a in engine.process(ev, states, ev.time)])
    assert out == [[(1, "RUS|UKR", ("a",))], [(2, "RUS|UKR", ("a", "b"))], [], [],
                   [(1, "RUS|BLR", ("c",))], [(1, "RUS|UKR", ("d",))]]


def test_new_is_not_fooled_by_a_late_old_event():
    engine = engine_from(NEW)
    states = {}
    assert len(engine.process(mob(10, "a"), states, at(days=10))) == 1
    assert engine.process(mob(-50, "b"), states, at(days=10, hours=2)) == []


SPIKE = """
rules:
  - id: surge
    kind: spike
    when: {type: PROTEST}
    group_by: [location.country]
    window: 1h
    baseline: 24h
    factor: 3
    min_count: 4
"""


def protest(minutes, n):
    return make_event("PROTEST", published_at=at(minutes), source=f"s{n}", location="IRN", actor=None)


def test_spike_needs_min_count_and_factor_over_the_baseline():
    engine = engine_from(SPIKE)
    states, fired = {}, []
    n = 0
    # Baseline: one event per hour for 24 hours (rate 1/h).
    for h in range(24):
        n += 1
        fired += engine.process(protest(h * 60, n), states, at(h * 60))
    assert fired == []
    # Then 3 events in the next hour: below min_count 4.
    for m in (24 * 60 + 5, 24 * 60 + 10, 24 * 60 + 15):
        n += 1
        fired += engine.process(protest(m, n), states, at(m))
    assert fired == []
    # A fourth: 4 (+1 from the baseline's last hour) in the window, rate >= 3x baseline.
    n += 1
    fired += engine.process(protest(24 * 60 + 20, n), states, at(24 * 60 + 20))
    assert len(fired) == 1 and fired[0].kind == "spike" and fired[0].revision == 1
    assert len(json.dumps(states)) < 60_000


def test_spike_from_silence_needs_min_count_so_one_event_is_no_spike():
    engine = engine_from(SPIKE)
    states = {}
    assert engine.process(protest(0, 1), states, at(0)) == []
    out = [engine.process(protest(m, m), states, at(m)) for m in (1, 2, 3)]
    assert [len(x) for x in out] == [0, 0, 1]


def test_spike_is_not_reached_when_the_baseline_is_as_busy():
    engine = engine_from(SPIKE)
    states, fired = {}, []
    for i in range(30 * 6):  # one event every 10 minutes for 30 hours: steady rate
        fired += engine.process(protest(i * 10, i), states, at(i * 10))
    # Only the group's first window (no history: an empty baseline) is a spike: one alert,
    # revised while it is open (each event here comes from a new outlet), none after.
    assert {a.id for a in fired} == {fired[0].id} and fired[0].first_alerted_at == at(30)
    assert max(a.alerted_at for a in fired) <= at(30 + 60)


SEQUENCE = """
rules:
  - id: escalation
    kind: sequence
    when: {context.negated: false}
    group_by: [actor.country, recipient.country]
    window: 7d
    steps:
      - type: MOBILIZE
      - type: THREATEN
      - type: ASSAULT
"""


def step(kind, days, source, actor="RUS", recipient="UKR", **kw):
    return make_event(kind, published_at=at(days=days), source=source, actor=actor, recipient=recipient, **kw)


def run_seq(engine, events):
    states, out = {}, []
    for ev, now_days in events:
        out.append(engine.process(ev, states, at(days=now_days)))
    return out, states


def test_sequence_in_order_within_the_window():
    engine = engine_from(SEQUENCE)
    out, states = run_seq(engine, [(step("MOBILIZE", 0, "a"), 0), (step("THREATEN", 1, "b"), 1),
                                   (step("ASSAULT", 2, "c"), 2), (step("ASSAULT", 2.5, "d"), 2.5)])
    assert [len(x) for x in out] == [0, 0, 1, 1]
    first, update = out[2][0], out[3][0]
    assert first.sources == ("a", "b", "c") and [e.type for e in first.events] == ["MOBILIZE", "THREATEN", "ASSAULT"]
    assert first.id == stable_id("escalation", "RUS|UKR", at(0).isoformat(), prefix="al-")
    assert update.id == first.id and update.revision == 2
    json.dumps(states)


def test_sequence_events_arriving_out_of_order_still_complete_the_chain():
    engine = engine_from(SEQUENCE)
    out, _ = run_seq(engine, [(step("ASSAULT", 2, "c"), 3), (step("MOBILIZE", 0, "a"), 3),
                              (step("THREATEN", 1, "b"), 3)])
    assert [len(x) for x in out] == [0, 0, 1]


def test_sequence_wrong_order_slow_or_negated_does_not_fire():
    engine = engine_from(SEQUENCE)
    for events in (
        [(step("THREATEN", 0, "a"), 0), (step("MOBILIZE", 1, "b"), 1), (step("ASSAULT", 2, "c"), 2)],
        [(step("MOBILIZE", 0, "a"), 0), (step("THREATEN", 1, "b"), 1), (step("ASSAULT", 9, "c"), 9)],
        [(step("MOBILIZE", 0, "a"), 0), (step("THREATEN", 1, "b", context={"negated": True}), 1),
         (step("ASSAULT", 2, "c"), 2)],
        [(step("MOBILIZE", 0, "a"), 0), (step("THREATEN", 1, "b", recipient="GEO"), 1),
         (step("ASSAULT", 2, "c"), 2)],
    ):
        out, _ = run_seq(engine, events)
        assert not any(out), events


def test_one_event_fills_one_step_only():
    engine = engine_from("""
rules:
  - id: twice
    kind: sequence
    group_by: [actor.country]
    window: 1d
    steps:
      - type: ASSAULT
      - type: ASSAULT
""")
    states = {}
    e = make_event("ASSAULT", published_at=at(0))
    assert engine.process(e, states, at(0)) == []
    assert engine.process(e, states, at(1)) == []           # redelivery is not a second event
    assert len(engine.process(make_event("ASSAULT", published_at=at(5)), states, at(5))) == 1


def test_sequence_state_is_bounded():
    engine = engine_from(SEQUENCE.replace("window: 7d", "window: 7d\n    max_events: 30"))
    states = {}
    for i in range(300):
        engine.process(step("MOBILIZE", i / 100, f"s{i}"), states, at(days=i / 100))
    [state] = states.values()
    assert sum(len(s) for s in state["steps"]) <= 30
    assert sum(1 for s in state["steps"] for e in s if "e" in e) <= 30
