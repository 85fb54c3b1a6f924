"""read_articles: the input formats shared by extract and produce."""

from __future__ import annotations

import io
import json

import pytest

from stream.errors import DecodeError
from stream.extract import read_articles

from pathlib import Path

SEED = Path(__file__).resolve().parents[3] / "seeds" / "000_5b594cfd5d1b3531.txt"


def test_plain_text_seed_gives_date_id_and_no_title():
    [a] = list(read_articles(SEED))
    assert a.published_at.isoformat().startswith("2025-03-15")
    assert a.text.startswith("British Prime Minister Keir Starmer urged")
    assert a.title is None                      # first paragraph is long and ends with a period
    assert a.id.startswith("file-")
    [again] = list(read_articles(SEED))
    assert again.id == a.id


def test_plain_text_short_first_paragraph_without_period_is_the_title(tmp_path):
    path = tmp_path / "story.txt"
    path.write_text(" date 2024-02-01\nRussia masses troops\n\nRussia moved troops to the border.\n")
    [a] = list(read_articles(path))
    assert a.title == "Russia masses troops"
    assert a.published_at.date().isoformat() == "2024-02-01"
    other = tmp_path / "other.txt"
    other.write_text(path.read_text())
    assert list(read_articles(other))[0].id != a.id      # name is part of the id


def test_jsonl_json_object_json_list_and_directory(tmp_path):
    (tmp_path / "a.jsonl").write_text(
        json.dumps({"id": "a1", "text": "One."}) + "\n\n" + json.dumps({"text": "Two."}) + "\n")
    (tmp_path / "b.json").write_text(json.dumps({"id": "b1", "text": "Three.", "published_at": "2024-01-01T00:00:00Z"}))
    (tmp_path / "c.json").write_text(json.dumps([{"id": "c1", "text": "Four."}, {"id": "c2", "text": "Five."}]))
    (tmp_path / ".hidden").write_text("ignored")
    ids = [a.id for a in read_articles(tmp_path)]
    assert ids[:1] == ["a1"] and ids[2:] == ["b1", "c1", "c2"]
    assert ids[1].startswith("a-")          # derived id for an article without one


def test_stdin_dash(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps({"id": "s1", "text": "From stdin."}) + "\n"
                                                 + json.dumps({"id": "s2", "text": "Again."}) + "\n"))
    assert [a.id for a in read_articles("-")] == ["s1", "s2"]


def test_bad_json_line_names_file_and_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"text": "ok"}) + "\n{oops\n")
    with pytest.raises(DecodeError, match=r"bad.jsonl:2"):
        list(read_articles(path))


def test_missing_text_is_rejected(tmp_path):
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"id": "x"}))
    with pytest.raises(DecodeError, match="no text"):
        list(read_articles(path))
