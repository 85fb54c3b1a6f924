"""``sitrep worker | produce | alerts | dlq | topics | broker``: running and feeding the pipeline."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
import threading
from typing import Any

from ..broker import EmbeddedBroker, find_running
from ..config import Settings
from ..errors import ConfigError
from ..models import Alert
from ..render import format_alert, format_dead_letter
from .common import add_kafka_options, add_model_options, add_rules_options

__all__ = ["register", "resolve_broker", "run_worker"]

log = logging.getLogger("sitrep")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("worker", help="run a worker (several may run in one consumer group)",
                       description="Consume articles, extract events, evaluate rules, publish alerts. "
                                   "Without a broker address, starts the bundled broker.")
    add_kafka_options(p)
    add_model_options(p)
    add_rules_options(p)
    p.add_argument("--batch-size", type=int, help="articles per extraction batch (SITREP_BATCH_SIZE, default 16)")
    p.add_argument("--batch-wait", type=float,
                   help="most seconds batching may add to an article's latency (SITREP_BATCH_WAIT, default 0.2; "
                        "0: extract whatever is queued at once)")
    p.add_argument("--http-host", help="bind address of /metrics, /healthz, /readyz (SITREP_HTTP_HOST)")
    p.add_argument("--http-port", type=int, help="port of /metrics (SITREP_HTTP_PORT, default 9108; 0: any)")
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("produce", help="send articles (JSONL, JSON, text files, directories, -) to the articles topic")
    add_kafka_options(p)
    p.add_argument("paths", nargs="+", metavar="FILE|DIR|-")
    p.add_argument("--raw", action="store_true",
                   help="send each line of the files as it is, unvalidated (to test the dead-letter path)")
    p.set_defaults(func=cmd_produce)

    p = sub.add_parser("alerts", help="print alerts from the alerts topic")
    add_kafka_options(p)
    p.add_argument("--follow", "-f", action="store_true", help="keep printing new alerts")
    p.add_argument("--from-beginning", action="store_true", help="start at the oldest alert (default: new ones)")
    p.add_argument("--json", action="store_true", help="one JSON alert per line")
    p.add_argument("--rule", action="append", help="only alerts of this rule id (repeatable)")
    p.set_defaults(func=cmd_alerts)

    p = sub.add_parser("dlq", help="print rejected input from the dead-letter topic, with reasons")
    add_kafka_options(p)
    p.add_argument("--follow", "-f", action="store_true")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_dlq)

    p = sub.add_parser("topics", help="create the topics sitrep uses (partitions from --partitions)")
    add_kafka_options(p)
    p.set_defaults(func=cmd_topics)

    p = sub.add_parser("broker", help="run the bundled Kafka-protocol broker on 127.0.0.1 until interrupted")
    p.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    p.add_argument("--state-dir", help="where to keep its log and address (SITREP_STATE_DIR)")
    p.add_argument("--log-level", choices=["debug", "info", "warning", "error"])
    p.set_defaults(func=cmd_broker)


# ------------------------------------------------------------------ broker selection
def resolve_broker(settings: Settings, *, start: bool) -> tuple[Settings, EmbeddedBroker | None]:
    """Use the configured cluster; else a bundled broker already running here; else start one."""
    if settings.broker:
        return settings, None
    running = find_running(settings.state_dir)
    if running:
        log.info("using the bundled broker at %s", running)
        return settings.replace(broker=running), None
    if not start:
        raise ConfigError("no Kafka broker configured: give --broker HOST:PORT (or SITREP_BROKER), "
                          "or start the bundled broker with `sitrep broker`")
    broker = EmbeddedBroker(log_dir=settings.state_dir, record=True).start()
    log.info("started the bundled broker at %s (log: %s)", broker.address, broker.log_path)
    return settings.replace(broker=broker.address), broker


def cmd_broker(args: argparse.Namespace, settings: Settings) -> int:
    broker = EmbeddedBroker(port=args.port, log_dir=settings.state_dir, record=True).start()
    print(f"bundled broker listening on {broker.address} (log: {broker.log_path})", flush=True)
    print(f"use it with: --broker {broker.address}  or  export SITREP_BROKER={broker.address}", flush=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            if broker.process is None or broker.process.poll() is not None:
                print("the broker exited; see its log", file=sys.stderr)
                return 1
    finally:
        broker.stop()
    return 0


# ------------------------------------------------------------------ worker
def run_worker(settings: Settings) -> int:
    """Load model and rules, then run the Faust worker until SIGTERM/SIGINT."""
    import faust

    from ..alerting import RuleStore
    from ..app import build_app
    from ..extract import Extractor
    from ..kafka import ensure_topics
    from ..metrics import Metrics
    from ..runtime import Runtime
    from ..silence_feed import SilenceFeed

    store = RuleStore(settings.rules_path)
    result = store.reload()
    if not result.ok:
        print(f"sitrep: the rules under {settings.rules_path} are not valid:", file=sys.stderr)
        for problem in result.errors:
            print(f"  {problem}", file=sys.stderr)
        return 2
    extractor = Extractor.load(settings.model, batch_size=settings.batch_size)
    settings, broker = resolve_broker(settings, start=True)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(ensure_topics(settings))
        metrics = Metrics()
        sinks = _build_sinks(metrics)
        runtime = Runtime(settings=settings, extractor=extractor, rules=store, metrics=metrics,
                          sinks=sinks, silences=SilenceFeed(settings, metrics))
        if settings.worker_name:
            runtime.worker = settings.worker_name
        runtime.reload_rules()
        app = build_app(settings, runtime)
        log.info("worker %s: broker %s, model %s, %d rules from %s", runtime.worker, settings.broker,
                 extractor.info.get("model"), result.rules_loaded, settings.rules_path)
        worker = faust.Worker(app, loglevel=settings.log_level.upper(), loop=loop,
                              redirect_stdouts=False, quiet=True)
        try:
            worker.execute_from_commandline()
        except SystemExit as exc:
            return int(exc.code or 0)
        finally:
            runtime.close()
        return 0
    finally:
        if broker is not None:
            broker.stop()


def _build_sinks(metrics: Any) -> Any:
    try:
        from ..sinks import build_sinks
    except ImportError:
        return None
    return build_sinks(metrics=metrics)


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    return run_worker(settings)


# ------------------------------------------------------------------ tools
def cmd_produce(args: argparse.Namespace, settings: Settings) -> int:
    from ..clients import produce_articles, produce_raw
    from ..extract.inputs import read_articles

    settings, _ = resolve_broker(settings, start=False)
    if args.raw:
        items = [(None, line) for path in args.paths for line in _raw_lines(path)]
        sent = asyncio.run(produce_raw(settings, settings.articles_topic, items))
    else:
        articles = [a for path in args.paths for a in read_articles(path)]
        sent = asyncio.run(produce_articles(settings, articles))
    print(f"sent {sent} {'messages' if args.raw else 'articles'} to {settings.articles_topic!r} at {settings.broker}")
    return 0


def _raw_lines(path: str) -> list[bytes]:
    data = sys.stdin.buffer.read() if path == "-" else open(path, "rb").read()
    return [line for line in data.split(b"\n") if line.strip()]


def cmd_alerts(args: argparse.Namespace, settings: Settings) -> int:
    settings, _ = resolve_broker(settings, start=False)
    colour = sys.stdout.isatty() and not args.json
    wanted = set(args.rule or [])

    def show(record: Any) -> None:
        try:
            data = json.loads(record.value)
            alert = Alert.from_dict(data)
        except (ValueError, KeyError, TypeError) as exc:
            print(f"(unreadable alert at {record.topic}[{record.partition}]@{record.offset}: {exc!r})",
                  file=sys.stderr)
            return
        if wanted and alert.rule_id not in wanted:
            return
        print(json.dumps(data, ensure_ascii=False) if args.json else format_alert(alert, colour=colour) + "\n",
              flush=True)

    return _read(settings, settings.alerts_topic, args, show)


def cmd_dlq(args: argparse.Namespace, settings: Settings) -> int:
    settings, _ = resolve_broker(settings, start=False)

    def show(record: Any) -> None:
        try:
            data = json.loads(record.value)
        except ValueError:
            print(f"(unreadable dead letter at offset {record.offset})", file=sys.stderr)
            return
        print(json.dumps(data, ensure_ascii=False) if args.json else format_dead_letter(data), flush=True)

    args.from_beginning = True
    return _read(settings, settings.dlq_topic, args, show)


def _read(settings: Settings, topic: str, args: argparse.Namespace, show: Any) -> int:
    from ..clients import read_topic

    async def run() -> None:
        async for record in read_topic(settings, topic, from_beginning=args.from_beginning, follow=args.follow):
            show(record)

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        pass
    return 0


def cmd_topics(args: argparse.Namespace, settings: Settings) -> int:
    from ..kafka import ensure_topics

    settings, _ = resolve_broker(settings, start=False)
    created = asyncio.run(ensure_topics(settings))
    print(f"created: {', '.join(created) if created else 'none (all exist)'}")
    return 0

