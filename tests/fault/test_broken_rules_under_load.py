"""A broken rule file lands in the rules directory while articles stream through.

Hot reload must refuse it, say so (log, ``sitrep_rules_last_reload_success`` 0,
``sitrep_rules_reloads_total{result="failure"}``) and keep the last good rule
set evaluating every event: no article may miss its alert, during the broken
spell or after the file is fixed.
"""

from __future__ import annotations

import pytest

from faultkit import FAULT_RULES, StreamProducer, make_articles, report, wait_all_out, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ARTICLES = 1800

BROKEN = {
    # Not YAML at all.
    "broken-syntax.yaml": "rules:\n  - id: [unclosed\n    when: {type: MOBILIZE\n",
    # YAML, but a rule with an unknown operator and no condition.
    "broken-rule.yaml": "rules:\n  - id: bad-one\n    when: {type: {like: MOBILIZE}}\n  - id: bad-two\n",
}


def test_broken_rule_file_mid_stream_keeps_last_good_rules(fleet_for, templates_ok):
    fleet = fleet_for()
    settings = fleet.settings
    rules_dir = fleet.rules_dir
    worker = fleet.start("a")
    articles = make_articles("rules", ARTICLES)
    producer = StreamProducer(settings, articles, rate=150)
    producer.start()

    producer.wait_sent(400, timeout=60)
    for name, text in BROKEN.items():
        (rules_dir / name).write_text(text)
    wait_for(lambda: worker.metric("sitrep_rules_last_reload_success") == 0, 30,
             f"the broken files are refused\n{worker.log_tail()}")
    broken_at = producer.sent
    # The good file itself now turns bad too: still the last good set in force.
    producer.wait_sent(900, timeout=60)
    (rules_dir / "fault.yaml").write_text(FAULT_RULES.replace("when:", "when: [", 1))
    failures = worker.metric("sitrep_rules_reloads_total", result="failure")
    wait_for(lambda: worker.metric("sitrep_rules_reloads_total", result="failure") > failures, 30,
             "the second breakage is refused too")
    assert worker.metric("sitrep_rules_loaded") == 1

    producer.wait_sent(1400, timeout=60)
    for name in BROKEN:
        (rules_dir / name).unlink()
    (rules_dir / "fault.yaml").write_text(FAULT_RULES)
    wait_for(lambda: worker.metric("sitrep_rules_last_reload_success") == 1, 30, "fixed files load again")
    fixed_at = producer.sent

    sent = producer.finish()
    ledger = wait_all_out(settings, {a.id for a in articles}, timeout=120)
    log_text = worker.log_path.read_text(errors="replace")
    report("broken-rules-under-load", ledger.counts(sent), broken_at=broken_at, fixed_at=fixed_at,
           reload_failures=int(worker.metric("sitrep_rules_reloads_total", result="failure")),
           rule_errors=int(worker.metric("sitrep_rule_errors_total")))
    ledger.assert_complete()
    assert "keeping the last good rule set" in log_text
    assert "broken-syntax.yaml" in log_text and "broken-rule.yaml" in log_text, "errors name the files"
    assert worker.metric("sitrep_rule_errors_total") == 0
    assert worker.alive()
