"""Data files load, and every mistake in them is reported with file, line and field."""

from __future__ import annotations

import shutil

import pytest

from stream.extract import LexiconError, load_lexicon
from stream.extract.lexicon import DATA_DIR, EVENT_TYPES, IGO_CODES, SECTORS


@pytest.fixture
def data(tmp_path):
    """A writable copy of the shipped data directory."""
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def test_shipped_data_is_valid_and_covers_the_required_types():
    lex = load_lexicon()
    types = {t.type for t in lex.triggers}
    for required in ("MOBILIZE", "SANCTION", "ASSAULT", "THREATEN", "AGREE", "CONCEDE", "RETREAT", "REQUEST",
                     "AID", "REJECT", "ACCUSE"):
        assert required in types
    assert types <= EVENT_TYPES
    for entry in lex.gazetteer:
        assert entry.code is None or len(entry.code) == 3 or entry.code in IGO_CODES
        assert entry.sector is None or entry.sector in SECTORS


def test_gazetteer_has_states_capitals_demonyms_leaders_forces_and_igos():
    lex = load_lexicon()
    by_text = {e.text: e for e in lex.gazetteer}
    assert by_text["Moscow"].code == "RUS" and by_text["Kremlin"].code == "RUS"
    assert by_text["Ukrainian"].kind == "demonym" and by_text["Ukrainian"].code == "UKR"
    assert by_text["Zelenskyy"].code == "UKR" and by_text["Zelenskyy"].label == "PERSON"
    assert by_text["NATO"].code == "NATO" and by_text["NATO"].sector == "IGO"
    assert by_text["Sumy"].code == "UKR" and by_text["Kursk"].code == "RUS"


def _problems(data):
    with pytest.raises(LexiconError) as info:
        load_lexicon(data)
    return info.value.problems, str(info.value)


def test_bad_trigger_lines_are_all_reported_with_line_and_field(data):
    path = data / "triggers.jsonl"
    lines = path.read_text().splitlines()
    lines.append('{"id": "x1", "type": "ATTACK", "terms": ["boom"]}')
    lines.append('{"id": "x2", "type": "ASSAULT", "terms": []}')
    lines.append('{"id": "x3", "type": "ASSAULT", "terms": ["zap"], "need": ["no_such_class"]}')
    lines.append('{"id": "x3", "type": "ASSAULT", "terms": ["zap"], "colour": "red"}')
    lines.append('{"id": "x5", "type": "ASSAULT", "terms": ["zap"], "confidence": 2}')
    lines.append("{not json")
    path.write_text("\n".join(lines) + "\n")
    n = len(lines)
    problems, message = _problems(data)
    where = {(p.line, p.field) for p in problems}
    assert (n - 5, "type") in where
    assert (n - 4, "terms") in where
    assert (n - 3, "need") in where
    assert (n - 2, "id") in where and (n - 2, "colour") in where
    assert (n - 1, "confidence") in where
    assert (n, None) in where
    assert f"triggers.jsonl:{n - 5}: type: unknown event type 'ATTACK'" in message


def test_gazetteer_rows_are_checked(data):
    with open(data / "actors.tsv", "a") as fh:
        fh.write("Somebody\tRUSSIA\tGOV\tSomebody\tPERSON\n")
        fh.write("Someone\tRUS\tARMY\tSomeone\tPERSON\n")
    problems, message = _problems(data)
    fields = {(p.file, p.field) for p in problems}
    assert ("actors.tsv", "code") in fields and ("actors.tsv", "sector") in fields
    assert "'RUSSIA' is neither an ISO-3166 alpha-3 code nor a known IGO code" in message


def test_yaml_duplicate_keys_and_unknown_flags_are_errors(data):
    path = data / "cues.yaml"
    path.write_text(path.read_text() + "\nmaybe:\n  words: [perhaps]\nnegated:\n  words: [nope]\n")
    problems, message = _problems(data)
    assert any(p.file == "cues.yaml" and "duplicate key 'negated'" in p.message for p in problems)


def test_unknown_flag_in_cues_is_reported(data):
    path = data / "cues.yaml"
    path.write_text(path.read_text() + "\nmaybe:\n  words: [perhaps]\n")
    problems, _ = _problems(data)
    assert any(p.field == "maybe" and "unknown flag" in p.message for p in problems)


def test_tsv_header_must_match(data):
    path = data / "places.tsv"
    path.write_text("# places\nplace\tcode\nKursk\tRUS\n")
    problems, _ = _problems(data)
    assert any(p.file == "places.tsv" and "header must be" in p.message for p in problems)
