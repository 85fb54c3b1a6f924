"""Worker processes for a benchmark run: ``sitrep worker`` started with SITREP_* settings."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from ..broker import free_port
from ..config import Settings
from ..errors import SitrepError
from .scrape import Samples, parse_metrics

__all__ = ["WorkerProcess", "start_workers", "stop_workers", "wait_assigned"]


@dataclass
class WorkerProcess:
    settings: Settings
    log_path: Path
    name: str
    process: subprocess.Popen | None = None
    port: int = 0
    last: Samples | None = field(default=None, repr=False)

    def start(self) -> "WorkerProcess":
        self.port = free_port(self.settings.http_host)
        env = dict(os.environ)
        env.update(self.settings.to_env())
        env.update(SITREP_HTTP_PORT=str(self.port), SITREP_WORKER_NAME=self.name,
                   SITREP_STATE_DIR=str(self.log_path.parent / "state"))
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "stream.cli", "worker"], env=env,
                                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        return self

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def _get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"http://{self.settings.http_host}:{self.port}{path}", timeout=5) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, ""
        except OSError:
            return 0, ""

    async def get(self, path: str) -> tuple[int, str]:
        return await asyncio.to_thread(self._get, path)

    async def scrape(self) -> Samples | None:
        status, body = await self.get("/metrics")
        if status != 200:
            return None
        self.last = parse_metrics(body)
        return self.last

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, timeout: float = 30.0) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


async def start_workers(settings: Settings, count: int, log_dir: Path, prefix: str,
                        timeout: float = 120.0) -> list[WorkerProcess]:
    """Start ``count`` workers in one consumer group and wait until each answers /readyz."""
    workers = [WorkerProcess(settings, log_dir / f"{prefix}-{k}.log", f"{prefix}-{k}").start() for k in range(count)]
    deadline = time.monotonic() + timeout
    pending = list(workers)
    while pending:
        for w in list(pending):
            if not w.alive():
                stop_workers(workers)
                raise SitrepError(f"worker {w.name} exited during start-up:\n{w.log_tail()}")
            if (await w.get("/readyz"))[0] == 200:
                pending.remove(w)
        if time.monotonic() > deadline:
            stop_workers(workers)
            raise SitrepError(f"worker {pending[0].name} not ready after {timeout:.0f}s:\n{pending[0].log_tail()}")
        if pending:
            await asyncio.sleep(0.3)
    return workers


async def wait_assigned(workers: list[WorkerProcess], topic: str, partitions: int, timeout: float = 90.0) -> dict:
    """Wait until the group's assignment of ``topic`` is settled: every partition owned by exactly
    one worker and, when there are enough partitions, every worker owning at least one."""
    deadline = time.monotonic() + timeout
    want = {str(p) for p in range(partitions)}
    while True:
        owned: dict[str, set[str]] = {}
        for w in workers:
            s = await w.scrape()
            owned[w.name] = s.label_values("sitrep_consumer_lag_messages", "partition", topic=topic) if s else set()
        union = set().union(*owned.values()) if owned else set()
        disjoint = sum(len(v) for v in owned.values()) == len(union)
        everyone = all(owned.values()) or len(workers) > partitions
        if union == want and disjoint and everyone:
            return {name: sorted(int(p) for p in parts) for name, parts in owned.items()}
        if time.monotonic() > deadline:
            raise SitrepError(f"partitions of {topic!r} not settled after {timeout:.0f}s: {owned}")
        for w in workers:
            if not w.alive():
                raise SitrepError(f"worker {w.name} exited:\n{w.log_tail()}")
        await asyncio.sleep(1.0)


def stop_workers(workers: list[WorkerProcess]) -> None:
    for w in workers:
        if w.alive():
            w.process.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
    for w in workers:
        w.stop()
