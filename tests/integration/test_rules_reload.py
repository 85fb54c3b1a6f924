"""Hot reload on a running worker: file watch, a broken file, and SIGHUP.

Two independent pipelines start together (one worker each): one polls its
rules directory every half second, the other only reloads on SIGHUP (its
poll interval is an hour). Every change is proved by its effect on alerts,
not only by the metrics.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from pipeline_kit import WorkerProcess, wait_for
from rules_kit import alerts, event, rules_pipeline, send_events, settle, write_file

pytestmark = pytest.mark.integration

BASE = """rules:
  - id: reload-base
    description: in force from the start
    when:
      type: MOBILIZE
      actor.country: RUS
"""
# The same rule with an unknown operator on line 6, column 23.
BROKEN_BASE = BASE.replace("actor.country: RUS", "actor.country: {inn: [RUS]}")
ADDED = """rules:
  - id: reload-added
    description: added while the worker runs
    when: {type: ASSAULT, actor.country: RUS}
"""


@pytest.fixture(scope="module")
def pipelines(broker, tmp_path_factory):
    """Two pipelines, each with a worker watching its own rules directory: (settings, worker, rules dir)."""
    made = {}
    for name, interval in (("watch", "0.5"), ("sighup", "3600")):
        tmp: Path = tmp_path_factory.mktemp(name)
        settings, rules = rules_pipeline(broker.address, tmp, {"base.yaml": BASE})
        worker = WorkerProcess(settings, tmp / "worker.log", name,
                               extra_env={"SITREP_RULES_RELOAD_INTERVAL": interval}).start()
        made[name] = (settings, worker, rules)
    for _, worker, _ in made.values():
        worker.wait_ready()
        assert worker.metric("sitrep_rules_loaded") == 1, worker.log_tail()
    yield made
    for _, worker, _ in made.values():
        worker.stop()


def reloads(worker: WorkerProcess, result: str) -> float:
    return worker.metric("sitrep_rules_reloads_total", result=result)


def ids(settings, rule: str) -> list[str]:
    """Ids of the events that raised the rule's alerts (sorted: alerts of different ids may sit on
    different partitions, so topic order is no time order)."""
    return sorted(a["events"][0]["id"] for a in alerts(settings, rule))


def test_file_watch_add_change_remove_broken_fixed(pipelines):
    settings, worker, rules = pipelines["watch"]

    # Added file: in force without a restart.
    write_file(rules / "added.yaml", ADDED)
    wait_for(lambda: worker.metric("sitrep_rules_loaded") == 2, 15, f"added rule loaded\n{worker.log_tail()}")
    strike = event("ASSAULT", actor="RUS", location="UKR")
    send_events(settings, [strike])
    wait_for(lambda: ids(settings, "reload-added") == [strike.id], 30, f"alert of the added rule\n{worker.log_tail()}")

    # Changed rule: new behaviour (RUS no longer matches, CHN does).
    before = reloads(worker, "success")
    write_file(rules / "added.yaml", ADDED.replace("RUS", "CHN"))
    wait_for(lambda: reloads(worker, "success") > before, 15, "changed rule reloaded")
    assert worker.metric("sitrep_rules_loaded") == 2
    old_match, new_match = event("ASSAULT", actor="RUS", location="POL"), event("ASSAULT", actor="CHN", location="TWN")
    send_events(settings, [old_match, new_match])
    wait_for(lambda: new_match.id in ids(settings, "reload-added"), 30, f"alert of the changed rule\n{worker.log_tail()}")
    settle(settings, worker)
    assert ids(settings, "reload-added") == sorted([strike.id, new_match.id])

    # Removed file: the rule is gone.
    (rules / "added.yaml").unlink()
    wait_for(lambda: worker.metric("sitrep_rules_loaded") == 1, 15, "removed rule unloaded")
    send_events(settings, [event("ASSAULT", actor="CHN", location="JPN")])
    settle(settings, worker)
    assert ids(settings, "reload-added") == sorted([strike.id, new_match.id])

    # Broken file: logged with file:line:col, the last good rules stay in force and keep alerting.
    failures = reloads(worker, "failure")
    write_file(rules / "base.yaml", BROKEN_BASE)
    wait_for(lambda: reloads(worker, "failure") > failures, 15, f"failed reload\n{worker.log_tail()}")
    assert worker.metric("sitrep_rules_last_reload_success") == 0
    assert worker.metric("sitrep_rules_loaded") == 1
    log = worker.log_path.read_text()
    assert f"{rules / 'base.yaml'}:6:23: reload-base: error: unknown operator 'inn'" in log
    assert "keeping the last good rule set (1 rules)" in log
    buildup = event("MOBILIZE", actor="RUS", location="UKR")
    send_events(settings, [buildup])
    wait_for(lambda: ids(settings, "reload-base") == [buildup.id], 30,
             f"alert from the last good rules\n{worker.log_tail()}")
    assert worker.alive()

    # Fixed: success again.
    write_file(rules / "base.yaml", BASE.replace("RUS", "BLR"))
    wait_for(lambda: worker.metric("sitrep_rules_last_reload_success") == 1, 15, "reload success after the fix")
    fixed = event("MOBILIZE", actor="BLR", location="UKR")
    send_events(settings, [fixed])
    wait_for(lambda: fixed.id in ids(settings, "reload-base"), 30, "alert of the fixed rule")


def test_sighup_reloads_at_once(pipelines):
    settings, worker, rules = pipelines["sighup"]
    before = reloads(worker, "success")
    write_file(rules / "added.yaml", ADDED)
    early = event("ASSAULT", actor="RUS", location="UKR")
    send_events(settings, [early])
    settle(settings, worker)
    # Seconds later the poll (every hour here) has not run: the new rule is not in force.
    assert ids(settings, "reload-added") == []
    assert worker.metric("sitrep_rules_loaded") == 1 and reloads(worker, "success") == before

    worker.process.send_signal(signal.SIGHUP)
    wait_for(lambda: worker.metric("sitrep_rules_loaded") == 2, 10, f"reload on SIGHUP\n{worker.log_tail()}")
    assert reloads(worker, "success") == before + 1
    assert worker.alive()
    late = event("ASSAULT", actor="RUS", location="POL")
    send_events(settings, [late])
    wait_for(lambda: ids(settings, "reload-added") == [late.id], 30, f"alert after SIGHUP\n{worker.log_tail()}")
