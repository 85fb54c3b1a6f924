"""The `sitrep bench` command line: modes and options reach the runner's Options."""

from __future__ import annotations

from stream.bench.runner import Options
from stream.cli import build_parser


def test_bench_is_a_subcommand_with_its_modes():
    args = build_parser().parse_args(["bench", "--scale", "--articles", "200", "--workers", "2", "--partitions", "6",
                                      "--rate", "5", "--json-out", "out.json", "--batch-wait", "0.1"])
    assert args.command == "bench" and args.scale and not args.latency
    assert (args.articles, args.workers, args.partitions, args.rate, args.json_out) == (200, 2, 6, 5.0, "out.json")
    assert args.batch_wait == 0.1
    rules = build_parser().parse_args(["bench", "--rules-only"])
    assert rules.rules_count
    assert build_parser().parse_args(["bench", "--rules-count"]).rules_count


def test_no_mode_means_the_full_report():
    assert Options().full
    assert not Options(latency=True).full and not Options(throughput=True).full and not Options(duration=600).full and not Options(rules=True).full


def test_options_the_full_report_cannot_honour_are_refused_before_anything_runs(capsys):
    from stream.cli.bench import cmd_bench
    from stream.config import Settings

    for argv, says in ((["bench", "--rate", "5"], "--rate paces one run"),
                       (["bench", "--naive-sample", "0"], "--naive-sample must be at least 1")):
        args = build_parser().parse_args(argv)
        assert cmd_bench(args, Settings()) == 2
        assert says in capsys.readouterr().err
