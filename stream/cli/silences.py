"""``sitrep silence add | list | expire``: mute alerts for a while, on every worker.

Silences live on a compacted topic keyed by silence id; each worker follows
it (``stream.silence_feed``), so a silence added here takes effect on all of
them within a moment, and survives restarts.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from ..alerting import Silence
from ..alerting.limits import DurationError, parse_duration
from ..clients import produce_raw, read_topic
from ..config import Settings
from ..errors import ConfigError
from ..kafka import ensure_topics
from ..models import format_time, parse_time
from ..silence_feed import SilenceFeed
from .common import add_kafka_options
from .pipeline import resolve_broker

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    group = sub.add_parser("silence", help="mute alerts for a while (add, list, expire)")
    verbs = group.add_subparsers(dest="verb", metavar="VERB", required=True)

    p = verbs.add_parser("add", help="add a silence")
    add_kafka_options(p)
    p.add_argument("--rule", help="rule id to silence (default: any rule; then --match is required)")
    p.add_argument("--match", action="append", default=[], metavar="FIELD=VALUE",
                   help="field=value, field!=value, field=~regex, field!~regex (repeatable, all must hold); "
                        "fields: alert labels, rule_id, severity, or event fields such as actor.country")
    p.add_argument("--for", dest="duration", default="4h", help="how long (30m, 4h, 2d; default 4h)")
    p.add_argument("--start", help="start time (ISO 8601; default now)")
    p.add_argument("--comment", required=True, help="why (shown in `silence list`)")
    p.add_argument("--author", default=None, help="who (default: the login name)")
    p.set_defaults(func=cmd_add)

    p = verbs.add_parser("list", help="list silences in force (or all with --all)")
    add_kafka_options(p)
    p.add_argument("--all", action="store_true", help="include expired and future silences")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_list)

    p = verbs.add_parser("expire", help="end a silence now")
    add_kafka_options(p)
    p.add_argument("silence_id")
    p.set_defaults(func=cmd_expire)


def _now() -> datetime:
    return datetime.now(timezone.utc)


async def _current(settings: Settings) -> dict[str, Silence]:
    feed = SilenceFeed(settings)
    async for record in read_topic(settings, settings.silences_topic, from_beginning=True):
        feed.apply(record.key, record.value)
    return feed.silences


async def _publish(settings: Settings, silence: Silence) -> None:
    await ensure_topics(settings, [settings.silences_topic])
    await produce_raw(settings, settings.silences_topic,
                      [(silence.id.encode(), json.dumps(silence.to_dict()).encode())])


def cmd_add(args: argparse.Namespace, settings: Settings) -> int:
    settings, _ = resolve_broker(settings, start=False)
    try:
        duration = parse_duration(args.duration)
        start = parse_time(args.start) if args.start else _now()
        silence = Silence.create(starts_at=start, ends_at=start + duration, rule_id=args.rule,
                                 matchers=args.match, comment=args.comment,
                                 created_by=args.author or getpass.getuser(), created_at=_now())
    except (DurationError, ValueError) as exc:
        raise ConfigError(f"silence: {exc}") from None
    asyncio.run(_publish(settings, silence))
    print(f"{silence.id}  until {format_time(silence.ends_at)}")
    return 0


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    settings, _ = resolve_broker(settings, start=False)
    now = _now()
    silences = sorted(asyncio.run(_current(settings)).values(), key=lambda s: s.ends_at)
    shown = [s for s in silences if args.all or s.active(now)]
    for s in shown:
        if args.json:
            print(json.dumps(s.to_dict()))
            continue
        state = "active" if s.active(now) else ("pending" if s.starts_at > now else "expired")
        what = " ".join([f"rule={s.rule_id}"] if s.rule_id else []) + "".join(f" {m}" for m in s.matchers)
        print(f"{s.id}  {state:8} {format_time(s.starts_at)} .. {format_time(s.ends_at)}  {what.strip()}"
              f"  by {s.created_by or '?'}: {s.comment}")
    if not shown and not args.json:
        print("no silences" + ("" if args.all else " in force"))
    return 0


def cmd_expire(args: argparse.Namespace, settings: Settings) -> int:
    settings, _ = resolve_broker(settings, start=False)
    current = asyncio.run(_current(settings))
    silence = current.get(args.silence_id)
    if silence is None:
        raise ConfigError(f"no silence with id {args.silence_id!r} (see `sitrep silence list --all`)")
    now = _now()
    if silence.ends_at <= now:
        print(f"{silence.id} already expired at {format_time(silence.ends_at)}")
        return 0
    # Ends now; a silence that had not started yet is moved to an empty interval just before now.
    ended = replace(silence, starts_at=min(silence.starts_at, now - timedelta(milliseconds=1)), ends_at=now)
    asyncio.run(_publish(settings, ended))
    print(f"{silence.id} expired")
    return 0
