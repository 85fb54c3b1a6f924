"""``sitrep demo``: the whole pipeline on the bundled broker with the seed articles.

Starts a broker (unless --broker is given), a worker process, sends the
files under seeds/, prints every alert as it arrives, and stops once the
worker's consumer group has committed everything it was sent: Faust commits
only after a record's results are produced, so at that point every alert
the seeds cause is on the alerts topic.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from ..broker import EmbeddedBroker, free_port
from ..config import Settings
from ..errors import SitrepError
from ..models import Alert
from ..render import format_alert
from ..tasks import cancel_and_wait
from .common import add_kafka_options, add_model_options, add_rules_options

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run the pipeline on the bundled broker with the seed articles and print alerts")
    add_kafka_options(p)
    add_model_options(p)
    add_rules_options(p)
    p.add_argument("paths", nargs="*", default=["seeds"], metavar="FILE|DIR",
                   help="articles to send (default: seeds/)")
    p.add_argument("--follow", "-f", action="store_true", help="keep running and printing alerts until Ctrl-C")
    p.add_argument("--timeout", type=float, default=300.0, help="give up after this many seconds (default 300)")
    p.add_argument("--json", action="store_true", help="print alerts as JSON lines")
    p.set_defaults(func=cmd_demo)


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from ..extract.inputs import read_articles
    from ..kafka import ensure_topics

    articles = [a for path in args.paths for a in read_articles(path)]
    if not articles:
        raise SitrepError(f"no articles found in {', '.join(args.paths)}")
    state = Path(settings.state_dir)
    state.mkdir(parents=True, exist_ok=True)
    broker = None
    if not settings.broker:
        broker = EmbeddedBroker(log_dir=state).start()
        settings = settings.replace(broker=broker.address)
        _say(f"bundled broker on {broker.address} (log: {broker.log_path})")
    worker = None
    try:
        asyncio.run(ensure_topics(settings))
        port = free_port(settings.http_host) if settings.http_port else 0
        worker_log = state / "demo-worker.log"
        env = dict(os.environ, SITREP_BROKER=settings.broker, SITREP_HTTP_PORT=str(port),
                   SITREP_MODEL=settings.model, SITREP_RULES_PATH=settings.rules_path,
                   SITREP_APP_ID=settings.app_id, SITREP_STATE_DIR=str(state))
        with open(worker_log, "wb") as log_file:
            worker = subprocess.Popen([sys.executable, "-m", "stream.cli", "worker"], env=env,
                                      stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        _say(f"worker started (pid {worker.pid}, metrics http://{settings.http_host}:{port}/metrics, "
             f"log: {worker_log})")
        return asyncio.run(_run(settings, articles, worker, worker_log, args))
    finally:
        if worker is not None and worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        if broker is not None:
            broker.stop()
        _say("stopped")


def _say(text: str) -> None:
    print(f"-- {text}", file=sys.stderr, flush=True)


async def _run(settings: Settings, articles: list, worker: subprocess.Popen, worker_log: Path,
               args: argparse.Namespace) -> int:
    from ..clients import end_offsets, group_caught_up, produce_articles, read_topic

    sent = await produce_articles(settings, articles)
    _say(f"sent {sent} article(s) to {settings.articles_topic!r}; waiting for alerts")
    seen: dict[str, int] = {}
    read = [0]  # records the printer has consumed, duplicates included
    colour = sys.stdout.isatty() and not args.json

    async def print_alerts() -> None:
        async for record in read_topic(settings, settings.alerts_topic, from_beginning=True, follow=True):
            read[0] += 1
            data = json.loads(record.value)
            alert = Alert.from_dict(data)
            if seen.get(alert.id, 0) >= alert.revision:
                continue  # a redelivered copy of an alert already shown
            seen[alert.id] = alert.revision
            print(json.dumps(data, ensure_ascii=False) if args.json else format_alert(alert, colour=colour) + "\n",
                  flush=True)

    printer = asyncio.create_task(print_alerts())
    deadline = time.monotonic() + args.timeout
    topics = [settings.articles_topic, settings.events_topic, settings.matches_topic]
    try:
        while True:
            if worker.poll() is not None:
                tail = worker_log.read_text(errors="replace").splitlines()[-25:]
                raise SitrepError(f"the worker exited with status {worker.returncode}:\n" + "\n".join(tail))
            if printer.done():
                printer.result()  # raises what stopped it
            if not args.follow and await group_caught_up(settings, settings.app_id, topics):
                break
            if time.monotonic() > deadline:
                raise SitrepError(f"no end after {args.timeout:.0f}s; see {worker_log}")
            await asyncio.sleep(0.5)
        # Everything is processed: let the printer reach the end of the alerts topic.
        total = sum((await end_offsets(settings, settings.alerts_topic)).values())
        while read[0] < total and not printer.done() and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
    finally:
        await cancel_and_wait(printer)
    _say(f"{sent} article(s) processed, {len(seen)} alert(s)")
    return 0
