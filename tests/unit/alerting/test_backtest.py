"""Backtest without Kafka: time arguments, evaluation order and the report."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from stream.backtest import Input, Report, evaluate, parse_when
from stream.cli.rules import format_backtest
from stream.errors import ConfigError

from alerting_helpers import T0, at, engine_from, make_event

NOW = datetime(2025, 3, 20, 12, 0, tzinfo=timezone.utc)

RULES = """
rules:
  - id: buildup
    description: d
    when: {type: MOBILIZE}
    group_by: [actor.country]
  - id: corroborated
    description: d
    kind: threshold
    when: {type: ASSAULT}
    group_by: [actor.country]
    count: 3
    distinct: source
    window: 6h
  - id: fresh-only
    description: d
    when: {type: PROTEST}
    max_age: 1h
  - id: unused
    description: d
    when: {type: SANCTION}
"""


@pytest.mark.parametrize("text, expected", [
    ("now", NOW),
    ("NOW", NOW),
    ("-24h", NOW - timedelta(hours=24)),
    ("-7d", NOW - timedelta(days=7)),
    ("- 1h30m", NOW - timedelta(hours=1, minutes=30)),
    ("now-2w", NOW - timedelta(weeks=2)),
    ("2025-03-15T10:00:00Z", T0),
    ("2025-03-15T12:00:00+02:00", T0),
    ("2025-03-15T10:00", T0),          # naive means UTC
    ("2025-03-15", datetime(2025, 3, 15, tzinfo=timezone.utc)),
])
def test_parse_when(text, expected):
    assert parse_when(text, NOW) == expected


@pytest.mark.parametrize("text", ["", "yesterday", "-3 parsecs", "+2h", "-h"])
def test_parse_when_rejects_nonsense_with_a_hint(text):
    with pytest.raises(ConfigError, match="not a time"):
        parse_when(text, NOW)


def item(event, t: datetime, partition: int = 0, offset: int = 0) -> Input:
    return Input(time=t, partition=partition, offset=offset, event=event)


def test_report_per_rule_in_time_order_whatever_the_read_order():
    engine = engine_from(RULES)
    inputs = [
        # read partition by partition, so not in time order: evaluation sorts by record time
        item(make_event("ASSAULT", source="c", published_at=at(hours=2)), at(hours=2), 1, 0),
        item(make_event("MOBILIZE", source="a", actor="RUS", published_at=at(0)), at(0), 0, 0),
        item(make_event("ASSAULT", source="a", published_at=at(0)), at(0), 0, 1),
        item(make_event("MOBILIZE", source="b", actor="RUS", published_at=at(1)), at(minutes=1), 0, 2),
        item(make_event("ASSAULT", source="b", published_at=at(hours=1)), at(hours=1), 2, 0),
        item(make_event("MOBILIZE", source="a", actor="CHN", published_at=at(hours=3)), at(hours=3), 2, 1),
        item(make_event("ASSAULT", source="d", published_at=at(hours=4)), at(hours=4), 3, 0),
    ]
    report = evaluate(engine, inputs, Report(start=T0, end=at(hours=5), input="events", topic="events"))
    assert report.events == 7

    buildup = report.rule("buildup")
    assert (buildup.matched, buildup.alerts, buildup.notifications, buildup.revisions) == (3, 2, 3, 1)
    assert (buildup.first_at, buildup.last_at) == (at(0), at(hours=3))
    assert buildup.groups == {"RUS": 1, "CHN": 1}

    # Three outlets within 6 h: one alert, when the third arrives (at +2h), revised by the fourth.
    corroborated = report.rule("corroborated")
    assert (corroborated.matched, corroborated.alerts, corroborated.revisions) == (4, 1, 1)
    assert corroborated.first_at == at(hours=2)
    assert corroborated.reasons == {"below_threshold": 2}

    unused = report.rule("unused")
    assert (unused.matched, unused.alerts, unused.first_at) == (0, 0, None)
    assert [t for t, _ in report.alerts] == sorted(t for t, _ in report.alerts)
    assert all(a.alerted_at == t for t, a in report.alerts)  # record time is the processing time

    data = report.to_dict(top_n=1)
    assert data["alerts"] == 3 and data["notifications"] == 5
    assert [r["id"] for r in data["rules"]] == ["buildup", "corroborated", "fresh-only", "unused"]
    assert data["rules"][0]["top_groups"] == [{"group_key": "CHN", "alerts": 1}]  # ties by key
    assert data["rules"][1]["first_at"] == "2025-03-15T12:00:00.000Z"
    assert "alert_records" not in data
    assert len(report.to_dict(with_alerts=True)["alert_records"]) == 5

    text = format_backtest(report)
    assert "7 events" in text and "nothing was published" in text
    assert "3 alerts (5 notifications with revisions) from 2 of 4 rules" in text
    lines = text.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("rule "))
    assert lines[header + 1].split()[:5] == ["buildup", "match", "3", "2", "1"]


def test_record_time_is_the_processing_time_for_max_age_and_duplicates():
    engine = engine_from(RULES)
    old = make_event("PROTEST", published_at=at(0))
    late = make_event("PROTEST", published_at=at(0))
    report = evaluate(engine, [
        item(old, at(minutes=30)),             # 30 min old when read: alerts
        item(late, at(hours=2), offset=1),     # 2 h old when read: too old for max_age 1h
        item(old, at(minutes=45), offset=2),   # the same event again: a redelivery
    ])
    rule = report.rule("fresh-only")
    assert (rule.matched, rule.alerts) == (3, 1)
    assert rule.reasons == {"too_old": 1, "duplicate": 1}


@pytest.mark.parametrize("value", ["-24h", "-1h30m", "now-7d", "2025-03-15T10:00Z"])
def test_cli_takes_relative_times_after_the_flag(value):
    from stream.cli import build_parser

    args = build_parser().parse_args(["rules", "backtest", "--from", value, "--to", value])
    assert (args.start, args.end) == (value, value)
