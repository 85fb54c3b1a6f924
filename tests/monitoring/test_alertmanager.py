"""The sample Alertmanager config, and a real Alertmanager receiving sitrep's alerts from the sink."""

from __future__ import annotations

import asyncio
import json
import subprocess
import threading
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import yaml
from prometheus_client import CollectorRegistry
from promkit import DEPLOY, binary, http, wait_for

from stream.metrics import Metrics
from stream.models import Actor, Alert, ArticleRef, Event, Evidence, Place, parse_time
from stream.sinks import AlertmanagerSink, RetryPolicy, SinkSet, SinkSettings, build_sinks

pytestmark = pytest.mark.prometheus

CONFIG = DEPLOY / "alertmanager" / "alertmanager.yml"
BUILDUP = ("\u201cThe buildup of Russian forces indicates that Moscow intends to keep ignoring "
           "diplomacy,\u201d Zelenskyy added.")
ARTICLE_URL = "https://news.example.org/2025/03/15/starmer-putin-ceasefire"


def troop_buildup_alert(alerted_at: datetime, *, revision: int = 1, sources=("news.example.org",)) -> Alert:
    """The alert the troop-buildup rule raises on the seed article."""
    article = ArticleRef(id="a-5b594cfd5d1b3531", url=ARTICLE_URL, source="news.example.org",
                         title="Starmer urges Putin to sign up to ceasefire",
                         published_at=alerted_at - timedelta(seconds=5), ingested_at=alerted_at - timedelta(seconds=1))
    event = Event(id="ev-buildup", type="MOBILIZE", article=article, text=BUILDUP, trigger="buildup",
                  actor=Actor(text="Russian forces", name="Russia", country="RUS", sector="MIL"),
                  location=Place(text="Kursk", name="Kursk", country="RUS"),
                  evidence=(Evidence(sentence=BUILDUP, start=0, end=len(BUILDUP)),), confidence=0.8)
    return Alert(id="al-troop-buildup-rus", rule_id="troop-buildup", rule_title="Troop buildup", severity="high",
                 kind="match", summary="Russia builds up forces near Kursk", evidence=BUILDUP, article=article,
                 events=(event,), group_key="RUS", labels={"actor_country": "RUS"}, sources=tuple(sources),
                 revision=revision, alerted_at=alerted_at, first_alerted_at=alerted_at)


def amtool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([binary("amtool"), *args], capture_output=True, text=True, timeout=60)


# ------------------------------------------------------------------ the config file
def test_amtool_check_config():
    result = amtool("check-config", str(CONFIG))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


@pytest.mark.parametrize("labels, receiver", [
    (["alertname=troop-buildup", "severity=high", "origin=sitrep-rules", "actor_country=RUS"], "analysts"),
    (["alertname=coup", "severity=critical", "origin=sitrep-rules"], "analysts-urgent"),
    (["alertname=sanctions", "severity=medium", "origin=sitrep-rules"], "analysts-digest"),
    (["alertname=SitrepWorkerDown", "severity=critical", "origin=sitrep-pipeline"], "oncall-page"),
    (["alertname=SitrepNoArticles", "severity=warning", "origin=sitrep-pipeline"], "oncall"),
])
def test_routing_by_origin_and_severity(labels, receiver):
    result = amtool("config", "routes", "test", f"--config.file={CONFIG}", f"--verify.receivers={receiver}", *labels)
    assert result.returncode == 0, result.stdout + result.stderr


# ------------------------------------------------------------------ a real Alertmanager
class Notifications:
    """A webhook receiver for Alertmanager's notifications (one thread, 127.0.0.1)."""

    def __init__(self):
        self.received: list[tuple[str, dict]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.received.append((self.path, json.loads(body)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture(scope="module")
def notifications():
    n = Notifications()
    yield n
    n.close()


@pytest.fixture(scope="module")
def alertmanager(alertmanager_factory, notifications):
    """Alertmanager running the sample config, its webhooks pointed at a local receiver, waits cut to 1 s."""
    config = yaml.safe_load(CONFIG.read_text())

    def shorten(route):
        for key in ("group_wait", "group_interval"):
            if key in route:
                route[key] = "1s"
        for child in route.get("routes") or []:
            shorten(child)

    config["route"].update(group_wait="1s", group_interval="1s")
    shorten(config["route"])
    for receiver in config["receivers"]:
        for hook in receiver.get("webhook_configs") or []:
            hook["url"] = f"{notifications.url}/{receiver['name']}"
    return alertmanager_factory(config)


def deliver(url: str, alerts: list[Alert], metrics: Metrics) -> None:
    settings = SinkSettings(alertmanager_url=url, retries=2, backoff_initial=0.2)

    async def run():
        async with build_sinks(settings, metrics=metrics) as sinks:
            for alert in alerts:
                await sinks.deliver(alert)
            assert await sinks.flush(20)

    asyncio.run(run())


def test_the_sink_delivers_the_troop_buildup_alert(alertmanager, notifications):
    metrics = Metrics(CollectorRegistry(), process=False)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    alert = troop_buildup_alert(now)
    deliver(alertmanager.url, [alert], metrics)
    assert metrics.registry.get_sample_value(
        "sitrep_sink_deliveries_total", {"sink": "alertmanager", "result": "delivered"}) == 1

    (got,) = wait_for(lambda: alertmanager.alerts(alertname="troop-buildup"), timeout=20,
                      what="the alert in Alertmanager", diagnostics=alertmanager.process.log_tail)
    assert got["labels"] == {"alertname": "troop-buildup", "rule_id": "troop-buildup", "severity": "high",
                             "alert_id": alert.id, "origin": "sitrep-rules", "actor_country": "RUS",
                             "location_country": "RUS"}
    assert got["annotations"]["summary"] == alert.summary
    assert got["annotations"]["evidence"] == BUILDUP
    assert got["annotations"]["article_url"] == ARTICLE_URL
    assert got["generatorURL"] == ARTICLE_URL
    assert parse_time(got["startsAt"]) == now
    assert parse_time(got["endsAt"]) == now + timedelta(hours=1)
    assert got["status"]["state"] == "active"
    assert [r["name"] for r in got["receivers"]] == ["analysts"]

    # ... and Alertmanager routes it to the analysts' webhook
    def notified():
        return [body for path, body in notifications.received
                if path == "/analysts" and body["groupLabels"].get("alertname") == "troop-buildup"]

    (note, *_) = wait_for(notified, timeout=20, what="the analysts' notification",
                          diagnostics=alertmanager.process.log_tail)
    assert note["groupLabels"] == {"alertname": "troop-buildup", "actor_country": "RUS"}
    assert note["alerts"][0]["annotations"]["summary"] == alert.summary


def test_a_new_revision_updates_the_same_alertmanager_alert(alertmanager):
    metrics = Metrics(CollectorRegistry(), process=False)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    first = replace(troop_buildup_alert(now), id="al-revised")
    later = replace(troop_buildup_alert(now + timedelta(seconds=30), revision=2,
                                        sources=("news.example.org", "wire.example.net")), id="al-revised")
    deliver(alertmanager.url, [first], metrics)
    wait_for(lambda: alertmanager.alerts(alert_id="al-revised"), timeout=20, what="the first revision")
    deliver(alertmanager.url, [later], metrics)

    def updated():
        alerts = alertmanager.alerts(alert_id="al-revised")
        return alerts if alerts and alerts[0]["annotations"]["source_count"] == "2" else None

    (got,) = wait_for(updated, timeout=20, what="the second revision replacing the first")
    assert got["annotations"]["revision"] == "2"
    assert parse_time(got["startsAt"]) == now  # Alertmanager keeps the first start


def test_critical_inhibits_lower_severities_of_the_same_group(alertmanager):
    now = datetime.now(timezone.utc)
    base = {"alertname": "SitrepConsumerLagHigh", "origin": "sitrep-pipeline", "job": "sitrep", "topic": "articles"}
    payload = [{"labels": {**base, "severity": sev}, "annotations": {"summary": "lag"},
                "startsAt": now.isoformat(), "endsAt": (now + timedelta(minutes=10)).isoformat()}
               for sev in ("warning", "critical")]
    status, body = http("POST", f"{alertmanager.url}/api/v2/alerts", payload)
    assert status == 200, body

    def states():
        alerts = alertmanager.alerts(alertname="SitrepConsumerLagHigh")
        by_severity = {a["labels"]["severity"]: a["status"] for a in alerts}
        return by_severity if by_severity.get("warning", {}).get("state") == "suppressed" else None

    got = wait_for(states, timeout=20, what="the warning inhibited by the critical",
                   diagnostics=alertmanager.process.log_tail)
    assert got["critical"]["state"] == "active"
    assert got["warning"]["inhibitedBy"]


def test_an_alert_alertmanager_refuses_is_rejected_not_retried(alertmanager):
    """A real 400 from Alertmanager (an alert that ends before it starts) counts as rejected, with no retry."""
    metrics = Metrics(CollectorRegistry(), process=False)
    sink = AlertmanagerSink(alertmanager.url, resolve_timeout=-60)

    async def run():
        async with SinkSet([sink], policy=RetryPolicy(retries=2, initial=0.1), metrics=metrics) as sinks:
            await sinks.deliver(replace(troop_buildup_alert(datetime.now(timezone.utc)), id="al-bad"))
            assert await sinks.flush(20)

    asyncio.run(run())
    sample = metrics.registry.get_sample_value
    assert sample("sitrep_sink_deliveries_total", {"sink": "alertmanager", "result": "rejected"}) == 1
    assert sample("sitrep_sink_deliveries_total", {"sink": "alertmanager", "result": "retried"}) == 0
    assert alertmanager.alerts(alert_id="al-bad") == []
