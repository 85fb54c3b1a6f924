"""``sitrep rules check | test | backtest``: validate, unit-test and backtest alert rules."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    from .common import add_kafka_options, add_model_options, add_rules_options

    rules = subparsers.add_parser("rules", help="check, test and backtest alert rules",
                                  description="Validate alert rules, run their unit tests, "
                                              "or replay past input through them.")
    sub = rules.add_subparsers(dest="rules_command", metavar="SUBCOMMAND")

    check = sub.add_parser("check", help="validate rule files: every error with file:line:col",
                           description="Load every rule file and report all errors and warnings. "
                                       "Exits 1 when there is an error (or a warning with --strict).")
    check.add_argument("path", nargs="?", help="rules file or directory (default: --rules / SITREP_RULES_PATH)")
    add_rules_options(check)
    check.add_argument("--json", action="store_true", help="print a JSON report instead of text")
    check.add_argument("--strict", action="store_true", help="fail on warnings too")
    check.add_argument("-v", "--verbose", action="store_true", help="also print infos and the rules loaded")
    check.set_defaults(func=cmd_check)

    test = sub.add_parser("test", help="run rule unit tests (YAML, like promtool test rules)",
                          description="Run the rule unit tests under PATH (default rules/tests).")
    test.add_argument("path", nargs="?", help="test file or directory (default: <rules>/tests)")
    add_rules_options(test)
    add_model_options(test)
    test.add_argument("--json", action="store_true", help="print a JSON report instead of text")
    test.add_argument("-v", "--verbose", action="store_true", help="list passing tests too")
    test.set_defaults(func=cmd_test)

    bt = sub.add_parser(
        "backtest", help="what the rules would have alerted over a past time range (publishes nothing)",
        description="Replay a time range of the events topic (or of the articles topic, running the "
                    "extractor) through the rules with in-memory state, and report per rule the alerts, "
                    "revisions, first and last time and top group keys. Nothing is published; no consumer "
                    "group is joined. Times are Kafka record times: ISO 8601 (UTC unless an offset is "
                    "given), 'now', or relative to now like -24h, -7d, -1h30m (also now-24h). "
                    "The range is [from, to).")
    bt.add_argument("--from", dest="start", required=True, metavar="TIME",
                    help="start of the range (ISO 8601, or -24h, -7d, now)")
    bt.add_argument("--to", dest="end", default="now", metavar="TIME", help="end of the range (default: now)")
    bt.add_argument("--input", choices=["events", "articles"], default="events",
                    help="replay the events topic (default) or the articles topic through the extractor")
    add_rules_options(bt)
    add_model_options(bt)
    add_kafka_options(bt)
    bt.add_argument("--json", action="store_true", help="print the report as JSON")
    bt.add_argument("--show", action="store_true",
                    help="also print every alert (and revision) that would have been published")
    bt.add_argument("--top", type=int, default=5, metavar="N", help="group keys listed per rule (default 5)")
    bt.set_defaults(func=cmd_backtest)
    # Let `--from -24h` read "-24h" as a value, as argparse already does for negative numbers.
    if hasattr(bt, "_negative_number_matcher"):
        bt._negative_number_matcher = re.compile(r"^-(\d+[smhdw])+$|^-\d+$|^-\d*\.\d+$")

    rules.set_defaults(func=lambda args, settings: (rules.print_help(), 2)[1])


def cmd_check(args: argparse.Namespace, settings) -> int:
    from ..alerting import check_rules

    path = args.path or settings.rules_path
    ruleset, problems = check_rules(path)
    errors = [p for p in problems if p.is_error]
    warnings = [p for p in problems if p.severity == "warning"]
    failed = bool(errors) or (args.strict and bool(warnings))
    if args.json:
        report = {
            "ok": not failed, "path": str(path),
            "rules": len(ruleset.rules) if ruleset else 0,
            "enabled": len(ruleset.enabled) if ruleset else 0,
            "files": len(ruleset.files) if ruleset else 0,
            "errors": len(errors), "warnings": len(warnings),
            "problems": [p.to_dict() for p in problems],
        }
        print(json.dumps(report, indent=2))
        return 1 if failed else 0
    for p in problems:
        if p.severity != "info" or args.verbose:
            print(p)
    if ruleset is not None:
        if args.verbose:
            for rule in ruleset.rules:
                state = "" if rule.enabled else " (disabled)"
                print(f"  {rule.id}: {rule.kind}, {rule.severity}{state} [{rule.file}:{rule.line}]")
        print(f"{path}: {len(ruleset.rules)} rules ({len(ruleset.enabled)} enabled) in {len(ruleset.files)} "
              f"files: {len(errors)} errors, {len(warnings)} warnings")
    else:
        print(f"{path}: {len(errors)} errors, {len(warnings)} warnings: rules not loaded", file=sys.stderr)
    return 1 if failed else 0


def cmd_test(args: argparse.Namespace, settings) -> int:
    from ..alerting.testing import run_tests

    path = args.path or str(Path(settings.rules_path) / "tests")
    if not Path(path).exists():
        print(f"sitrep: error: {path} does not exist", file=sys.stderr)
        return 2
    results = run_tests(path, model=getattr(args, "model", None) or settings.model)
    failed = [r for r in results if not r.ok]
    if args.json:
        print(json.dumps({
            "ok": not failed and bool(results), "passed": len(results) - len(failed), "failed": len(failed),
            "tests": [{"file": r.file, "name": r.name, "ok": r.ok, "failures": r.failures,
                       "alerts": [a.to_dict() for a in r.alerts]} for r in results],
        }, indent=2, ensure_ascii=False))
    else:
        for r in results:
            if not r.ok:
                print(f"FAIL {r.file}: {r.name}")
                for failure in r.failures:
                    print("  " + failure.replace("\n", "\n  "))
            elif args.verbose:
                print(f"ok   {r.file}: {r.name} ({len(r.alerts)} alerts)")
        print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    if not results:
        print(f"sitrep: error: no rule tests under {path}", file=sys.stderr)
        return 1
    return 1 if failed else 0


def cmd_backtest(args: argparse.Namespace, settings) -> int:
    from datetime import datetime, timezone

    from ..alerting import Engine, check_rules
    from ..backtest import parse_when, run_backtest
    from ..render import format_alert
    from .pipeline import resolve_broker

    now = datetime.now(timezone.utc)
    start, end = parse_when(args.start, now), parse_when(args.end, now)
    ruleset, problems = check_rules(settings.rules_path)
    if ruleset is None:
        print(f"sitrep: the rules under {settings.rules_path} are not valid:", file=sys.stderr)
        for problem in problems:
            if problem.is_error:
                print(f"  {problem}", file=sys.stderr)
        return 2
    settings, _ = resolve_broker(settings, start=False)
    report = run_backtest(settings, Engine(ruleset), start, end, input=args.input)
    if args.json:
        print(json.dumps(report.to_dict(args.top, with_alerts=args.show), indent=2, ensure_ascii=False))
        return 0
    if args.show:
        colour = sys.stdout.isatty()
        for _, alert in report.alerts:
            print(format_alert(alert, colour=colour) + "\n")
    print(format_backtest(report, top=args.top))
    return 0


def format_backtest(report, top: int = 5) -> str:
    """The backtest report for people: one line per rule (most alerts first), its top group keys."""
    from ..backtest import top as top_groups
    from ..models import format_time

    rejected = sum(report.rejected.values())
    head = (f"backtest {format_time(report.start)} .. {format_time(report.end)} ({_span(report.end - report.start)}), "
            f"topic {report.topic!r} ({report.input}): {report.records} records, {report.events} events")
    if rejected:
        head += f", {rejected} rejected ({', '.join(f'{k} {v}' for k, v in sorted(report.rejected.items()))})"
    lines = [head, "nothing was published", ""]
    rules = sorted(report.rules, key=lambda r: (-r.alerts, -r.notifications, r.id))
    w = max([len(r.id) for r in rules] + [4])
    lines.append(f"{'rule':<{w}}  {'kind':<9} {'matched':>7} {'alerts':>6} {'revisions':>9}  {'first':<24}  last")
    for r in rules:
        lines.append(f"{r.id:<{w}}  {r.kind:<9} {r.matched:>7} {r.alerts:>6} {r.revisions:>9}  "
                     f"{format_time(r.first_at) or '-':<24}  {format_time(r.last_at) or '-'}")
        for key, n in top_groups(r.groups, top):
            lines.append(f"{'':<{w}}    {n:>4} x {key or '(empty group key)'}")
    lines.append("")
    lines.append(f"{sum(r.alerts for r in report.rules)} alerts ({sum(r.notifications for r in report.rules)} "
                 f"notifications with revisions) from {sum(1 for r in report.rules if r.alerts)} of "
                 f"{len(report.rules)} rules")
    return "\n".join(lines)


def _span(span) -> str:
    seconds = int(span.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    text = (f"{days}d" if days else "") + (f"{hours}h" if hours else "") + (f"{rest // 60}m" if rest >= 60 else "")
    return text or f"{seconds}s"
