"""``sitrep extract``, ``explain`` and ``eval`` through the real argument parser (model loaded in-process)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from stream.cli import main

SEED = Path(__file__).resolve().parents[3] / "seeds" / "000_5b594cfd5d1b3531.txt"


@pytest.fixture(autouse=True)
def _share_model(monkeypatch, extractor):
    """Reuse the session's extractor instead of loading the model per command."""
    import stream.cli.extraction as cli

    monkeypatch.setattr(cli, "_load", lambda settings, batch=8: extractor)


def test_extract_json_one_line_per_article(capsys, tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"id": "x1", "text": "Russian forces shelled Kharkiv on Monday."}) + "\n"
                    + json.dumps({"id": "x2", "text": "The weather was mild."}) + "\n")
    assert main(["extract", str(path), "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["article_id"] for line in lines] == ["x1", "x2"]
    assert lines[0]["events"][0]["type"] == "ASSAULT" and lines[1]["events"] == []


def test_extract_readable_brackets_trigger_when_not_a_tty(capsys):
    assert main(["extract", str(SEED)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("== file-")
    assert "MOBILIZE" in out and "[accumulating]" in out and "\033[1m" not in out


def test_extract_stdin(capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(" date 2025-03-15\nRussia shelled Kharkiv on Thursday.\n"))
    assert main(["extract", "-", "--json"]) == 0
    [line] = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert line["events"][0]["event_date"] == "2025-03-13"


def test_explain_text_and_file(capsys, tmp_path):
    assert main(["explain", "Russia did not attack Kharkiv, officials said."]) == 0
    out = capsys.readouterr().out
    assert "+ ASSAULT" in out and "negated (cue 'not')" in out
    path = tmp_path / "t.txt"
    path.write_text("Markets rose. Israel struck Hezbollah targets on Thursday.")
    assert main(["explain", "--file", str(path), "--date", "2025-03-15"]) == 0
    out = capsys.readouterr().out
    assert "no trigger term -> model skipped" in out and "event date: 2025-03-13" in out


def test_eval_without_plover_says_so_and_scores_the_labelled_file(capsys, tmp_path):
    labelled = tmp_path / "s.jsonl"
    rows = [{"id": "1", "text": "Russian forces shelled Kharkiv.", "events": [{"type": "ASSAULT", "actor": "RUS"}]},
            {"id": "2", "text": "The striker scored twice.", "events": []}]
    labelled.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    code = main(["eval", "--plover", str(tmp_path / "missing.txt"), "--labelled", str(labelled),
                 "--seed-articles", "1"])
    out = capsys.readouterr().out
    assert "PLOVER file not found" in out
    assert "ASSAULT" in out and "false-event rate" in out
    assert "throughput on 2 evaluation sentences" in out and "seed articles" in out
    assert code == 0                                    # every target evaluated here passes


def test_eval_exit_status_and_json(capsys, tmp_path):
    labelled = tmp_path / "s.jsonl"
    rows = [{"id": "1", "text": "The weather was mild.", "events": [{"type": "ASSAULT", "actor": "RUS"}]}]
    labelled.write_text(json.dumps(rows[0]) + "\n")
    args = ["eval", "--plover", str(tmp_path / "none"), "--labelled", str(labelled), "--seed-articles", "0"]
    assert main(args) == 1                              # ASSAULT F1 0 < 0.80
    capsys.readouterr()
    assert main(args + ["--no-targets", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["targets_passed"] is False
    assert report["reports"][0]["types"]["ASSAULT"]["recall"] == 0.0
    assert {t["texts"] for t in report["throughput"]} >= {"evaluation sentences"}
