"""The shipped JSON Schemas accept what sitrep writes and reject what it would reject."""

from __future__ import annotations

import json

from samples import T, sample_event
from schema_kit import errors
from stream.decode import REASONS
from stream.models import Alert, DeadLetter



def test_event_and_alert_records_match_their_schemas():
    event = sample_event()
    assert errors("event", json.loads(json.dumps(event.to_dict()))) == []
    alert = Alert(id="al-1", rule_id="r", rule_title="R", severity="high", kind="match", summary="s",
                  evidence=event.text, article=event.article, events=(event,), alerted_at=T)
    assert errors("alert", json.loads(json.dumps(alert.to_dict()))) == []


def test_schemas_reject_broken_records():
    event = sample_event().to_dict()
    event["confidence"] = 3
    del event["type"]
    problems = errors("event", event)
    assert any("confidence" in p for p in problems) and any("'type' is a required" in p for p in problems)
    assert errors("article", {"title": "no text"}) != []
    assert errors("article", {"text": "body", "published_at": "2025-03-15"}) == []


def test_dead_letter_schema_lists_every_reason():
    for reason in REASONS:
        letter = DeadLetter(reason=reason, detail="d", topic="t", partition=0, offset=0, payload="", payload_size=0)
        assert errors("dead-letter", letter.to_dict()) == [], reason
