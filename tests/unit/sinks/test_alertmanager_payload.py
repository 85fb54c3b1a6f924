from dataclasses import replace
from datetime import datetime, timedelta

from sinkkit import SEED_URL, make_alert

from stream.models import parse_time
from stream.sinks import alertmanager_alert
from stream.sinks.alertmanager import label_name


def test_labels_identify_the_alert():
    am = alertmanager_alert(make_alert())
    assert am["labels"] == {
        "alertname": "troop-buildup", "rule_id": "troop-buildup", "severity": "high",
        "alert_id": "al-5b594cfd5d1b3531", "origin": "sitrep-rules",
        "actor_country": "RUS", "location_country": "RUS",
    }


def test_annotations_carry_the_story():
    alert = make_alert()
    am = alertmanager_alert(alert)
    a = am["annotations"]
    assert a["summary"] == alert.summary
    assert a["evidence"] == alert.evidence
    assert a["article_url"] == SEED_URL
    assert a["description"].startswith("Troop buildup (match rule)")
    assert a["runbook"] == "rules/README.md#troop-buildup"  # the alert's own annotations pass through
    assert (a["revision"], a["source_count"]) == ("1", "1")
    assert am["generatorURL"] == SEED_URL


def test_times_follow_alerted_at_and_the_resolve_timeout():
    alert = make_alert()
    am = alertmanager_alert(alert, resolve_timeout=900)
    assert parse_time(am["startsAt"]) == alert.alerted_at
    assert parse_time(am["endsAt"]) - parse_time(am["startsAt"]) == timedelta(seconds=900)
    assert am["startsAt"].endswith("Z")


def test_labels_stay_the_same_across_revisions():
    first = make_alert()
    later = replace(make_alert(revision=3, sources=("a", "b", "c")), summary="more sources",
                    alerted_at=first.alerted_at + timedelta(minutes=5))
    assert alertmanager_alert(first)["labels"] == alertmanager_alert(later)["labels"]
    assert alertmanager_alert(later)["annotations"]["source_count"] == "3"


def test_alert_labels_are_sanitised_and_cannot_override_identity():
    alert = make_alert(labels={"actor-country": "UKR", "1st": "x", "severity": "low", "alertname": "x",
                               "empty": "", "region": "Europe"})
    labels = alertmanager_alert(alert)["labels"]
    assert labels["actor_country"] == "UKR"  # from the alert's labels, before the event's country
    assert labels["_1st"] == "x" and labels["region"] == "Europe"
    assert "empty" not in labels
    assert (labels["severity"], labels["alertname"]) == ("high", "troop-buildup")
    assert label_name("a.b c") == "a_b_c"


def test_no_generator_url_without_an_http_article_url():
    am = alertmanager_alert(make_alert(url=None))
    assert "generatorURL" not in am and "article_url" not in am["annotations"]
    assert "generatorURL" not in alertmanager_alert(make_alert(url="urn:x:y"))


def test_missing_alerted_at_uses_now():
    now = datetime.fromisoformat("2025-03-15T13:00:00+00:00")
    am = alertmanager_alert(replace(make_alert(), alerted_at=None, first_alerted_at=None), now=now)
    assert parse_time(am["startsAt"]) == now
