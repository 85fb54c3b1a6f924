"""``sitrep rules backtest``: what would the rules have fired over a past time range?

Reads a time range of the articles topic (running the extractor) or of the
events topic, evaluates every enabled rule with the pure engine and state
kept in memory, and reports per rule what it would have alerted. Nothing is
published and no consumer group is joined.

Time is Kafka record time. Each partition is read from the offset
``offsets_for_times`` gives for the start (records before the start are
skipped in any case, since not every broker answers that lookup exactly:
the bundled one always answers the first offset) up to the first record at
or after the end, or the end offset when the backtest started (counted
exactly, see ``stream.offsets``). Inputs are then evaluated in record-time order (ties in
partition and offset order), each with its record time as the processing
time, so windows, ``max_age`` and ``suppress_for`` behave as they did live.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, AsyncIterator, Callable, Iterable

from .alerting import Engine
from .alerting.limits import DurationError, parse_duration
from .config import Settings
from .errors import ConfigError, DecodeError
from .models import Alert, Article, Event, format_time, parse_time

__all__ = ["parse_when", "Input", "RuleReport", "Report", "evaluate", "read_range", "run_backtest", "top"]

log = logging.getLogger(__name__)

INPUTS = ("articles", "events")
EXTRACT_BATCH = 32
_RELATIVE = re.compile(r"^\s*(?:now\s*)?-\s*(\S+)\s*$", re.IGNORECASE)


def parse_when(text: str, now: datetime | None = None) -> datetime:
    """``now``, a time before now (``-24h``, ``now-7d``, ``-1h30m``) or ISO 8601 (naive means UTC)."""
    now = now or datetime.now(timezone.utc)
    value = (text or "").strip()
    if value.lower() == "now":
        return now
    m = _RELATIVE.match(value)
    if m:
        try:
            return now - parse_duration(m.group(1))
        except DurationError:
            raise ConfigError(f"not a time: {text!r} (a relative time looks like -24h, -7d or -1h30m)") from None
    try:
        parsed = parse_time(value)
    except ValueError:
        parsed = None
    if parsed is None:
        raise ConfigError(f"not a time: {text!r} (give ISO 8601 like 2025-03-15T12:00Z, -24h, or now)")
    return parsed


@dataclass(frozen=True)
class Input:
    """One event to evaluate, at the record time of the record it came from."""

    time: datetime
    partition: int
    offset: int
    event: Event


@dataclass
class RuleReport:
    id: str
    title: str
    kind: str
    severity: str
    matched: int = 0                  # events the rule's condition selected
    alerts: int = 0                   # distinct alert ids
    notifications: int = 0            # alert records that would have been published (revisions included)
    revisions: int = 0                # of those, updates of an alert already raised (revision > 1)
    first_at: datetime | None = None  # processing time of the first and last notification
    last_at: datetime | None = None
    groups: Counter = field(default_factory=Counter)    # group key -> distinct alerts
    reasons: Counter = field(default_factory=Counter)   # why matched events raised nothing
    _ids: set = field(default_factory=set, repr=False)

    def add(self, alert: Alert, at: datetime) -> None:
        self.notifications += 1
        if alert.revision > 1:
            self.revisions += 1
        if alert.id not in self._ids:
            self._ids.add(alert.id)
            self.alerts += 1
            self.groups[alert.group_key or ""] += 1
        self.first_at = self.first_at or at
        self.last_at = at

    def to_dict(self, top_n: int = 5) -> dict[str, Any]:
        return {
            "id": self.id, "title": self.title, "kind": self.kind, "severity": self.severity,
            "matched": self.matched, "alerts": self.alerts, "notifications": self.notifications,
            "revisions": self.revisions, "first_at": format_time(self.first_at),
            "last_at": format_time(self.last_at),
            "top_groups": [{"group_key": k, "alerts": n} for k, n in top(self.groups, top_n)],
            "reasons": dict(sorted(self.reasons.items())),
        }


@dataclass
class Report:
    start: datetime
    end: datetime
    input: str
    topic: str
    rules_path: str = ""
    records: int = 0           # records read in the range
    events: int = 0            # events evaluated
    rejected: Counter = field(default_factory=Counter)  # reason -> records that gave no input
    partitions: dict[int, dict[str, int]] = field(default_factory=dict)  # first/last offset, records
    rules: list[RuleReport] = field(default_factory=list)
    alerts: list[tuple[datetime, Alert]] = field(default_factory=list)

    def rule(self, rule_id: str) -> RuleReport:
        return next(r for r in self.rules if r.id == rule_id)

    def to_dict(self, top_n: int = 5, with_alerts: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "from": format_time(self.start), "to": format_time(self.end), "input": self.input,
            "topic": self.topic, "rules_path": self.rules_path, "records": self.records,
            "events": self.events, "rejected": dict(sorted(self.rejected.items())),
            "partitions": {str(p): v for p, v in sorted(self.partitions.items())},
            "alerts": sum(r.alerts for r in self.rules),
            "notifications": sum(r.notifications for r in self.rules),
            "rules": [r.to_dict(top_n) for r in self.rules],
        }
        if with_alerts:
            out["alert_records"] = [a.to_dict() for _, a in self.alerts]
        return out


def top(counter: Counter, n: int) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:n]


# ---------------------------------------------------------------------- evaluation
def evaluate(engine: Engine, inputs: Iterable[Input], report: Report | None = None,
             *, start: datetime | None = None, end: datetime | None = None) -> Report:
    """Run every enabled rule over ``inputs`` in time order with in-memory state (pure)."""
    now = datetime.now(timezone.utc)
    report = report or Report(start=start or now, end=end or now, input="events", topic="")
    by_id = {r.id: r for r in report.rules}
    for rule in engine.rules:
        if rule.id not in by_id:
            by_id[rule.id] = RuleReport(rule.id, rule.title, rule.kind, rule.severity)
            report.rules.append(by_id[rule.id])
    states: dict[str, dict[str, Any]] = {}
    for item in sorted(inputs, key=lambda i: (i.time, i.partition, i.offset)):
        report.events += 1
        for route in engine.route(item.event):
            rr = by_id[route.rule_id]
            rr.matched += 1
            outcome = engine.evaluate(route, item.event, states.get(route.key), item.time)
            if outcome.state is None:
                states.pop(route.key, None)
            else:
                states[route.key] = outcome.state
            if not outcome.alerts:
                rr.reasons[outcome.reason or "none"] += 1
            for alert in outcome.alerts:
                rr.add(alert, item.time)
                report.alerts.append((item.time, alert))
    return report


# ---------------------------------------------------------------------- reading
async def read_range(settings: Settings, topic: str, start: datetime, end: datetime,
                     partitions: dict[int, dict[str, int]] | None = None) -> AsyncIterator[Any]:
    """Records of ``topic`` with start <= record time < end, partition by partition order of arrival."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    from .kafka import KafkaUnavailable, client_kwargs
    from .offsets import probe_end_offsets

    consumer = AIOKafkaConsumer(**client_kwargs(settings), enable_auto_commit=False,
                                fetch_max_bytes=max(settings.max_message_bytes * 2, 52_428_800),
                                max_partition_fetch_bytes=max(settings.max_message_bytes * 2, 1_048_576))
    try:
        await asyncio.wait_for(consumer.start(), 30)
    except Exception as exc:  # noqa: BLE001
        await consumer.stop()
        raise KafkaUnavailable(f"cannot reach Kafka at {settings.broker}: {exc!r}") from exc
    try:
        numbers = consumer.partitions_for_topic(topic)
        if not numbers:
            await consumer._client.force_metadata_update()  # noqa: SLF001
            numbers = consumer.partitions_for_topic(topic)
        if not numbers:
            raise ConfigError(f"topic {topic!r} does not exist at {settings.broker}")
        tps = [TopicPartition(topic, p) for p in sorted(numbers)]
        begins = await consumer.beginning_offsets(tps)
        ends = await probe_end_offsets(consumer, await consumer.end_offsets(tps))
        start_ms, end_ms = int(start.timestamp() * 1000), int(end.timestamp() * 1000)
        todo: dict[Any, int] = {tp: begins[tp] for tp in tps}
        try:
            found = await consumer.offsets_for_times({tp: start_ms for tp in tps})
        except Exception as exc:  # noqa: BLE001 - an old broker: read from the beginning, filter by time
            log.warning("offsets_for_times failed (%r); reading %s from the beginning", exc, topic)
        else:
            for tp in tps:
                hit = found.get(tp)
                if hit is None:
                    del todo[tp]  # no record at or after the start in this partition
                else:
                    todo[tp] = max(hit.offset, begins[tp])
        todo = {tp: offset for tp, offset in todo.items() if offset < ends[tp]}
        if not todo:
            return
        consumer.assign(list(todo))
        for tp, offset in todo.items():
            consumer.seek(tp, offset)
        while todo:
            batches = await consumer.getmany(*todo, timeout_ms=500, max_records=1000)
            for tp, records in batches.items():
                for r in records:
                    if r.offset >= ends[tp] or r.timestamp >= end_ms:
                        del todo[tp]  # the end of the range (or of the topic when we started)
                        break
                    if r.timestamp >= start_ms:
                        if partitions is not None:
                            seen = partitions.setdefault(r.partition, {"first_offset": r.offset,
                                                                       "last_offset": r.offset, "records": 0})
                            seen["last_offset"] = r.offset
                            seen["records"] += 1
                        yield r
            for tp in list(todo):  # offsets may have gaps (compaction, transaction markers)
                if await consumer.position(tp) >= ends[tp]:
                    del todo[tp]
            if todo:
                consumer.pause(*(tp for tp in consumer.assignment() if tp not in todo))
    finally:
        await consumer.stop()


def _record_time(record: Any) -> datetime:
    return datetime.fromtimestamp(record.timestamp / 1000.0, timezone.utc)


async def _inputs(settings: Settings, report: Report, extractor: Any) -> list[Input]:
    """Read the range and turn every record into events (decoding, extracting as the worker does)."""
    from .decode import decode_article

    out: list[Input] = []
    batch: list[tuple[Any, Article]] = []
    loop = asyncio.get_running_loop()

    async def flush() -> None:
        if not batch:
            return
        articles = [a for _, a in batch]
        try:
            results = await loop.run_in_executor(None, extractor.extract_batch, articles)
        except Exception:  # noqa: BLE001 - isolate the article that breaks the batch, as the worker does
            results = []
            for _, article in batch:
                try:
                    results.append(await loop.run_in_executor(None, extractor.extract, article))
                except Exception:  # noqa: BLE001
                    report.rejected["extraction_error"] += 1
                    results.append([])
        for (rec, _), events in zip(batch, results):
            out.extend(Input(_record_time(rec), rec.partition, rec.offset, e) for e in events)
        batch.clear()

    async for rec in read_range(settings, report.topic, report.start, report.end, report.partitions):
        report.records += 1
        if report.input == "events":
            try:
                event = Event.from_dict(json.loads(rec.value or b""))
            except (ValueError, KeyError, TypeError, AttributeError):
                report.rejected["invalid_event"] += 1
                continue
            out.append(Input(_record_time(rec), rec.partition, rec.offset, event))
            continue
        try:
            article = decode_article(rec.value, max_bytes=settings.max_message_bytes,
                                     max_text_chars=settings.max_text_chars, ingested_at=_record_time(rec))
        except DecodeError as exc:
            report.rejected[exc.reason] += 1
            continue
        batch.append((rec, article))
        if len(batch) >= EXTRACT_BATCH:
            await flush()
    await flush()
    return out


def run_backtest(settings: Settings, engine: Engine, start: datetime, end: datetime, *,
                 input: str = "events", extractor: Any = None,
                 load_extractor: Callable[[], Any] | None = None) -> Report:
    """Read ``[start, end)`` of the input topic and evaluate ``engine`` over it."""
    if input not in INPUTS:
        raise ConfigError(f"--input must be one of {', '.join(INPUTS)}, not {input!r}")
    if end <= start:
        raise ConfigError(f"the range is empty: --from {format_time(start)} is not before --to {format_time(end)}")
    topic = settings.articles_topic if input == "articles" else settings.events_topic
    report = Report(start=start, end=end, input=input, topic=topic, rules_path=settings.rules_path)
    if input == "articles" and extractor is None:
        extractor = load_extractor() if load_extractor else _load_extractor(settings)
    inputs = asyncio.run(_inputs(settings, report, extractor))
    return evaluate(engine, inputs, report)


def _load_extractor(settings: Settings) -> Any:
    from .extract import Extractor

    return Extractor.load(settings.model, batch_size=settings.batch_size)
