"""``sitrep bench``: throughput, latency, scale-out, memory and rule cost of the whole pipeline.

Without options it runs the representative full report (a few minutes on
2 cores): the baselines without Kafka, a throughput run through the broker,
latency at half the measured maximum, 1 vs 2 workers, and 10 vs 1,000 rules;
every number is printed with its target and PASS/FAIL. See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from .common import add_kafka_options, add_model_options, add_rules_options

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="the throughput/latency benchmark (full report without options)",
                       description=__doc__.split("\n\n")[1].replace("\n", " "),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    add_kafka_options(p)
    add_model_options(p)
    add_rules_options(p)
    g = p.add_argument_group("what to run (default: all of throughput, baselines, latency, scale-out, rules)")
    g.add_argument("--throughput", action="store_true",
                   help="only the throughput run (and the baselines, unless --no-baselines)")
    g.add_argument("--latency", action="store_true",
                   help="throughput run to find the max rate, then latency at half of it (or at --rate)")
    g.add_argument("--scale", action="store_true", help="1 worker vs 2 workers in one group on 4+ partitions")
    g.add_argument("--duration", type=float, metavar="SECONDS",
                   help="steady-state memory run: produce for SECONDS (at --rate, else at full load), sample RSS")
    g.add_argument("--rules-count", "--rules-only", dest="rules_count", action="store_true",
                   help="only the rules micro-benchmark: 10 vs 1,000 rules per event")
    g.add_argument("--no-baselines", action="store_true", help="skip the naive and extractor-alone baselines")
    o = p.add_argument_group("load")
    o.add_argument("--articles", type=int, default=600, help="articles per throughput run (default 600)")
    o.add_argument("--workers", type=int, default=1, help="worker processes in the consumer group (default 1)")
    o.add_argument("--rate", type=float, help="articles/s to produce (default: as fast as possible)")
    o.add_argument("--seed", type=int, default=7, help="corpus seed (default 7)")
    o.add_argument("--naive-sample", type=int, default=120,
                   help="articles the naive full-model baseline runs on (evenly spaced; default 120)")
    o.add_argument("--latency-seconds", type=float, default=40.0,
                   help="length of each latency run (default 40)")
    o.add_argument("--hash-keys", action="store_true",
                   help="partition articles by the hash of their id, as `sitrep produce` does (default: "
                        "in turn, the same number per partition)")
    o.add_argument("--batch-size", type=int, help="SITREP_BATCH_SIZE of the workers (default 16)")
    o.add_argument("--batch-wait", type=float, help="SITREP_BATCH_WAIT of the workers (default 0.2)")
    r = p.add_argument_group("output")
    r.add_argument("--json-out", metavar="PATH", help="write the full result as JSON (for tracking over time)")
    r.add_argument("--docs", metavar="PATH",
                   help="replace the results table in this Markdown file (docs/benchmarks.md)")
    r.add_argument("--profile", metavar="DIR",
                   help="profile every worker with py-spy during each measured run (needs py-spy installed)")
    r.add_argument("--keep-logs", action="store_true", help="keep the workers' logs and state of every run")
    r.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    r.add_argument("--no-targets", action="store_true", help="report the targets but exit 0 even when one fails")
    p.set_defaults(func=cmd_bench)


def cmd_bench(args: argparse.Namespace, settings) -> int:
    from ..bench.report import render_markdown, render_text, update_docs
    from ..bench.runner import Options, run_bench

    logging.getLogger("stream.kafka").setLevel(logging.WARNING)  # "created topics" for every run

    def say(text: str) -> None:
        if not args.quiet:
            print(f"-- {text}", file=sys.stderr, flush=True)

    if args.articles < 1 or args.workers < 1 or args.naive_sample < 1:
        print("sitrep bench: --articles, --workers and --naive-sample must be at least 1 "
              "(--no-baselines skips the baselines)", file=sys.stderr)
        return 2
    if args.rate and not (args.throughput or args.latency or args.duration):
        print("sitrep bench: --rate paces one run (--throughput, --latency or --duration); the full "
              "report needs the maximum rate for its ratios and its latency run", file=sys.stderr)
        return 2
    opts = Options(articles=args.articles, workers=args.workers, partitions=args.partitions, rate=args.rate,
                   throughput=args.throughput, latency=args.latency, scale=args.scale, duration=args.duration, rules=args.rules_count, baselines=not args.no_baselines,
                   seed=args.seed, naive_sample=args.naive_sample, latency_seconds=args.latency_seconds,
                   profile_dir=args.profile, keep_logs=args.keep_logs, hash_keys=args.hash_keys)
    command = "sitrep bench" + "".join(f" {a}" for a in sys.argv[2:]) if sys.argv[1:2] == ["bench"] else "sitrep bench"
    result = run_bench(opts, settings, say, command=command)
    if args.json_out:  # first: the measurements survive whatever happens to the rendering
        Path(args.json_out).write_text(json.dumps(result, indent=1, default=str) + "\n")
        say(f"JSON written to {args.json_out}")
    print(render_text(result), flush=True)
    if args.docs:
        path = Path(args.docs)
        path.write_text(update_docs(path.read_text(encoding="utf-8") if path.exists() else "", render_markdown(result)))
        say(f"results table written to {args.docs}")
    failed = [t for t in result["targets"] if t["pass"] is False]
    return 1 if failed and not args.no_targets else 0
