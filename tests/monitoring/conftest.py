"""Fixtures for the monitoring tests: a metrics target, a real Prometheus and a real Alertmanager.

Every server listens on 127.0.0.1 on a free port, keeps its log under the
test's tmp dir, is stopped at teardown, and has its log printed when a test
using it fails.

``metrics_target`` is a real worker (``sitrep worker`` on the bundled
broker) processing copies of the seed article sent by other outlets, so
Prometheus scrapes exactly what production would expose.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Iterator

import pytest
import yaml
from promkit import DEPLOY, REPO, ServerProcess, binary, free_port, http, wait_for


_servers: list[ServerProcess] = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(autouse=True)
def _print_server_logs_on_failure(request):
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        for server in _servers:
            print(server.log_tail())


# ------------------------------------------------------------------ the target
class SeedFeed:
    """Sends copies of the seed article, each from another outlet, while the monitoring tests run.

    A new outlet reporting the same story revises the same alerts, so alerts
    (and their end-to-end latency) keep being observed inside the rate
    windows of the dashboard's queries.
    """

    def __init__(self, settings, article, period: float = 1.0):
        self.settings = settings
        self.article = article
        self.period = period
        self.sent = 0
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="seed-feed", daemon=True)

    def send_one(self) -> None:
        from dataclasses import replace

        from pipeline_kit import send_articles

        n = self.sent
        copy = replace(self.article, id=f"{self.article.id}-{n}", source=f"outlet-{n}.example",
                       url=f"https://outlet-{n}.example/world/ukraine")
        send_articles(self.settings, [copy])
        self.sent += 1

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            self.send_one()

    def start(self) -> None:
        self.send_one()
        self.thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(timeout=30)


@pytest.fixture(scope="session")
def metrics_target(tmp_path_factory) -> Iterator[str]:
    """``"127.0.0.1:PORT"`` of a real worker's /metrics, the worker processing copies of the seed article."""
    from pipeline_kit import WorkerProcess, create_topics, unique_settings, wait_for as wait

    from stream.broker import EmbeddedBroker
    from stream.extract.inputs import read_articles

    tmp = tmp_path_factory.mktemp("worker")
    [seed] = list(read_articles(str(next(iter(sorted((REPO / "seeds").glob("*.txt")))))))
    with EmbeddedBroker(log_dir=tmp) as broker:
        # The default topic names, as in production (this broker serves only this worker).
        settings = unique_settings(broker.address, articles_topic="articles", events_topic="events",
                                   alerts_topic="alerts", dlq_topic="articles-dlq",
                                   matches_topic="sitrep-rule-matches", silences_topic="sitrep-silences")
        create_topics(settings)
        worker = WorkerProcess(settings, tmp / "worker.log", "monitored").start()
        feed = None
        try:
            worker.wait_ready()
            feed = SeedFeed(settings, seed)
            feed.start()
            wait(lambda: worker.metric("sitrep_alerts_total", rule="troop-buildup") >= 1, 90,
                 f"the worker's first alerts\n{worker.log_tail()}")
            yield f"127.0.0.1:{worker.port}"
        finally:
            if feed is not None:
                feed.stop()
            worker.stop()


# ------------------------------------------------------------------ Prometheus
def prometheus_test_config(target: str, out_dir: Path) -> Path:
    """deploy/prometheus/prometheus.yml with the sitrep job pointed at ``target``.

    The relabelling and the rule file are the deployed ones; scrapes and rule
    evaluations every second; no Alertmanager and no other jobs.
    """
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    (job,) = [j for j in config["scrape_configs"] if j["job_name"] == "sitrep"]
    job["static_configs"] = [{"targets": [target]}]
    config["scrape_configs"] = [job]
    config["global"].update(scrape_interval="1s", evaluation_interval="1s", scrape_timeout="1s")
    config["rule_files"] = [str(DEPLOY / "prometheus" / f) for f in config["rule_files"]]
    config.pop("alerting", None)
    path = out_dir / "prometheus.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


class Prometheus:
    def __init__(self, url: str, process: ServerProcess):
        self.url = url
        self.process = process


@pytest.fixture(scope="module")
def prometheus(metrics_target: str, tmp_path_factory) -> Iterator[Prometheus]:
    exe = binary("prometheus")
    tmp = tmp_path_factory.mktemp("prometheus")
    config = prometheus_test_config(metrics_target, tmp)
    port = free_port()
    proc = ServerProcess("prometheus", [
        exe, f"--config.file={config}", f"--storage.tsdb.path={tmp / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}", "--log.level=info",
    ], tmp / "prometheus.log", ready_url=f"http://127.0.0.1:{port}/-/ready", cwd=tmp)
    _servers.append(proc)
    try:
        proc.wait_ready(timeout=60)
        yield Prometheus(f"http://127.0.0.1:{port}", proc)
    finally:
        proc.stop()
        _servers.remove(proc)


# ------------------------------------------------------------------ Alertmanager
def alertmanager_binary() -> str:
    import shutil

    return shutil.which("prometheus-alertmanager") or binary("alertmanager")


class Alertmanager:
    def __init__(self, url: str, process: ServerProcess, config: Path):
        self.url = url
        self.process = process
        self.config = config

    def alerts(self, **filters: str) -> list[dict]:
        from urllib.parse import urlencode

        query = urlencode([("filter", f'{k}="{v}"') for k, v in filters.items()])
        status, body = http("GET", f"{self.url}/api/v2/alerts?{query}")
        assert status == 200, body
        return body


def start_alertmanager(config: Path, tmp: Path) -> tuple[Alertmanager, ServerProcess]:
    port = free_port()
    proc = ServerProcess("alertmanager", [
        alertmanager_binary(), f"--config.file={config}", f"--storage.path={tmp / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=", "--log.level=debug",
    ], tmp / "alertmanager.log", ready_url=f"http://127.0.0.1:{port}/-/ready", cwd=tmp)
    return Alertmanager(f"http://127.0.0.1:{port}", proc, config), proc


@pytest.fixture(scope="module")
def alertmanager_factory(tmp_path_factory):
    """Start Alertmanager with a given config (a dict); all are stopped at module teardown."""
    started: list[ServerProcess] = []

    def start(config: dict) -> Alertmanager:
        tmp = tmp_path_factory.mktemp("alertmanager")
        path = tmp / "alertmanager.yml"
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        am, proc = start_alertmanager(path, tmp)
        started.append(proc)
        _servers.append(proc)
        proc.wait_ready(timeout=30)
        return am

    yield start
    for proc in started:
        proc.stop()
        _servers.remove(proc)
