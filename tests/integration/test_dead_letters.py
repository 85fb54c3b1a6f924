"""Malformed input goes to the dead-letter topic with its reason; the worker keeps going."""

from __future__ import annotations

import json

import pytest

from schema_kit import errors
from pipeline_kit import REPO, caught_up, read_json, send_articles, send_raw, wait_for
from stream.extract.inputs import read_articles

pytestmark = pytest.mark.integration

SEED = REPO / "seeds" / "000_5b594cfd5d1b3531.txt"

BAD = {
    "not JSON": (b"Moscow masses troops near the border", "invalid_json", None),
    "JSON array": (b'[{"text": "hello"}]', "not_an_object", None),
    "missing text": (json.dumps({"id": "no-text", "title": "Headline only"}).encode(), "missing_field", "text"),
    "empty text": (json.dumps({"id": "empty", "text": "   "}).encode(), "missing_field", "text"),
    "text not a string": (json.dumps({"id": "num", "text": 42}).encode(), "invalid_field", "text"),
    "non-UTF-8 bytes": ('{"id": "latin1", "text": "Bogot\u00e1 troops"}'.encode("latin-1"), "invalid_utf8", None),
    "oversize text": (json.dumps({"id": "big", "text": "troops " * 40_000}).encode(), "too_large", "text"),
    "oversize message": (b'{"text": "' + b"x" * 2_100_000 + b'"}', "too_large", None),
    "bad date": (json.dumps({"id": "date", "text": "Troops moved.", "published_at": "yesterday"}).encode(),
                 "invalid_field", "published_at"),
    "deep nesting": (b'{"text": "t", "metadata": ' + b"[" * 5000 + b"]" * 5000 + b"}", "invalid_json", None),
    "other language": (json.dumps({"id": "fr", "text": "Les troupes avancent.", "language": "fr"}).encode(),
                       "unsupported_language", "language"),
}


def test_each_malformed_message_lands_on_the_dlq_and_a_good_article_still_alerts(pipeline_settings, start_worker):
    settings = pipeline_settings
    worker = start_worker(settings)
    keys = [name.encode() for name in BAD]
    send_raw(settings, [(key, BAD[name][0]) for key, name in zip(keys, BAD)])
    [seed] = list(read_articles(str(SEED)))
    send_articles(settings, [seed])

    letters = wait_for(lambda: len(d := read_json(settings, settings.dlq_topic)) >= len(BAD) and d, 60,
                       f"{len(BAD)} dead letters\n{worker.log_tail()}")
    by_key = {letter["key"]: letter for letter in letters}
    assert set(by_key) == set(BAD), "every bad message is on the DLQ exactly once"
    for name, (payload, reason, field) in BAD.items():
        letter = by_key[name]
        assert errors("dead-letter", letter) == [], letter
        assert letter["reason"] == reason, (name, letter)
        assert letter["field"] == field, (name, letter)
        assert letter["detail"], name
        assert letter["topic"] == settings.articles_topic
        assert letter["offset"] >= 0 and letter["partition"] >= 0
        assert letter["payload_size"] == len(payload)
        assert letter["payload_truncated"] == (len(payload) > 4096)

    wait_for(lambda: {"troop-buildup", "sanctions"} <= {a["rule_id"] for a in read_json(settings, settings.alerts_topic)},
             60, f"alerts for the good article\n{worker.log_tail()}")
    wait_for(lambda: caught_up(settings), 30, "all processed")
    assert worker.alive()
    assert worker.metric("sitrep_dlq_messages_total") == len(BAD)
    assert worker.metric("sitrep_dlq_messages_total", reason="too_large") == 2
    assert worker.metric("sitrep_articles_consumed_total") == len(BAD) + 1
