"""The whole pipeline on the real broker: seed article in, alerts out, read back by a real consumer."""

from __future__ import annotations

import pytest

from schema_kit import errors
from pipeline_kit import REPO, caught_up, read_json, send_articles, wait_for
from stream.extract.inputs import read_articles

pytestmark = pytest.mark.integration

SEED = REPO / "seeds" / "000_5b594cfd5d1b3531.txt"


def _alerts_by_rule(settings) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for alert in read_json(settings, settings.alerts_topic):
        out.setdefault(alert["rule_id"], []).append(alert)
    return out


def test_seed_article_yields_troop_buildup_and_sanctions_alerts(pipeline_settings, start_worker):
    settings = pipeline_settings
    worker = start_worker(settings)
    [seed] = list(read_articles(str(SEED)))
    assert send_articles(settings, [seed]) == 1

    alerts = wait_for(lambda: (a := _alerts_by_rule(settings)) and {"troop-buildup", "sanctions"} <= set(a) and a,
                      60, f"troop-buildup and sanctions alerts\n{worker.log_tail()}")

    # The buildup near Sumy: "Moscow was accumulating forces nearby" / "The buildup of Russian forces".
    [buildup, *_] = [a for a in alerts["troop-buildup"]
                     if a["events"][0]["actor"]["country"] == "RUS" and "forces" in a["evidence"]]
    assert buildup["severity"] in {"high", "critical"}
    assert buildup["article"]["id"] == seed.id
    assert buildup["events"][0]["type"] == "MOBILIZE"
    assert buildup["published_at"].startswith("2025-03-15")
    assert buildup["ingested_at"] and buildup["alerted_at"]
    assert buildup["alerted_at"] >= buildup["ingested_at"]
    assert buildup["schema_version"] == 1

    for alert in sum(alerts.values(), []):
        assert errors("alert", alert) == [], alert
    # Zelenskyy's call for strengthened sanctions on Russia: one alert, however many events it reads as.
    [sanctions] = [a for a in alerts["sanctions"] if "strengthened sanctions" in a["evidence"]]
    assert sanctions["events"][0]["type"] in {"SANCTION", "REQUEST"}
    assert sanctions["events"][0]["actor"]["country"] == "UKR"
    assert sanctions["events"][0]["recipient"]["country"] == "RUS"

    events = read_json(settings, settings.events_topic)
    types = {e["type"] for e in events}
    assert {"MOBILIZE", "SANCTION", "ASSAULT", "REQUEST"} <= types
    assert types & {"AGREE", "CONCEDE"}
    for event in events:
        assert errors("event", event) == [], event
        start, end = event["evidence"][0]["start"], event["evidence"][0]["end"]
        assert seed.text[start:end] == event["evidence"][0]["sentence"]

    wait_for(lambda: worker.metric("sitrep_alerts_total", rule="troop-buildup") >= 1, 10, "alert metric")
    assert worker.metric("sitrep_articles_consumed_total") == 1
    assert worker.metric("sitrep_events_total", type="MOBILIZE") >= 1
    assert worker.metric("sitrep_end_to_end_latency_seconds_count") >= 2
    assert worker.metric("sitrep_rules_loaded") >= 2
    assert worker.metric("sitrep_rules_last_reload_success") == 1


def test_redelivered_article_reuses_alert_ids(pipeline_settings, start_worker):
    """Sending the same article again must not create new alerts (ids are deterministic)."""
    settings = pipeline_settings
    worker = start_worker(settings)
    [seed] = list(read_articles(str(SEED)))
    send_articles(settings, [seed])
    wait_for(lambda: worker.metric("sitrep_articles_processed_total") >= 1, 60, f"first copy\n{worker.log_tail()}")
    wait_for(lambda: caught_up(settings), 30, "first copy fully processed")
    first = {a["id"] for a in read_json(settings, settings.alerts_topic)}
    assert len(first) >= 2
    send_articles(settings, [seed])
    wait_for(lambda: worker.metric("sitrep_articles_processed_total") >= 2, 30, "second copy processed")
    wait_for(lambda: caught_up(settings), 30, "second copy fully processed")
    assert len(read_json(settings, settings.alerts_topic)) >= len(first)
    ids = {a["id"] for a in read_json(settings, settings.alerts_topic)}
    assert ids == first
