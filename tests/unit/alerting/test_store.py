"""Hot reload: good -> bad keeps the last good set -> fixed; changes, additions, removals."""

import os
from pathlib import Path

from stream.alerting import RuleStore

from alerting_helpers import make_event

GOOD = "rules:\n  - id: buildup\n    description: d\n    when: {type: MOBILIZE}\n"
OTHER = "rules:\n  - id: strike\n    description: d\n    when: {type: ASSAULT}\n"
BAD = "rules:\n  - id: buildup\n    when: {type: MOBILIZE, actor.country: {inn: [RUS]}}\n  - id: x\n"


def touch(path: Path, text: str) -> None:
    path.write_text(text)
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))  # a distinct mtime


def test_reload_good_bad_fixed(tmp_path):
    f = tmp_path / "r.yaml"
    touch(f, GOOD)
    store = RuleStore(tmp_path)
    assert store.engine.route(make_event("MOBILIZE")) == [] and store.changed()
    result = store.reload()
    assert result.ok and result.changed and result.rules_loaded == 1 and result.errors == []
    assert [r.rule_id for r in store.engine.route(make_event("MOBILIZE"))] == ["buildup"]
    assert not store.changed()
    good_engine = store.engine

    touch(f, BAD)
    assert store.changed()
    result = store.reload()
    assert not result.ok and not result.changed and result.rules_loaded == 1
    assert len(result.errors) == 2
    assert {(e.line, e.rule_id) for e in result.errors} == {(3, "buildup"), (4, "x")}
    assert all(e.file == str(f) for e in result.errors)
    assert store.engine is good_engine                       # last good set stays in force
    assert not store.changed()                               # a failed file is not re-read every poll

    touch(f, GOOD.replace("MOBILIZE", "ASSAULT"))
    result = store.reload()
    assert result.ok and result.changed
    assert store.engine.route(make_event("MOBILIZE")) == []
    assert [r.rule_id for r in store.engine.route(make_event("ASSAULT"))] == ["buildup"]


def test_added_and_removed_files_are_noticed(tmp_path):
    touch(tmp_path / "a.yaml", GOOD)
    store = RuleStore(tmp_path)
    store.reload()
    touch(tmp_path / "b.yaml", OTHER)
    assert store.changed()
    assert store.reload().rules_loaded == 2
    (tmp_path / "a.yaml").unlink()
    assert store.changed()
    result = store.reload()
    assert result.ok and result.changed and [r.id for r in store.engine.rules] == ["strike"]


def test_unchanged_content_is_not_a_change(tmp_path):
    touch(tmp_path / "a.yaml", GOOD)
    store = RuleStore(tmp_path)
    store.reload()
    engine = store.engine
    touch(tmp_path / "a.yaml", GOOD)   # same bytes, new mtime
    assert store.changed()
    result = store.reload()
    assert result.ok and not result.changed and store.engine is engine


def test_missing_directory_fails_without_losing_rules(tmp_path):
    touch(tmp_path / "a.yaml", GOOD)
    store = RuleStore(tmp_path / "a.yaml")
    assert store.reload().ok
    (tmp_path / "a.yaml").unlink()
    result = store.reload()
    assert not result.ok and "does not exist" in result.errors[0].message
    assert [r.id for r in store.engine.rules] == ["buildup"]
