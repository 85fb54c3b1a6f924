"""Kill-and-takeover rounds: the faust-streaming loss hazard, counted.

Two workers share one consumer group while articles stream in. Each round
kills one worker with SIGKILL in the middle of the stream (the survivor takes
over its partitions) and restarts it (a second rebalance hands partitions
back). After the last round every article must have its event and alert and
the group must have committed everything.

Run standalone to compare with and without the recovery fix::

    python tests/fault/rounds.py --rounds 10 --fix 0
    python tests/fault/rounds.py --rounds 10 --fix 1

``--fix 0`` starts the workers with ``SITREP_FAUST_RECOVERY_FIX=0`` (faust's
own ``Recovery.on_recovery_completed``: resume, then seek).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from faultkit import (Fleet, StreamProducer, check_templates, fault_settings, make_articles,  # noqa: E402
                      wait_all_out, write_rules)


def run_rounds(broker: str, workdir: Path, *, rounds: int, per_round: int, fix: bool,
               rate: float = 250.0, log: Any = print) -> dict[str, Any]:
    """Run the rounds; return counts and the missing article ids by round."""
    rules = write_rules(workdir / "rules")
    settings = fault_settings(broker, rules)
    fleet = Fleet(settings, workdir, env={"SITREP_FAUST_RECOVERY_FIX": "1" if fix else "0"})
    run = f"r{int(time.time()) % 100000}"
    articles = make_articles(run, rounds * per_round)
    expected = {a.id for a in articles}
    started = time.monotonic()
    try:
        fleet.start("a", wait=False)
        fleet.start("b", wait=False)
        fleet.workers["a"].wait_ready(120)
        fleet.workers["b"].wait_ready(120)
        producer = StreamProducer(settings, articles, rate=rate)
        producer.allow(per_round)
        producer.start()
        for i in range(rounds):
            producer.allow((i + 1) * per_round)
            victim = "ab"[i % 2]
            # In the middle of this round's share of the stream.
            producer.wait_sent(i * per_round + per_round // 2, timeout=120)
            fleet.kill(victim)
            log(f"round {i + 1}/{rounds}: killed {victim} at sent={producer.sent}")
            fleet.start(victim, wait=False)
            fleet.workers[victim].wait_ready(120)
            # The rejoin is a second rebalance; let it settle before the next kill.
            survivor = fleet.workers["ba"[i % 2]]
            if survivor.alive():
                survivor.wait_ready(120)
        sent = producer.finish()
        ledger = wait_all_out(settings, expected, timeout=max(60.0, len(expected) / 40))
        counts = ledger.counts(sent)
        by_round = Counter(int(m.rsplit("-", 1)[1]) // per_round + 1 for m in ledger.missing)
        counts["missing_by_round"] = dict(sorted(by_round.items()))
        lost_alerts = Counter(int(m.rsplit("-", 1)[1]) // per_round + 1 for m in ledger.missing_alerts)
        counts["missing_alerts"] = len(ledger.missing_alerts)
        counts["missing_matches"] = len(expected - ledger.matched)
        if ledger.missing_alerts:
            counts["missing_alerts_at"] = _where(settings, set(ledger.missing_alerts))
        counts["missing_alerts_by_round"] = dict(sorted(lost_alerts.items()))
        counts["seconds"] = round(time.monotonic() - started, 1)
        counts["ledger"] = ledger
        return counts
    finally:
        fleet.close()


def _where(settings: Any, ids: set[str]) -> dict[str, Any]:
    """Partition and offset range, on the matches topic, of the matches whose alerts are missing."""
    import json

    from pipeline_kit import read_records

    spots: dict[int, list[int]] = {}
    for r in read_records(settings, settings.matches_topic):
        if json.loads(r.value)["event"]["article"]["id"] in ids:
            spots.setdefault(r.partition, []).append(r.offset)
    return {f"p{p}": f"{min(o)}-{max(o)} ({len(o)})" for p, o in sorted(spots.items())}


def main() -> int:
    from stream.broker import EmbeddedBroker

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--per-round", type=int, default=1000)
    parser.add_argument("--fix", type=int, choices=[0, 1], default=1)
    parser.add_argument("--rate", type=float, default=250.0)
    args = parser.parse_args()
    check_templates()
    with tempfile.TemporaryDirectory() as tmp, EmbeddedBroker(log_dir=Path(tmp) / "broker") as broker:
        counts = run_rounds(broker.address, Path(tmp), rounds=args.rounds, per_round=args.per_round,
                            fix=bool(args.fix), rate=args.rate)
        counts.pop("ledger")
        print(" ".join(f"{k}={v}" for k, v in counts.items()))
        return 1 if counts["missing"] or counts["missing_alerts"] else 0


if __name__ == "__main__":
    sys.exit(main())
