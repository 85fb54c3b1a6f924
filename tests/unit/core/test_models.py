"""Wire records survive a JSON round trip; timestamps are UTC ISO strings."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from samples import T, sample_event
from stream.models import Alert, DeadLetter, Event, format_time, parse_time, stable_id


def test_event_round_trip():
    event = sample_event()
    data = json.loads(json.dumps(event.to_dict()))
    assert data["article"]["published_at"] == "2025-03-15T12:30:00.000Z"
    assert Event.from_dict(data) == event


def test_alert_round_trip_and_source_count():
    event = sample_event()
    alert = Alert(id="al-1", rule_id="troop-buildup", rule_title="Troop buildup", severity="high", kind="match",
                  summary="s", evidence=event.text, article=event.article, events=(event,), sources=("a", "b"),
                  revision=2, published_at=T, ingested_at=T, alerted_at=T, first_alerted_at=T)
    data = json.loads(json.dumps(alert.to_dict()))
    assert data["source_count"] == 2
    assert Alert.from_dict(data) == alert


def test_dead_letter_round_trip():
    letter = DeadLetter(reason="invalid_json", detail="d", topic="articles", partition=0, offset=1, payload="x",
                        payload_size=1, rejected_at=T)
    assert DeadLetter.from_dict(json.loads(json.dumps(letter.to_dict()))) == letter


def test_times():
    assert format_time(datetime(2025, 1, 1)) == "2025-01-01T00:00:00.000Z"
    assert parse_time("2025-01-01") == datetime(2025, 1, 1, tzinfo=timezone.utc)
    assert parse_time("2025-01-01T02:00:00+02:00") == datetime(2025, 1, 1, tzinfo=timezone.utc)
    assert parse_time(0) == datetime(1970, 1, 1, tzinfo=timezone.utc)
    assert parse_time(None) is None


def test_stable_id_is_deterministic_and_separates_parts():
    assert stable_id("a", "b") == stable_id("a", "b")
    assert stable_id("ab", "") != stable_id("a", "b")
