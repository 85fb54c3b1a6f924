"""Hot reload from a directory laid out like a Kubernetes ConfigMap volume.

The kubelet writes each version of a ConfigMap into a new hidden directory
``..<timestamp>/``, points the ``..data`` link at it with an atomic rename, and
exposes every key as ``<key> -> ..data/<key>``. The visible links never change;
only the target of ``..data`` does. These tests build exactly that layout and
update it the way the kubelet does.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from stream.alerting import RuleStore
from stream.alerting.loader import find_rule_files

from alerting_helpers import make_event

TROOP = "rules:\n  - id: troop-buildup\n    description: d\n    when: {type: MOBILIZE, actor.country: RUS}\n"
# Same length as TROOP, different meaning (CHN instead of RUS): size alone cannot tell them apart.
TROOP_CHN = TROOP.replace("RUS", "CHN")
STRIKE = "rules:\n  - id: strike\n    description: d\n    when: {type: ASSAULT}\n"
BROKEN = "rules:\n  - id: troop-buildup\n    when: {type: MOBILIZE, actor.country: {inn: [RUS]}}\n"


class ConfigMapVolume:
    """A directory updated like the kubelet's AtomicWriter updates a ConfigMap mount."""

    def __init__(self, root: Path):
        self.root = root
        self.versions = 0
        self.mtime_ns: int | None = None

    def publish(self, files: dict[str, str]) -> Path:
        """Write a new ``..<timestamp>`` version, swap ``..data`` to it, fix the key links, drop the old one."""
        self.versions += 1
        stamp = self.root / f"..2024_01_01_00_{self.versions:02d}_00.{100 + self.versions}"
        stamp.mkdir()
        for name, text in files.items():
            (stamp / name).write_text(text)
            if self.mtime_ns is None:
                self.mtime_ns = (stamp / name).stat().st_mtime_ns
            # Same mtime for every version: detection must not rely on modification times.
            os.utime(stamp / name, ns=(self.mtime_ns, self.mtime_ns))
        data = self.root / "..data"
        old = Path(os.path.realpath(data)) if data.is_symlink() else None
        tmp = self.root / "..data_tmp"
        os.symlink(stamp.name, tmp)
        os.rename(tmp, data)  # the atomic swap
        for name in files:
            link = self.root / name
            if not link.is_symlink():
                os.symlink(f"..data/{name}", link)
        return old

    def cleanup(self, old: Path | None, files: dict[str, str]) -> None:
        """What the kubelet does after the swap: remove links of removed keys and the old version."""
        for entry in self.root.iterdir():
            if entry.is_symlink() and not entry.name.startswith(".") and entry.name not in files:
                entry.unlink()
        if old is not None:
            for f in old.iterdir():
                f.unlink()
            old.rmdir()

    def update(self, files: dict[str, str]) -> None:
        self.cleanup(self.publish(files), files)


@pytest.fixture
def volume(tmp_path: Path) -> ConfigMapVolume:
    root = tmp_path / "rules"
    root.mkdir()
    return ConfigMapVolume(root)


def routed(store: RuleStore, type_: str, actor: str = "RUS") -> list[str]:
    return [r.rule_id for r in store.engine.route(make_event(type_, actor=actor))]


def test_layout_loads_each_key_once_under_its_visible_name(volume):
    volume.update({"troop.yaml": TROOP, "strike.yaml": STRIKE})
    root = volume.root
    assert sorted(p.name for p in root.iterdir()) == ["..2024_01_01_00_01_00.101", "..data",
                                                      "strike.yaml", "troop.yaml"]
    assert (root / "troop.yaml").is_symlink() and (root / "..data").is_symlink()
    # Not through ..data/ nor the timestamped directory: only the visible links.
    assert [p.name for p in find_rule_files(root)] == ["strike.yaml", "troop.yaml"]
    store = RuleStore(root)
    result = store.reload()
    assert result.ok and result.rules_loaded == 2
    assert store.ruleset.files == (str(root / "strike.yaml"), str(root / "troop.yaml"))
    assert store.engine.rule("troop-buildup").file == str(root / "troop.yaml")
    assert not store.changed()


def test_atomic_swap_is_noticed_even_with_equal_size_and_mtime(volume):
    volume.update({"troop.yaml": TROOP})
    store = RuleStore(volume.root)
    assert store.reload().ok
    assert routed(store, "MOBILIZE", "RUS") == ["troop-buildup"]

    volume.update({"troop.yaml": TROOP_CHN})
    assert (volume.root / "troop.yaml").stat().st_size == len(TROOP)
    assert store.changed()
    result = store.reload()
    assert result.ok and result.changed
    assert routed(store, "MOBILIZE", "RUS") == []
    assert routed(store, "MOBILIZE", "CHN") == ["troop-buildup"]
    assert not store.changed()


def test_swap_with_identical_content_is_polled_but_changes_nothing(volume):
    volume.update({"troop.yaml": TROOP})
    store = RuleStore(volume.root)
    store.reload()
    engine = store.engine
    volume.update({"troop.yaml": TROOP})
    assert store.changed()
    result = store.reload()
    assert result.ok and not result.changed and store.engine is engine


def test_added_key(volume):
    volume.update({"troop.yaml": TROOP})
    store = RuleStore(volume.root)
    store.reload()
    volume.update({"troop.yaml": TROOP, "strike.yaml": STRIKE})
    assert store.changed()
    assert store.reload().rules_loaded == 2
    assert routed(store, "ASSAULT") == ["strike"]


def test_removed_key_dangling_link_then_link_removed(volume):
    volume.update({"troop.yaml": TROOP, "strike.yaml": STRIKE})
    store = RuleStore(volume.root)
    store.reload()

    # Between the swap and the cleanup, strike.yaml points at nothing: it is not a rule file
    # (not an unreadable one), so the reload succeeds with the key gone.
    old = volume.publish({"troop.yaml": TROOP})
    assert (volume.root / "strike.yaml").is_symlink() and not (volume.root / "strike.yaml").exists()
    assert store.changed()
    result = store.reload()
    assert result.ok and result.changed and result.rules_loaded == 1
    assert routed(store, "ASSAULT") == []

    volume.cleanup(old, {"troop.yaml": TROOP})
    assert not store.changed()
    assert store.last_result.ok


def test_broken_version_keeps_last_good_rules_until_the_next_good_one(volume):
    volume.update({"troop.yaml": TROOP})
    store = RuleStore(volume.root)
    store.reload()
    good = store.engine

    volume.update({"troop.yaml": BROKEN})
    assert store.changed()
    result = store.reload()
    assert not result.ok and store.engine is good
    [error] = result.errors
    assert (error.file, error.line) == (str(volume.root / "troop.yaml"), 3)  # the visible name, not ..data/
    assert not store.changed()

    volume.update({"troop.yaml": TROOP_CHN})
    assert store.changed()
    result = store.reload()
    assert result.ok and result.changed
    assert routed(store, "MOBILIZE", "CHN") == ["troop-buildup"]


def test_hidden_files_and_editor_leftovers_are_not_rules(volume):
    volume.update({"troop.yaml": TROOP})
    (volume.root / ".troop.yaml.swp").write_text(STRIKE)
    (volume.root / "..hidden").mkdir()
    (volume.root / "..hidden" / "strike.yaml").write_text(STRIKE)
    assert [p.name for p in find_rule_files(volume.root)] == ["troop.yaml"]


def test_linked_directories_are_followed_once_and_loops_end(tmp_path):
    real = tmp_path / "shared"
    (real / "more").mkdir(parents=True)
    (real / "more" / "strike.yaml").write_text(STRIKE)
    root = tmp_path / "rules"
    root.mkdir()
    (root / "troop.yaml").write_text(TROOP)
    os.symlink(real, root / "shared")             # a linked directory is followed
    os.symlink(real, root / "again")              # ... but the same real directory only once
    os.symlink(root, real / "more" / "loop")      # a loop back to the root ends
    os.symlink("nowhere.yaml", root / "gone.yaml")  # dangling
    (root / "fifo.yaml").mkdir()                  # a directory named like a file is walked, not read
    names = [p.relative_to(root).as_posix() for p in find_rule_files(root)]
    assert names == ["troop.yaml", "again/more/strike.yaml"]
    store = RuleStore(root)
    assert store.reload().rules_loaded == 2


def test_files_changing_during_a_reload_are_read_again(volume, monkeypatch):
    """A swap in the middle of reading may mix old and new files; the reload reads them again."""
    import stream.alerting.store as store_module

    volume.update({"a.yaml": TROOP, "b.yaml": STRIKE})
    store = RuleStore(volume.root)
    store.reload()
    real_read = store_module.read_sources
    calls = []

    def read_then_swap(files, problems, limits):
        out = real_read(files, problems, limits)
        calls.append(len(out))
        if len(calls) == 1:  # the kubelet swaps right after the first read
            volume.update({"a.yaml": TROOP_CHN, "b.yaml": STRIKE})
        return out

    monkeypatch.setattr(store_module, "read_sources", read_then_swap)
    result = store.reload()
    assert len(calls) == 2
    assert result.ok and result.changed
    assert routed(store, "MOBILIZE", "CHN") == ["troop-buildup"]
    assert not store.changed()
