"""The Faust app: topics, agents, the rule-state table. Glue only.

    articles --extract--> events --route--> sitrep-rule-matches --evaluate--> alerts
        \\--> articles-dlq (bad input, with the reason)

* ``extract`` takes batches (N records, or whatever is queued once the
  oldest record's wait plus the batch's longer extraction reaches W
  seconds: ``stream.batching``) so spaCy runs one ``nlp.pipe`` per batch.
* ``route`` evaluates rule predicates and re-keys each match by
  ``<rule id>|<group key>``, so every event of a group meets the same
  partition, the same worker and the same table shard.
* ``evaluate`` keeps per-group state in a changelog-backed table and
  publishes alerts.

Every agent waits until what it produced is acknowledged by the broker
before it acknowledges its input records; offsets are committed only for
acknowledged records (at-least-once). Acknowledging is manual (``noack``):
faust's own iterators acknowledge a record in a ``finally`` clause, so a
record whose processing was interrupted (a stop, a rebalance) would be
committed unprocessed. Alert ids are deterministic, so a redelivered record
reproduces the same alert id instead of a new alert.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import time
from pathlib import Path
from typing import Any

import faust

from .alerting import Route, state_expired
from .batching import take_batches
from .config import Settings
from .errors import DecodeError
from .faust_transport import SitrepApp
from .http import MetricsServer
from .kafka import client_kwargs, faust_credentials, require_transactions
from .models import Event, to_json
from .runtime import Incoming, Runtime, now_utc
from .stall import STALL_SECONDS, StallWatch

__all__ = ["build_app"]

log = logging.getLogger(__name__)

ROUTE_BATCH = 256
ROUTE_WAIT = 0.02


def _incoming(event: Any) -> Incoming:
    msg = event.message
    return Incoming(value=msg.value, key=msg.key, topic=msg.topic, partition=msg.partition,
                    offset=msg.offset, timestamp=msg.timestamp)


def build_app(settings: Settings, runtime: Runtime) -> faust.App:
    s = settings
    if s.processing_guarantee == "exactly_once":
        require_transactions(s)
    datadir = Path(s.state_dir) / "faust" / runtime.worker
    datadir.mkdir(parents=True, exist_ok=True)
    fixes: dict[str, Any] = {"TableManager": "stream.faust_fixes:TableManager"}
    if not s.faust_recovery_fix:
        log.warning("the faust recovery fix is OFF (SITREP_FAUST_RECOVERY_FIX=0): records can be "
                    "skipped after a rebalance; use this only to reproduce that loss")
        fixes = {}
    app = SitrepApp(
        s.app_id,
        broker=[f"kafka://{h}" for h in s.bootstrap_servers],
        broker_credentials=faust_credentials(s),
        processing_guarantee=s.processing_guarantee,
        broker_session_timeout=s.session_timeout,
        broker_heartbeat_interval=s.heartbeat_interval,
        broker_rebalance_timeout=s.session_timeout,
        broker_commit_interval=s.commit_interval,
        topic_replication_factor=s.replication_factor,
        topic_partitions=s.partitions,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        producer_max_request_size=max(s.max_message_bytes * 2, 1_048_576),
        consumer_max_fetch_size=max(s.max_message_bytes * 2, 1_048_576),
        store="memory://",
        datadir=str(datadir),
        web_enabled=False,
        autodiscover=False,
        **fixes,
    )
    app.sitrep_fetch_wait_ms = int(s.fetch_wait * 1000)
    app.sitrep_client_kwargs = client_kwargs(s)
    raw = {"key_type": bytes, "value_type": bytes, "key_serializer": "raw", "value_serializer": "raw"}
    articles = app.topic(s.articles_topic, partitions=s.partitions, **raw)
    events_topic = app.topic(s.events_topic, partitions=s.partitions, **raw)
    matches = app.topic(s.matches_topic, partitions=s.partitions, **raw)
    alerts_topic = app.topic(s.alerts_topic, partitions=s.partitions, **raw)
    dlq = app.topic(s.dlq_topic, partitions=s.partitions, **raw)
    state = app.Table("rule-state", partitions=s.partitions, key_type=str, default=None)

    metrics = runtime.metrics
    processed: dict[Any, tuple[int, float]] = {}  # tp -> (next offset, record time)

    def mark(records: list[Incoming]) -> None:
        for rec in records:
            tp = (rec.topic, rec.partition)
            if tp not in processed or processed[tp][0] <= rec.offset:
                processed[tp] = (rec.offset + 1, rec.timestamp or time.time())
        if records:
            metrics.last_processed.labels(topic=records[0].topic).set(time.time())

    async def send_dlq(rejected: list[Any]) -> list[Any]:
        return [await dlq.send(key=r.incoming.key, value=to_json(r.letter)) for r in rejected]

    async def ack(stream: Any, events: list[Any]) -> None:
        for event in events:
            await stream.ack(event)

    @app.agent(articles, name="extract")
    async def extract(stream: Any) -> None:
        async for batch in take_batches(stream, s.batch_size, s.batch_wait, extra=runtime.batch_extra):
            records = [_incoming(e) for e in batch]
            good, bad = runtime.decode(records)
            pending = await send_dlq(bad)
            if good:
                results, failed = await runtime.extract(good)
                pending += await send_dlq(failed)
                for (rec, article), found in zip(good, results):
                    for ev in found:
                        pending.append(await events_topic.send(key=article.id.encode(), value=to_json(ev)))
                        metrics.events.labels(type=ev.type).inc()
            await asyncio.gather(*pending)
            await ack(stream, batch)
            now = time.time()
            for rec, _ in good:
                if rec.timestamp:
                    metrics.processing_latency.observe(max(now - rec.timestamp, 0.0))
            mark(records)

    @app.agent(events_topic, name="route")
    async def route(stream: Any) -> None:
        async for batch in take_batches(stream, ROUTE_BATCH, ROUTE_WAIT):
            records = [_incoming(e) for e in batch]
            pending = []
            for rec in records:
                try:
                    event = Event.from_dict(json.loads(rec.value or b""))
                except (ValueError, KeyError, TypeError) as exc:
                    rejected = runtime.reject(rec, DecodeError("invalid_event", f"not an Event: {exc!r}"))
                    pending += await send_dlq([rejected])
                    continue
                for r in runtime.route(event):
                    payload = {"rule_id": r.rule_id, "group_key": r.group_key, "event": event.to_dict()}
                    pending.append(await matches.send(key=f"{r.rule_id}|{r.group_key}".encode(),
                                                      value=to_json(payload)))
            await asyncio.gather(*pending)
            await ack(stream, batch)
            mark(records)

    swept: dict[int, float] = {}

    @app.agent(matches, name="evaluate")
    async def evaluate(stream: Any) -> None:
        manual = stream.noack()
        async for ev in manual.events():
            rec = _incoming(ev)
            key = (rec.key or b"").decode("utf-8", "replace")
            try:
                payload = json.loads(rec.value or b"{}")
                event = Event.from_dict(payload["event"])
            except (ValueError, KeyError, TypeError) as exc:
                rejected = runtime.reject(rec, DecodeError("invalid_event", f"not a rule match: {exc!r}"))
                await asyncio.gather(*await send_dlq([rejected]))
                await manual.ack(ev)
                continue
            outcome = runtime.apply(Route(payload["rule_id"], payload["group_key"]), event, state.get(key))
            # Alerts first, state after: a crash in between redelivers the record and
            # reproduces the same alert (same id and revision) rather than losing it.
            for alert in outcome.alerts:
                silence = runtime.silenced(alert)
                if silence is not None:
                    metrics.alerts_suppressed.labels(rule=alert.rule_id, reason="silenced").inc()
                    log.info("alert %s (%s) silenced by %s", alert.id, alert.rule_id, silence.id)
                    continue
                await (await alerts_topic.send(key=alert.id.encode(), value=to_json(alert)))
                runtime.alert_sent(alert)
                if runtime.sinks is not None:
                    await runtime.sinks.deliver(alert)
            if outcome.state is None:
                if key in state:
                    del state[key]
            elif outcome.state is not state.get(key):
                state[key] = {**outcome.state, "_p": rec.partition}
            _sweep(state, rec.partition, swept)
            await manual.ack(ev)
            mark([rec])

    # ---------------------------------------------------------------- services
    server = MetricsServer(metrics, s.http_host, s.http_port, ready=lambda: _readiness(app, runtime))
    lag_topics = {s.articles_topic, s.events_topic, s.matches_topic}
    # A batch may legitimately take up to the extraction budget: only longer is a stall.
    stalls = StallWatch(seconds=max(STALL_SECONDS, s.extraction_timeout + 15.0))

    @app.task
    async def start_services() -> None:
        await server.start()
        runtime.http_port = server.port
        loop = asyncio.get_running_loop()
        try:
            loop.add_signal_handler(signal.SIGHUP, runtime.reload_rules)
        except (NotImplementedError, RuntimeError):  # not on the main thread / platform
            pass
        if runtime.silences is not None:
            await runtime.silences.start()
        if runtime.sinks is not None:
            await runtime.sinks.start()

    @app.timer(s.rules_reload_interval)
    async def watch_rules() -> None:
        if runtime.rules.changed():
            runtime.reload_rules()

    @app.timer(5.0)
    async def measure_lag() -> None:
        await _measure_lag(app, runtime, processed, lag_topics, s.articles_topic, stalls)

    @app.on_before_shutdown.connect
    async def stop_services(app: Any, **kwargs: Any) -> None:
        if runtime.sinks is not None:
            await runtime.sinks.stop()
        if runtime.silences is not None:
            await runtime.silences.stop()
        await server.stop()

    app.sitrep_server = server
    return app


SWEEP_INTERVAL = 60.0


def _sweep(table: Any, partition: int, swept: dict[int, float]) -> None:
    """Delete expired group states of ``partition`` (only from within its stream, as Faust requires).

    Each state records the partition it lives in (``_p``), so a tombstone is
    written to the same changelog partition as the state it deletes.
    """
    now = time.time()
    if now - swept.get(partition, 0.0) < SWEEP_INTERVAL:
        return
    swept[partition] = now
    current = now_utc()
    for key, value in list(table.items()):
        if isinstance(value, dict) and value.get("_p") == partition and state_expired(value, current):
            del table[key]


def _readiness(app: faust.App, runtime: Runtime) -> tuple[bool, dict]:
    """Ready when consuming: started, not in a rebalance, and the cluster answering."""
    rebalancing = bool(getattr(app, "rebalancing", False))
    started = getattr(app, "_consumer", None) is not None
    broker_up = bool(runtime.broker_up)
    ok = started and not rebalancing and broker_up
    return ok, {"started": started, "rebalancing": rebalancing, "broker_up": broker_up}


async def _measure_lag(app: faust.App, runtime: Runtime, processed: dict, topics: set[str],
                       probe_topic: str, stalls: StallWatch | None = None) -> None:
    from faust.types import TP

    m = runtime.metrics
    consumer = app.consumer
    assigned = [tp for tp in consumer.assignment() if tp.topic in topics]
    probe = assigned or [TP(probe_topic, 0)]
    try:
        ends = await asyncio.wait_for(consumer.highwaters(*probe), timeout=5.0)
    except Exception as exc:  # noqa: BLE001 - any failure means the cluster is not answering
        if runtime.broker_up is not False:
            log.warning("Kafka is not answering: %r", exc)
        runtime.broker_up = False
        m.broker_up.set(0)
        return
    if runtime.broker_up is False:
        log.info("Kafka is answering again")
    runtime.broker_up = True
    m.broker_up.set(1)
    now = time.time()
    current = set()
    for tp in assigned:
        end = ends.get(tp)
        if end is None:
            continue
        done = processed.get((tp.topic, tp.partition))
        if done is not None:
            position, record_time = done
        else:
            position = consumer._committed_offset.get(tp) or 0  # noqa: SLF001
            record_time = None
        lag = max(end - position, 0)
        labels = {"topic": tp.topic, "partition": str(tp.partition)}
        m.consumer_lag.labels(**labels).set(lag)
        m.consumer_lag_seconds.labels(**labels).set(max(now - record_time, 0.0) if lag and record_time else 0.0)
        current.add((tp.topic, str(tp.partition)))
        if stalls is not None:
            stalls.observe(tp, position, end, now)
    if stalls is not None:
        stalls.keep(assigned)
    if stalls is not None and stalls.due(now):
        await stalls.report(app, now)
    for family in (m.consumer_lag, m.consumer_lag_seconds):
        for labels in list(family._metrics):  # noqa: SLF001 - drop partitions no longer assigned
            if labels not in current:
                family.remove(*labels)
