"""The ``sitrep`` command: one subcommand module per domain.

Each module in ``COMMAND_MODULES`` exposes ``register(subparsers)``, adding
its subcommands with ``set_defaults(func=...)``; ``func(args, settings)``
returns the exit code. Settings come from ``SITREP_*`` variables with the
common flags (``stream.cli.common``) on top.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from .. import __version__
from ..errors import SitrepError

__all__ = ["main", "build_parser"]

COMMAND_MODULES = (
    "stream.cli.pipeline",    # worker, produce, alerts, dlq, topics, broker
    "stream.cli.demo",        # demo
    "stream.cli.extraction",  # extract, explain, eval
    "stream.cli.rules",       # rules check | test | backtest
    "stream.cli.silences",    # silence add | list | expire
    "stream.cli.bench",       # bench
)


NOISY_LOGGERS = ("aiokafka", "faust", "mode")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sitrep",
        description="Streaming ingest and alerting for news: articles in, PLOVER events and alerts out.",
    )
    parser.add_argument("--version", action="version", version=f"sitrep {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # a domain not built yet
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from .common import settings_from_args

    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        settings = settings_from_args(args)
        level = getattr(logging, settings.log_level.upper(), logging.INFO)
        logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        if level > logging.DEBUG:  # the client libraries narrate every rebalance at INFO
            for name in NOISY_LOGGERS:
                logging.getLogger(name).setLevel(max(level, logging.WARNING))
        return int(args.func(args, settings) or 0)
    except SitrepError as exc:
        print(f"sitrep: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
