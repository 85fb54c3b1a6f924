"""Silences through the CLI, obeyed by every worker of the group.

Two workers share the partitions. Groups are chosen so that the matches
topic partitions of both workers receive muted alerts; each worker's own
``sitrep_alerts_suppressed_total{reason="silenced"}`` proves it obeyed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline_kit import wait_for
from rules_kit import alerts, assigned_partitions, cli, event, records, rules_pipeline, send_events, settle

pytestmark = pytest.mark.integration

RULES = """
rules:
  - id: troop-buildup
    description: every buildup, one alert per story
    when: {type: MOBILIZE}
"""
CANDIDATES = ["UKR", "POL", "LTU", "LVA", "EST", "FIN", "GEO", "MDA", "ROU", "SVK", "HUN", "KAZ", "ARM", "AZE",
              "SWE", "NOR", "DEU", "FRA", "ITA", "ESP", "PRT", "NLD", "BEL", "AUT", "CHE", "CZE", "BGR", "GRC"]


def matches_partition(key: str, partitions: int) -> int:
    """The partition the route agent's producer (aiokafka's default partitioner) picks for a key."""
    from aiokafka.partitioner import DefaultPartitioner

    every = list(range(partitions))
    return DefaultPartitioner()(key.encode(), every, every)


def locations_per_partition(actor: str, per_partition: int, skip: set[str], partitions: int) -> dict[int, list[str]]:
    """Locations whose group key (``troop-buildup|MOBILIZE|<actor>||<location>``) lands on each partition."""
    out: dict[int, list[str]] = {p: [] for p in range(partitions)}
    for loc in CANDIDATES:
        if loc in skip:
            continue
        p = matches_partition(f"troop-buildup|MOBILIZE|{actor}||{loc}", partitions)
        if len(out[p]) < per_partition:
            out[p].append(loc)
    assert all(len(v) == per_partition for v in out.values()), out
    return out


@pytest.fixture
def two_workers(broker, tmp_path: Path, start_worker):
    settings, _ = rules_pipeline(broker.address, tmp_path, {"troop.yaml": RULES})
    workers = [start_worker(settings, wait=False, name=n) for n in ("silence-a", "silence-b")]
    for w in workers:
        w.wait_ready()

    def split() -> bool:
        mine = [assigned_partitions(w, settings.matches_topic) for w in workers]
        return all(mine) and not (mine[0] & mine[1]) and mine[0] | mine[1] == set(range(settings.partitions))
    wait_for(split, 60, "both workers own matches partitions\n" + "\n".join(w.log_tail(10) for w in workers))
    return settings, workers


def test_silence_mutes_matching_alerts_on_every_worker_until_expired(two_workers):
    settings, workers = two_workers
    n = settings.partitions

    added = cli(settings, "silence", "add", "--rule", "troop-buildup", "--match", "actor.country=RUS",
                "--for", "1h", "--comment", "known exercise near the border", "--author", "duty-officer")
    assert added.returncode == 0, added.stderr
    silence_id = re.match(r"^(sil-[0-9a-f]+)\s+until ", added.stdout).group(1)
    wait_for(lambda: all(w.metric("sitrep_silences_active") == 1 for w in workers), 20,
             "every worker has the silence")

    listed = cli(settings, "silence", "list")
    assert listed.returncode == 0, listed.stderr
    [line] = listed.stdout.splitlines()
    assert line.startswith(f"{silence_id}  active")
    assert "rule=troop-buildup actor.country=RUS" in line and "by duty-officer: known exercise near the border" in line

    # Muted: RUS buildups in two groups per matches partition (so on both workers). Not muted: CHN.
    muted = locations_per_partition("RUS", 2, set(), n)
    rus = [event("MOBILIZE", actor="RUS", location=loc) for locs in muted.values() for loc in locs]
    chn = [event("MOBILIZE", actor="CHN", location=loc) for loc in ("TWN", "PHL")]
    send_events(settings, rus + chn)
    wait_for(lambda: sum(w.metric("sitrep_alerts_suppressed_total", reason="silenced") for w in workers) == len(rus),
             30, "every RUS alert silenced\n" + "\n".join(w.log_tail(10) for w in workers))
    settle(settings, workers[0])
    published = alerts(settings, "troop-buildup")
    assert sorted(a["group_key"] for a in published) == ["MOBILIZE|CHN||PHL", "MOBILIZE|CHN||TWN"]
    for w in workers:  # each worker muted the groups of its own partitions
        owned = assigned_partitions(w, settings.matches_topic)
        expected = sum(len(muted[p]) for p in owned)
        assert w.metric("sitrep_alerts_suppressed_total", rule="troop-buildup", reason="silenced") == expected > 0
    # The groups really went to the partitions predicted above.
    on = {r.key.decode(): r.partition for r in records(settings, settings.matches_topic)}
    assert all(on[f"troop-buildup|MOBILIZE|RUS||{loc}"] == p for p, locs in muted.items() for loc in locs)

    expired = cli(settings, "silence", "expire", silence_id)
    assert expired.returncode == 0 and expired.stdout.strip() == f"{silence_id} expired", expired
    wait_for(lambda: all(w.metric("sitrep_silences_active") == 0 for w in workers), 20, "silence expired everywhere")
    assert cli(settings, "silence", "list").stdout.strip() == "no silences in force"
    assert f"{silence_id}  expired" in cli(settings, "silence", "list", "--all").stdout

    # Alerts flow again, from both workers' partitions.
    fresh = locations_per_partition("RUS", 1, {loc for locs in muted.values() for loc in locs}, n)
    again = [event("MOBILIZE", actor="RUS", location=loc) for locs in fresh.values() for loc in locs]
    send_events(settings, again)
    wait_for(lambda: len(alerts(settings, "troop-buildup")) == len(chn) + len(again), 30, "RUS alerts after expiry")
    settle(settings, workers[0])
    assert {a["events"][0]["id"] for a in alerts(settings, "troop-buildup")} == {e.id for e in chn + again}
    assert sum(w.metric("sitrep_alerts_total", rule="troop-buildup") for w in workers) == len(chn) + len(again)
    assert all(w.metric("sitrep_alerts_total", rule="troop-buildup") > 0 for w in workers)
