"""Helpers for the sink tests: alerts shaped like the seed article's, and a real local HTTP
receiver with scripted answers."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from stream.metrics import Metrics
from stream.models import Actor, Alert, ArticleRef, Event, Evidence, Place

SEED_URL = "https://news.example.org/2025/03/15/starmer-putin-ceasefire"
BUILDUP = ("\u201cThe buildup of Russian forces indicates that Moscow intends to keep ignoring "
           "diplomacy,\u201d Zelenskyy added.")


def make_alert(rule_id: str = "troop-buildup", *, severity: str = "high", revision: int = 1,
               sources: tuple[str, ...] = ("news.example.org",), labels: dict[str, str] | None = None,
               alert_id: str = "al-5b594cfd5d1b3531", url: str | None = SEED_URL) -> Alert:
    article = ArticleRef(id="a-5b594cfd5d1b3531", url=url, source="news.example.org",
                         title="Starmer urges Putin to sign up to ceasefire",
                         published_at=datetime(2025, 3, 15, 12, 0, tzinfo=timezone.utc),
                         ingested_at=datetime(2025, 3, 15, 12, 0, 5, tzinfo=timezone.utc))
    event = Event(
        id="ev-1", type="MOBILIZE", article=article, text=BUILDUP, trigger="buildup", mode="troops",
        actor=Actor(text="Russian forces", name="Russia", country="RUS", sector="MIL"),
        location=Place(text="Kursk", name="Kursk", country="RUS"),
        evidence=(Evidence(sentence=BUILDUP, start=100, end=100 + len(BUILDUP)),), confidence=0.8)
    alerted = datetime(2025, 3, 15, 12, 0, 6, tzinfo=timezone.utc)
    return Alert(
        id=alert_id, rule_id=rule_id, rule_title="Troop buildup", severity=severity, kind="match",
        summary="Russia (RUS) builds up forces near Kursk", evidence=BUILDUP, article=article,
        events=(event,), group_key="RUS", labels=dict(labels or {"actor_country": "RUS"}),
        annotations={"runbook": "rules/README.md#troop-buildup"}, sources=sources, revision=revision,
        published_at=article.published_at, ingested_at=article.ingested_at, alerted_at=alerted,
        first_alerted_at=alerted)


def deliveries(metrics: Metrics, sink: str, result: str) -> float:
    value = metrics.registry.get_sample_value("sitrep_sink_deliveries_total", {"sink": sink, "result": result})
    return value or 0.0


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Answers each request with the next scripted step, then 200.

    A step is a status code, ``("status", code, headers)`` or ``("sleep", seconds)``
    (hold the request that long, then 200).
    """

    script: list[Any] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    server: TestServer | None = None

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(Request(request.path, dict(request.headers), await request.read(), time.monotonic()))
        step = self.script.pop(0) if self.script else 200
        if isinstance(step, int):
            return web.Response(status=step, text=f"scripted {step}")
        if step[0] == "status":
            return web.Response(status=step[1], headers=step[2], text="scripted")
        if step[0] == "sleep":
            await asyncio.sleep(step[1])
            return web.Response(status=200)
        raise AssertionError(f"bad script step {step!r}")

    def url(self, path: str = "/hook") -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.port}{path}"

    async def __aenter__(self) -> "Receiver":
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        app.router.add_post("/api/v2/alerts", self.handle)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        await self.server.close()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
