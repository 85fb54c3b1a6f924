"""Fixtures for tests against the real broker and real worker processes."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from pipeline_kit import WorkerProcess, create_topics, unique_settings
from stream.broker import EmbeddedBroker

_names = itertools.count(1)


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory):
    """One bundled broker process for the test session (its log kept in the tmp dir)."""
    logs = tmp_path_factory.mktemp("broker")
    with EmbeddedBroker(log_dir=logs) as b:
        yield b


@pytest.fixture
def pipeline_settings(broker):
    """Fresh topics and consumer group on the session broker."""
    settings = unique_settings(broker.address)
    create_topics(settings)
    return settings


@pytest.fixture
def start_worker(tmp_path: Path):
    """Start worker processes (``start_worker(settings, **env)``); all are stopped at teardown."""
    workers: list[WorkerProcess] = []

    def start(settings, *, wait: bool = True, name: str | None = None, **env: str) -> WorkerProcess:
        name = name or f"w{next(_names)}"
        worker = WorkerProcess(settings, tmp_path / f"{name}.log", name, extra_env=env).start()
        workers.append(worker)
        return worker.wait_ready() if wait else worker

    yield start
    for worker in workers:
        worker.stop()
