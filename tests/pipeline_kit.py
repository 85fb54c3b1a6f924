"""Helpers for tests that run the real pipeline: the bundled broker, worker processes, topic readers.

Every test run gets its own broker process; every pipeline fixture its own
topic names and consumer group, so tests never see each other's records.
Waiting is always on a condition with a deadline, never a fixed sleep.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from stream.broker import free_port
from stream.clients import produce_articles, produce_raw, read_topic
from stream.config import Settings
from stream.kafka import ensure_topics

REPO = Path(__file__).resolve().parent.parent


def wait_for(condition: Callable[[], Any], timeout: float, message: str, interval: float = 0.2) -> Any:
    """Poll ``condition`` until it returns something truthy; fail with ``message`` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s: {message}")
        time.sleep(interval)


def unique_settings(broker: str, **overrides: Any) -> Settings:
    tag = uuid.uuid4().hex[:8]
    values = dict(
        broker=broker,
        app_id=f"sitrep-{tag}",
        articles_topic=f"{tag}-articles",
        events_topic=f"{tag}-events",
        alerts_topic=f"{tag}-alerts",
        dlq_topic=f"{tag}-articles-dlq",
        matches_topic=f"{tag}-matches",
        silences_topic=f"{tag}-silences",
        partitions=4,
        session_timeout=6.0,
        rules_path=str(REPO / "rules"),
    )
    values.update(overrides)
    return Settings(**values)


@dataclass
class WorkerProcess:
    settings: Settings
    log_path: Path
    name: str
    extra_env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None
    port: int = 0

    def start(self) -> "WorkerProcess":
        self.port = free_port()
        env = dict(os.environ)
        env.update(self.settings.to_env())
        env.update(SITREP_HTTP_PORT=str(self.port), SITREP_WORKER_NAME=self.name,
                   SITREP_STATE_DIR=str(self.log_path.parent / "state"))
        env.update(self.extra_env)
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen([sys.executable, "-m", "stream.cli", "worker"], env=env,
                                        stdout=log, stderr=subprocess.STDOUT, cwd=str(REPO))
        log.close()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=2) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()
        except OSError:
            return 0, ""

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait_ready(self, timeout: float = 90.0) -> "WorkerProcess":
        def ready() -> bool:
            if not self.alive():
                raise AssertionError(f"worker {self.name} exited:\n{self.log_tail()}")
            return self.get("/readyz")[0] == 200
        wait_for(ready, timeout, f"worker {self.name} ready\n{self.log_tail()}")
        return self

    def metric(self, name: str, **labels: str) -> float:
        """Current value of one sample on /metrics (0 if absent)."""
        status, body = self.get("/metrics")
        return metric_value(body, name, **labels)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def kill(self) -> None:
        self.stop(signal.SIGKILL)


def metric_value(body: str, name: str, **labels: str) -> float:
    total = 0.0
    found = False
    for line in body.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        head, _, value = line.rpartition(" ")
        metric, _, label_text = head.partition("{")
        if metric != name:
            continue
        pairs = dict(
            part.split("=", 1) for part in label_text.rstrip("}").split(",") if "=" in part
        )
        pairs = {k: v.strip('"') for k, v in pairs.items()}
        if all(pairs.get(k) == v for k, v in labels.items()):
            total += float(value)
            found = True
    return total if found else 0.0


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def create_topics(settings: Settings) -> None:
    run(ensure_topics(settings))


def send_articles(settings: Settings, articles: list) -> int:
    return run(produce_articles(settings, articles))


def send_raw(settings: Settings, items: list[tuple[bytes | None, bytes | None]]) -> int:
    return run(produce_raw(settings, settings.articles_topic, items))


def read_json(settings: Settings, topic: str) -> list[dict]:
    async def collect() -> list[dict]:
        return [json.loads(r.value) async for r in read_topic(settings, topic, from_beginning=True)]
    return run(collect())


def read_records(settings: Settings, topic: str) -> list:
    async def collect() -> list:
        return [r async for r in read_topic(settings, topic, from_beginning=True)]
    return run(collect())


def caught_up(settings: Settings) -> bool:
    """Every record on the pipeline's input topics is processed and committed (results produced)."""
    from stream.clients import group_caught_up

    return run(group_caught_up(settings, settings.app_id,
                               [settings.articles_topic, settings.events_topic, settings.matches_topic]))
