"""Alertmanager: POST alerts to ``/api/v2/alerts``.

Alertmanager identifies an alert by its label set, so the labels are kept
stable for one alert id: ``alertname`` (the rule id), ``rule_id``,
``severity``, ``alert_id`` and ``origin="sitrep-rules"`` always; the alert's own
``labels`` (names made valid); ``actor_country`` and ``location_country``
from the alert's labels or else its first event. A new revision of an alert
(more sources) therefore updates the same Alertmanager alert: annotations
change, labels do not.

``startsAt`` is ``alerted_at``; ``endsAt`` is ``resolve_timeout`` seconds
later, after which Alertmanager resolves the alert unless a new revision
came in. ``generatorURL`` is the article URL.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any, Sequence
from urllib.parse import urlsplit

import aiohttp

from ..models import Alert, format_time
from .base import Sink
from .http import post

__all__ = ["AlertmanagerSink", "alertmanager_alert", "label_name", "RESERVED_LABELS"]

RESERVED_LABELS = ("alertname", "rule_id", "severity", "alert_id", "origin")
MAX_ANNOTATION_CHARS = 8000
_INVALID = re.compile(r"[^a-zA-Z0-9_]")


def label_name(key: str) -> str:
    """A valid Prometheus/Alertmanager label name for ``key`` (``[a-zA-Z_][a-zA-Z0-9_]*``)."""
    name = _INVALID.sub("_", key.strip()) or "_"
    return "_" + name if name[0].isdigit() else name


def _http_url(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return url if parts.scheme in {"http", "https"} and parts.netloc else None


def alertmanager_alert(alert: Alert, *, resolve_timeout: float = 3600.0,
                       now: datetime | None = None) -> dict[str, Any]:
    """The Alertmanager v2 ``postableAlert`` for one sitrep alert."""
    labels: dict[str, str] = {}
    for key, value in alert.labels.items():
        if value is not None and str(value) != "":
            labels[label_name(str(key))] = str(value)
    first = alert.events[0] if alert.events else None
    derived = {
        "actor_country": first.actor.country if first and first.actor else None,
        "location_country": first.location.country if first and first.location else None,
    }
    for key, value in derived.items():
        if value and key not in labels:
            labels[key] = value
    labels.update(alertname=alert.rule_id, rule_id=alert.rule_id, severity=alert.severity,
                  alert_id=alert.id, origin="sitrep-rules")
    labels = {k: v for k, v in labels.items() if v}  # an empty value is no label to Alertmanager

    article_url = _http_url(alert.article.url)
    annotations = {str(k): str(v) for k, v in alert.annotations.items() if v is not None}
    annotations.update({
        "summary": alert.summary,
        "evidence": alert.evidence,
        "description": annotations.get("description") or (
            f"{alert.rule_title} ({alert.kind} rule): {alert.summary}"),
        "rule_title": alert.rule_title,
        "revision": str(alert.revision),
        "source_count": str(alert.source_count),
    })
    if alert.article.url:
        annotations["article_url"] = alert.article.url
    if alert.article.title:
        annotations["article_title"] = alert.article.title
    annotations = {k: _clip(v) for k, v in annotations.items() if v != ""}

    starts = alert.alerted_at or alert.first_alerted_at or now or datetime.now(timezone.utc)
    payload: dict[str, Any] = {
        "labels": labels,
        "annotations": annotations,
        "startsAt": format_time(starts),
        "endsAt": format_time(starts + timedelta(seconds=resolve_timeout)),
    }
    if article_url:
        payload["generatorURL"] = article_url
    return payload


def _clip(text: str) -> str:
    return text if len(text) <= MAX_ANNOTATION_CHARS else text[: MAX_ANNOTATION_CHARS - 1] + "…"


class AlertmanagerSink(Sink):
    name = "alertmanager"
    max_batch = 64

    def __init__(self, url: str, *, timeout: float = 5.0, resolve_timeout: float = 3600.0):
        self.base_url = url.rstrip("/")
        self.url = self.base_url + "/api/v2/alerts"
        self.timeout = timeout
        self.resolve_timeout = resolve_timeout

    def describe(self) -> str:
        return f"alertmanager {self.base_url}"

    async def send(self, session: aiohttp.ClientSession, alerts: Sequence[Alert]) -> None:
        body = json.dumps([alertmanager_alert(a, resolve_timeout=self.resolve_timeout) for a in alerts],
                          ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        await post(session, self.url, body, headers={}, timeout=self.timeout)
