"""Paragraphs, datelines, bylines, captions and relative dates (no model needed)."""

from __future__ import annotations

from datetime import date

import pytest

from stream.extract.preprocess import prepare, resolve_date


def _texts(prep):
    return [p.text for p in prep.paragraphs]


def test_paragraphs_split_on_blank_lines_with_offsets():
    text = "Russia attacks Kyiv\n\nRussian missiles hit the capital overnight. Two people died.\n\n  Officials said more."
    prep = prepare(text)
    assert _texts(prep) == ["Russia attacks Kyiv", "Russian missiles hit the capital overnight. Two people died.",
                            "Officials said more."]
    for p in prep.paragraphs:
        assert text[p.start:p.start + len(p.text)] == p.text
    assert prep.paragraphs[0].headline and not prep.paragraphs[1].headline


def test_headline_on_its_own_line_does_not_merge_into_the_story():
    text = "Troops massed at the border\nRussia has moved 10,000 troops to the border, officials said."
    assert _texts(prepare(text)) == ["Troops massed at the border",
                                     "Russia has moved 10,000 troops to the border, officials said."]


@pytest.mark.parametrize("lead, dateline", [
    ("KYIV, March 15 (Reuters) - ", "KYIV, March 15 (Reuters)"),
    ("KYIV, Ukraine \u2014 ", "KYIV, Ukraine"),
    ("WASHINGTON (AP) \u2014 ", "WASHINGTON (AP)"),
    ("MOSCOW -- ", "MOSCOW"),
])
def test_dateline_is_stripped_and_recorded(lead, dateline):
    text = lead + "Russian forces shelled the city."
    prep = prepare(text)
    assert prep.dateline == dateline
    first = prep.paragraphs[0]
    assert first.text == "Russian forces shelled the city."
    assert text[first.start:first.start + len(first.text)] == first.text


def test_ordinary_first_sentence_is_not_taken_for_a_dateline():
    prep = prepare("Ukraine said on Friday - in a statement - that it repelled attacks.")
    assert prep.dateline is None
    assert prep.paragraphs[0].text.startswith("Ukraine said")


def test_byline_is_stripped_and_recorded():
    prep = prepare("By Jane Smith and John Doe\n\nRussia attacked Kharkiv.")
    assert prep.byline == "By Jane Smith and John Doe"
    assert _texts(prep) == ["Russia attacked Kharkiv."]


@pytest.mark.parametrize("caption", [
    "Keir Starmer leaves 10 Downing Street on Saturday. (Leon Neal/Getty Images)",
    "Ukrainian soldiers fire a howitzer near Bakhmut. (AP Photo/Libkos)",
    "Photo: Russian tanks near the border.",
])
def test_captions_are_flagged(caption):
    prep = prepare("Russia attacked Kharkiv.\n\n" + caption + "\n\nMore news followed.")
    flags = [p.caption for p in prep.paragraphs]
    assert flags == [False, True, False]


def test_seed_date_line_gives_the_publication_date_and_is_not_text():
    prep = prepare(" date 2025-03-15 British Prime Minister Keir Starmer urged Putin.")
    assert prep.published == date(2025, 3, 15)
    assert prep.paragraphs[0].text == "British Prime Minister Keir Starmer urged Putin."


@pytest.mark.parametrize("expr, future, expected", [
    ("on Thursday", False, "2025-03-13"),   # published Saturday 2025-03-15
    ("on Saturday", False, "2025-03-15"),
    ("Friday", False, "2025-03-14"),
    ("on Monday", True, "2025-03-17"),
    ("yesterday", False, "2025-03-14"),
    ("tomorrow", False, "2025-03-16"),
    ("today", False, "2025-03-15"),
    ("March 2", False, "2025-03-02"),
    ("December 30", False, "2024-12-30"),
    ("last month", False, None),
])
def test_relative_dates_resolve_against_publication(expr, future, expected):
    assert resolve_date(expr, date(2025, 3, 15), future=future) == expected


def test_relative_date_without_publication_date_is_unknown():
    assert resolve_date("on Thursday", None) is None


@pytest.mark.parametrize("text", ["date 2025-13-45\nRussian forces massed troops.",
                                  " date 2025-02-30 Russian forces massed troops."])
def test_impossible_date_line_is_no_date_and_not_text(text):
    prep = prepare(text)
    assert prep.published is None
    assert [p.text for p in prep.paragraphs] == ["Russian forces massed troops."]


def test_february_29_and_calendar_ends_do_not_raise():
    assert resolve_date("February 29", date(2024, 1, 10)) is None       # 2023 has no February 29
    assert resolve_date("February 29", date(2024, 3, 10)) == "2024-02-29"
    assert resolve_date("yesterday", date(1, 1, 1)) is None
    assert resolve_date("tomorrow", date(9999, 12, 31)) is None
