"""match rules: story dedup, idempotence, suppression, ids and timestamps."""

import copy
import json
from datetime import timedelta

from stream.alerting import Engine, Route, state_expired
from stream.alerting.loader import parse_sources
from stream.models import Alert, stable_id

from alerting_helpers import T0, at, engine_from, make_event

RULES = """
rules:
  - id: buildup
    title: Buildup
    severity: high
    when: {type: MOBILIZE, context.negated: false}
    labels: {country: "{{ actor.country }}"}
    annotations:
      summary: "{{ actor.name | default(actor.text) }} ({{ alert.source_count }} sources)"
"""


def apply_all(engine, events, now=None):
    states, alerts = {}, []
    for ev in events:
        alerts.extend(engine.process(ev, states, now or ev.time))
    return alerts, states


def test_first_report_alerts_with_deterministic_id_and_times():
    engine = engine_from(RULES)
    ev = make_event(published_at=at(0), ingested_at=at(5), actor_name="Russia")
    [route] = engine.route(ev)
    assert route == Route("buildup", "MOBILIZE|RUS||") and route.key == "buildup|MOBILIZE|RUS||"
    state, [alert] = engine.apply(route, ev, None, at(6))
    day = T0.replace(hour=0)
    assert alert.id == stable_id("buildup", "MOBILIZE|RUS||", day.isoformat(), prefix="al-")
    assert (alert.rule_id, alert.rule_title, alert.severity, alert.kind) == ("buildup", "Buildup", "high", "match")
    assert alert.revision == 1 and alert.sources == ("reuters",)
    assert alert.published_at == at(0) and alert.ingested_at == at(5)
    assert alert.alerted_at == at(6) and alert.first_alerted_at == at(6)
    assert alert.labels == {"country": "RUS"} and alert.summary == "Russia (1 sources)"
    assert alert.events == (ev,) and alert.group_key == "MOBILIZE|RUS||"
    json.dumps(state)  # plain JSON data
    assert Alert.from_dict(json.loads(json.dumps(alert.to_dict()))) == alert


def test_redelivery_is_idempotent_and_the_input_state_is_not_mutated():
    engine = engine_from(RULES)
    ev = make_event()
    route = engine.route(ev)[0]
    state, alerts = engine.apply(route, ev, None, at(1))
    frozen = copy.deepcopy(state)
    again, none = engine.apply(route, ev, state, at(2))
    assert none == [] and again == frozen and state == frozen
    assert engine.evaluate(route, ev, state, at(2)).reason == "duplicate"


def test_same_story_new_outlet_revises_the_same_alert_same_outlet_does_not():
    engine = engine_from(RULES)
    evs = [make_event(source="reuters", published_at=at(0)),
           make_event(source="Reuters", published_at=at(30)),          # another article, same outlet
           make_event(source="ap", published_at=at(60)),
           make_event(source=None, url="https://www.bbc.co.uk/news/1", published_at=at(90))]
    alerts, _ = apply_all(engine, evs)
    assert [(a.revision, a.sources) for a in alerts] == [
        (1, ("reuters",)), (2, ("reuters", "ap")), (3, ("reuters", "ap", "bbc.co.uk"))]
    assert len({a.id for a in alerts}) == 1
    assert all(a.first_alerted_at == at(0) for a in alerts)
    assert alerts[-1].alerted_at == at(90)


def test_another_day_or_another_country_is_another_story():
    engine = engine_from(RULES)
    alerts, states = apply_all(engine, [
        make_event(published_at=at(0)), make_event(published_at=at(days=1)),
        make_event(published_at=at(0), actor="BLR")])
    assert [a.revision for a in alerts] == [1, 1, 1]
    assert len({a.id for a in alerts}) == 3
    assert set(states) == {"buildup|MOBILIZE|RUS||", "buildup|MOBILIZE|BLR||"}


def test_group_by_and_window_define_the_story():
    engine = engine_from("""
rules:
  - id: r
    when: {type: MOBILIZE}
    group_by: [actor.country]
    window: 6h
""")
    alerts, _ = apply_all(engine, [
        make_event(published_at=at(hours=0), location="UKR", source="a"),
        make_event(published_at=at(hours=1), location="POL", source="b"),
        make_event(published_at=at(hours=9), source="c")])
    assert [(a.revision, a.group_key) for a in alerts] == [(1, "RUS"), (2, "RUS"), (1, "RUS")]
    assert alerts[0].id == alerts[1].id != alerts[2].id


def test_suppress_for_holds_new_stories_and_delays_updates():
    engine = engine_from("""
rules:
  - id: r
    when: {type: MOBILIZE}
    group_by: [actor.country]
    window: 1h
    suppress_for: 3h
""")
    states, out = {}, []

    def feed(minutes, source):
        ev = make_event(published_at=at(minutes), source=source)
        out.append(engine.process(ev, states, at(minutes)))

    feed(0, "a")      # new story: alert
    feed(10, "b")     # update inside suppress_for: held back (pending)
    feed(70, "c")     # a new story inside suppress_for: dropped
    feed(200, "d")    # a new story after suppress_for: alert
    assert [[(a.revision, a.sources) for a in batch] for batch in out] == [
        [(1, ("a",))], [], [], [(1, ("d",))]]


def test_pending_update_is_emitted_by_the_next_event_after_suppression():
    engine = engine_from("""
rules:
  - id: r
    when: {type: MOBILIZE}
    group_by: [actor.country]
    suppress_for: 2h
""")
    states = {}
    a1 = engine.process(make_event(published_at=at(0), source="a"), states, at(0))
    a2 = engine.process(make_event(published_at=at(10), source="b"), states, at(10))
    a3 = engine.process(make_event(published_at=at(200), source="a"), states, at(200))
    assert [len(a1), len(a2)] == [1, 0]
    assert [(a.revision, a.sources) for a in a3] == [(2, ("a", "b"))]
    assert a3[0].id == a1[0].id


def test_changed_rule_discards_stale_state_and_title_edits_keep_it():
    engine = engine_from(RULES)
    ev = make_event()
    route = engine.route(ev)[0]
    state, _ = engine.apply(route, ev, None, at(1))
    retitled = engine_from(RULES.replace("title: Buildup", "title: Massing"))
    assert retitled.rule("buildup").fingerprint == engine.rule("buildup").fingerprint
    assert retitled.apply(route, ev, state, at(2))[1] == []          # still a duplicate
    changed = engine_from(RULES.replace("context.negated: false", "context.hypothetical: false"))
    assert changed.rule("buildup").fingerprint != engine.rule("buildup").fingerprint
    new_state, alerts = changed.apply(route, ev, state, at(2))
    assert len(alerts) == 1 and new_state["rule"] == changed.rule("buildup").fingerprint


def test_removed_rule_deletes_the_state():
    engine = engine_from(RULES)
    assert engine.apply(Route("gone", "x"), make_event(), {"v": 1}, at(0)) == (None, [])


def test_event_time_falls_back_to_ingestion_and_never_runs_ahead_of_now():
    engine = engine_from(RULES)
    late_day = make_event(published_at=None, ingested_at=at(days=2))
    alert = engine.process(late_day, {}, at(days=2, minutes=1))[0]
    assert alert.id == stable_id("buildup", "MOBILIZE|RUS||", (T0.replace(hour=0) + timedelta(days=2)).isoformat(),
                                 prefix="al-")
    future = make_event(published_at=at(days=30))
    alert = engine.process(future, {}, at(0))[0]
    assert alert.id == stable_id("buildup", "MOBILIZE|RUS||", T0.replace(hour=0).isoformat(), prefix="al-")
    undated = make_event(published_at=None)
    assert engine.process(undated, {}, at(0))[0].id == alert.id


def test_max_age_ignores_stale_articles():
    engine = engine_from("""
rules:
  - id: r
    when: {type: MOBILIZE}
    max_age: 2d
""")
    old = make_event(published_at=at(days=-10))
    route = engine.route(old)[0]
    outcome = engine.evaluate(route, old, None, at(0))
    assert outcome.alerts == [] and outcome.reason == "too_old" and outcome.state is None
    assert len(engine.process(make_event(published_at=at(days=-1)), {}, at(0))) == 1


def test_state_is_bounded_and_expires():
    engine = engine_from(RULES)
    states = {}
    for i in range(engine.limits.max_seen_ids + 50):
        engine.process(make_event(published_at=at(days=i % 40), source=f"s{i}"), states, at(days=40))
    [state] = states.values()
    assert len(state["seen"]) == engine.limits.max_seen_ids
    assert len(state["stories"]) <= engine.limits.max_stories
    assert all(len(s["sources"]) <= engine.limits.max_sources for s in state["stories"].values())
    assert not state_expired(state, at(days=40))
    assert state_expired(state, at(days=45))
    assert state_expired(None, at(0))


def test_disabled_rules_do_not_route():
    ruleset, _ = parse_sources([("r.yaml", RULES.replace("severity: high", "severity: high\n    enabled: false"))])
    engine = Engine(ruleset)
    assert engine.route(make_event()) == [] and engine.rules == ()
    assert [r.id for r in ruleset.rules] == ["buildup"]
