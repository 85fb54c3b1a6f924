"""Helpers for the rule tests on the live pipeline: events straight onto the events topic.

Producing Event JSON to the events topic (keyed by article id, as the
extract agent does) exercises routing, re-keying and stateful evaluation
without depending on what the extractor finds in a text. Each test writes
its own rules into a temporary directory that the worker watches.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from pipeline_kit import REPO, WorkerProcess, caught_up, create_topics, run, unique_settings, wait_for
from stream.clients import produce_raw
from stream.config import Settings
from stream.kafka import client_kwargs
from stream.models import Actor, ArticleRef, Context, Event, Place, to_json
from stream.offsets import exact_end_offsets, probe_end_offsets

_n = itertools.count(1)
RUN = uuid.uuid4().hex[:6]  # event and article ids unique to this test run


def now() -> datetime:
    return datetime.now(timezone.utc)


def ago(**delta: float) -> datetime:
    """A time before now (windows use event time, and times after now are taken as now)."""
    return now() - timedelta(**delta)


def event(type: str, *, actor: str | None = "RUS", recipient: str | None = None,
          location: str | None = None, source: str = "reuters", at: datetime | None = None,
          mode: str | None = None, id: str | None = None, article_id: str | None = None) -> Event:
    """A distinct event (own id, own article) unless ``id``/``article_id`` are given."""
    n = next(_n)
    article_id = article_id or f"art-{RUN}-{n}"
    return Event(
        id=id or f"ev-{RUN}-{n}", type=type, text=f"{type} reported by {source} ({n})", trigger="trigger",
        mode=mode,
        article=ArticleRef(id=article_id, source=source, url=f"https://{source}.example/{article_id}",
                           title=f"{type} {n}", published_at=at or ago(minutes=1)),
        actor=Actor(text=actor, name=actor, country=actor) if actor else None,
        recipient=Actor(text=recipient, name=recipient, country=recipient) if recipient else None,
        location=Place(text=location, name=location, country=location) if location else None,
        context=Context(), confidence=0.9)


def send_events(settings: Settings, events: list[Event]) -> int:
    """Produce events to the events topic, keyed by article id like the extract agent."""
    return run(produce_raw(settings, settings.events_topic,
                           [(e.article.id.encode(), to_json(e)) for e in events]))


async def _read_all(settings: Settings, topic: str) -> list[Any]:
    """Every record of ``topic`` up to its exact end (see stream.offsets), partition by partition."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(**client_kwargs(settings), enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        ends = await probe_end_offsets(consumer, await consumer.end_offsets(tps))
        todo = [tp for tp in tps if ends[tp] > 0]
        out: dict[Any, list] = {tp: [] for tp in todo}
        if not todo:
            return []
        consumer.assign(todo)
        await consumer.seek_to_beginning(*todo)
        while todo:
            batches = await consumer.getmany(*todo, timeout_ms=500)
            for tp, records in batches.items():
                out[tp].extend(r for r in records if r.offset < ends[tp])
            todo = [tp for tp in todo if await consumer.position(tp) < ends[tp]]
        return [r for tp in sorted(out) for r in out[tp]]
    finally:
        await consumer.stop()


def records(settings: Settings, topic: str) -> list[Any]:
    return run(_read_all(settings, topic))


def alerts(settings: Settings, rule: str | None = None) -> list[dict]:
    """Every alert record on the alerts topic (of one rule), partition by partition in offset order."""
    found = [json.loads(r.value) for r in records(settings, settings.alerts_topic)]
    return [a for a in found if rule is None or a["rule_id"] == rule]


async def _lag(settings: Settings) -> dict[tuple[str, int], tuple[int | None, int]]:
    """(topic, partition) -> (committed offset of the group, exact end offset), for the input topics
    (what ``settle`` shows when the pipeline does not catch up)."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(**client_kwargs(settings), group_id=settings.app_id, enable_auto_commit=False)
    await consumer.start()
    try:
        topics = [settings.articles_topic, settings.events_topic, settings.matches_topic]
        tps = [TopicPartition(t, p) for t in topics for p in sorted(consumer.partitions_for_topic(t) or ())]
        ends = await exact_end_offsets(client_kwargs(settings), tps)
        return {(tp.topic, tp.partition): (await consumer.committed(tp), ends[tp]) for tp in tps}
    finally:
        await consumer.stop()


def lag(settings: Settings) -> dict[tuple[str, int], tuple[int | None, int]]:
    return run(_lag(settings))


def settle(settings: Settings, worker: WorkerProcess, timeout: float = 40.0) -> None:
    """Wait until everything produced so far is routed and evaluated (alerts are sent before commits)."""
    try:
        wait_for(lambda: caught_up(settings), timeout, "pipeline caught up")
    except AssertionError as exc:
        behind = {f"{t}[{p}]": f"committed {c} of {e}" for (t, p), (c, e) in lag(settings).items()
                  if e and (c is None or c < e)}
        status, body = worker.get("/metrics")
        wanted = ("sitrep_rule_evaluations_total", "sitrep_alerts_total", "sitrep_consumer_lag_messages",
                  "sitrep_last_processed_timestamp_seconds", "sitrep_alerts_suppressed_total")
        shown = "\n".join(line for line in body.splitlines() if line.startswith(wanted))
        raise AssertionError(f"{exc}; behind: {behind}\nworker metrics:\n{shown}\n{worker.log_tail()}") from None


def at_least(settings: Settings, rule: str, n: int) -> list[dict] | None:
    """The rule's alert records once there are at least ``n`` (for ``wait_for``)."""
    found = alerts(settings, rule)
    return found if len(found) >= n else None


def write_file(path: Path, text: str) -> None:
    """Write atomically (hidden temporary file, then rename), as a watcher must never see half a file."""
    tmp = path.parent / f".{path.name}.tmp"
    tmp.write_text(text)
    os.replace(tmp, path)


def rules_pipeline(broker: str, directory: Path, files: dict[str, str], **overrides: Any) -> tuple[Settings, Path]:
    """Settings with topics of their own, watching ``directory``/rules written with ``files``."""
    rules = directory / "rules"
    rules.mkdir()
    for name, text in files.items():
        write_file(rules / name, text)
    settings = unique_settings(broker, rules_path=str(rules), **overrides)
    create_topics(settings)
    return settings, rules


def cli(settings: Settings, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess:
    """Run ``sitrep ARGS`` as a subprocess with the pipeline's SITREP_* settings."""
    env = dict(os.environ)
    env.update(settings.to_env())
    result = subprocess.run([sys.executable, "-m", "stream.cli", *args], env=env, cwd=str(REPO),
                            capture_output=True, text=True, timeout=timeout)
    return result


def assigned_partitions(worker: WorkerProcess, topic: str) -> set[int]:
    """Partitions of ``topic`` the worker reports lag for, i.e. the ones assigned to it."""
    status, body = worker.get("/metrics")
    out = set()
    for line in body.splitlines():
        if line.startswith("sitrep_consumer_lag_messages{") and f'topic="{topic}"' in line:
            part = line.split('partition="', 1)[1].split('"', 1)[0]
            out.add(int(part))
    return out
