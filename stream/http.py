"""The worker's HTTP endpoint: /metrics for Prometheus, /healthz and /readyz for orchestrators.

Served by aiohttp on the worker's event loop, bound to ``http_host`` and
``http_port`` (0 picks a free port; the bound port is logged and kept in
``MetricsServer.port``).
"""

from __future__ import annotations

import json
import logging
from typing import Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from .metrics import Metrics

__all__ = ["MetricsServer"]

log = logging.getLogger(__name__)


class MetricsServer:
    def __init__(self, metrics: Metrics, host: str, port: int, *,
                 ready: Callable[[], tuple[bool, dict]] | None = None):
        self.metrics = metrics
        self.host = host
        self.port = port
        self._ready = ready or (lambda: (True, {}))
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/metrics", self._metrics)
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/", self._index)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        sockets = getattr(site._server, "sockets", None) or []  # noqa: SLF001 - the bound port
        if sockets:
            self.port = sockets[0].getsockname()[1]
        log.info("metrics and health on http://%s:%d/metrics", self.host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _metrics(self, request: web.Request) -> web.Response:
        body = generate_latest(self.metrics.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def _readyz(self, request: web.Request) -> web.Response:
        ok, details = self._ready()
        return web.Response(status=200 if ok else 503, text=json.dumps({"ready": ok, **details}) + "\n",
                            content_type="application/json")

    async def _index(self, request: web.Request) -> web.Response:
        return web.Response(text="sitrep worker: /metrics /healthz /readyz\n")
