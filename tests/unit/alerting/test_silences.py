from datetime import timedelta

import pytest

from stream.alerting import Matcher, Silence, silenced_by
from stream.alerting.fields import EventView

from alerting_helpers import T0, at, engine_from, make_event

RULES = """
rules:
  - id: buildup
    when: {type: MOBILIZE}
    labels: {team: europe, country: "{{ actor.country }}"}
  - id: strike
    when: {type: ASSAULT}
"""


def alert_for(ev):
    return engine_from(RULES).process(ev, {}, at(1))[0]


def silence(*matchers, rule_id=None, start=0, hours=2):
    return Silence.create(rule_id=rule_id, matchers=matchers, starts_at=at(start), ends_at=at(start, hours=hours),
                          comment="known exercise", created_by="analyst", created_at=at(start))


def test_matchers_on_labels_alert_fields_and_event_fields():
    a = alert_for(make_event("MOBILIZE", actor="RUS", location="BLR", source="TASS"))
    cases = {
        "team=europe": True, "labels.team=europe": True, "team=asia": False, "team!=asia": True,
        "country=RUS": True, "rule_id=buildup": True, "severity=medium": True,
        "actor.country=RUS": True, "event.location.country=BLR": True, "location.country=UKR": False,
        "article.source=~(?i)tass|ria": True, "article.source=~tass": False, "article.source!~TASS": False,
        "context.negated=false": True, "actor.name=": True,
    }
    for text, expected in cases.items():
        assert Matcher.parse(text).matches(a, EventView(a.events[0])) is expected, text


def test_silenced_by_checks_rule_matchers_and_time():
    a = alert_for(make_event("MOBILIZE", actor="RUS"))
    s_rule = silence(rule_id="buildup")
    s_other_rule = silence("actor.country=RUS", rule_id="strike")
    s_later = silence("actor.country=RUS", start=120)
    s_match = silence("actor.country=RUS", "team=europe")
    assert silenced_by(a, [s_other_rule, s_later], at(1)) is None
    assert silenced_by(a, [s_other_rule, s_later, s_match], at(1)) is s_match
    assert silenced_by(a, [s_rule], at(1)) is s_rule
    assert silenced_by(a, [s_rule], at(1, hours=3)) is None  # expired
    assert silenced_by(a, [s_later], at(121)) is s_later


def test_round_trip_and_ids():
    s = silence("actor.country=RUS", "article.source=~re.*", rule_id="buildup")
    again = Silence.from_dict(s.to_dict())
    assert again == s
    assert s.to_dict()["matchers"][1] == {"field": "article.source", "op": "=~", "value": "re.*"}
    assert s.id == silence("actor.country=RUS", "article.source=~re.*", rule_id="buildup").id
    assert Silence.from_dict({**s.to_dict(), "matchers": ["team=europe"]}).matchers == (Matcher("team", "europe"),)


def test_invalid_silences_are_refused():
    with pytest.raises(ValueError):
        Matcher.parse("no operator")
    with pytest.raises(ValueError):
        Matcher.parse("x=~(a")
    with pytest.raises(ValueError):
        Silence(id="s", starts_at=T0, ends_at=T0 - timedelta(hours=1), rule_id="x")
    with pytest.raises(ValueError):
        Silence(id="s", starts_at=T0, ends_at=at(60))  # would silence everything
