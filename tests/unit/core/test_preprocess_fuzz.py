"""Property-based fuzzing of article preprocessing (``stream.extract.preprocess``).

``prepare`` sees every article text that passed decoding. For any text it
must return paragraphs whose offsets point into the original text, and
``resolve_date`` must answer an ISO date or None for any expression. An
exception here fails the extraction of the article (the worker retries the
batch one article at a time and dead-letters the one that fails, reason
``extraction_error``), so its events are lost.

The defects this fuzzing found (impossible date lines, February 29 outside
a leap year, dates at the ends of the calendar) are fixed; their examples
stay at the end as regression tests.
"""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from stream.extract.preprocess import prepare, resolve_date

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

WORDS = ["KYIV", "March", "15", "(Reuters)", "-", "--", ":", "By", "John", "Smith", "Photo", "(AP Photo/X)",
         "Russian", "forces", "massed", "troops", ".", "\n", "\n\n", " ", "\t", "date", "2025-03-15",
         "Getty Images", "yesterday", "Feb", "29", "\u2014", "NEW YORK,", "Ukraine", "\r\n", "\u00a0"]
newsy = st.lists(st.sampled_from(WORDS), max_size=60).map(" ".join)
anything = st.text(alphabet=st.characters(codec="utf-8"), max_size=400)


def _check(text: str) -> None:
    prepared = prepare(text)
    for i, p in enumerate(prepared.paragraphs):
        assert p.index == i
        assert p.text.strip(), "no empty paragraphs"
        assert text[p.start:p.start + len(p.text)] == p.text, "offsets point into the original text"


@FUZZ
@given(newsy | anything)
@example("date 2025-03-15\nRussian forces massed troops.")
@example("\n\n\n")
@example("KYIV, March 15 (Reuters) - ")
def test_prepare_keeps_offsets_for_any_text(text):
    _check(text)


@FUZZ
@given(st.lists(st.sampled_from(["Headline", "Body text.", "", "  ", "(Getty Images)", "By Jane Doe"]),
                max_size=12).map("\n".join))
def test_prepare_line_structures(text):
    _check(text)


@FUZZ
@given(st.text(max_size=60) | st.lists(st.sampled_from(
    ["on", "Monday", "yesterday", "tomorrow", "today", "Feb", "February", "29", "31", "30", "March", "2", ",",
     "2023", "2024", "0000", "9999", "sept.", "Dec"]), max_size=6).map(" ".join),
    st.none() | st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)), st.booleans())
@example("Feb 29", date(2025, 1, 1), False)
@example("March 2", date(2024, 2, 29), False)
def test_resolve_date_answers_a_date_or_none(expr, published, future):
    value = resolve_date(expr, published, future)
    assert value is None or date.fromisoformat(value)


# --------------------------------------------------------------------------- defects fuzzing found (fixed)
@pytest.mark.parametrize("text", ["date 2025-13-45\nRussian forces massed troops.",
                                  " date 2025-02-30 Russian forces massed troops."])
def test_an_impossible_date_line_is_not_a_crash(text):
    _check(text)


def test_february_29_without_a_leap_year_is_not_a_crash():
    assert resolve_date("February 29", date(2024, 1, 10)) in (None, "2023-02-28", "2020-02-29")


def test_dates_at_the_ends_of_the_calendar_are_not_a_crash():
    assert resolve_date("yesterday", date(1, 1, 1)) is None
