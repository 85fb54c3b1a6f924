"""The benchmark corpus: deterministic, realistic mix and lengths, templates that all fill."""

from __future__ import annotations

import random
import re
import subprocess
import sys

import pytest

from stream.bench.corpus import FILLER_TOPICS, Corpus, corpus_stats, fill, load_templates


@pytest.fixture(scope="module")
def corpus():
    return Corpus(7)


@pytest.fixture(scope="module")
def specs(corpus):
    return [corpus.spec(i) for i in range(400)]


def test_same_seed_same_articles_other_seed_other_articles(corpus):
    again = Corpus(7)
    for i in (1, 2, 17, 250):
        a, b = corpus.article(i), again.article(i)
        assert (a.text, a.title, a.published_at, a.source) == (b.text, b.title, b.published_at, b.source)
    other = Corpus(8)
    assert [other.article(i).text for i in range(1, 6)] != [corpus.article(i).text for i in range(1, 6)]


def test_an_article_does_not_depend_on_what_was_generated_before(corpus):
    fresh = Corpus(7)
    assert fresh.article(123).text == corpus.article(123).text


def test_the_seed_article_comes_first(corpus):
    spec, article = corpus.spec_and_article(0)
    assert spec.kind == "seed"
    assert "Starmer" in article.text and article.published_at.year == 2025
    without = Corpus(7, include_seed=False)
    assert without.spec(0).kind != "seed"


def test_ids_carry_the_prefix_and_are_unique(corpus):
    ids = [a.id for a in corpus.articles(50, prefix="run1")]
    assert len(set(ids)) == 50 and all(i.startswith("run1-7-") for i in ids)
    assert corpus.article(3, "x").text == corpus.article(3, "y").text


def test_lengths_stay_between_150_and_1500_words(specs):
    generated = [s for s in specs if s.kind != "seed"]
    assert all(150 <= s.words <= 1500 for s in generated)
    words = [s.words for s in generated]
    assert min(words) < 300 and max(words) > 1100        # the whole range is used
    assert 550 < sum(words) / len(words) < 850             # news-like mean


def test_word_count_matches_the_text(corpus):
    for i in range(1, 30):
        spec, article = corpus.spec_and_article(i)
        assert spec.words == len(article.text.split())


def test_most_articles_have_no_event_some_one_some_several(specs):
    stats = corpus_stats(specs)
    kinds = stats["kinds"]
    n = stats["articles"]
    assert 0.5 < kinds["no_event"] / n < 0.7
    assert 0.15 < kinds["one_event"] / n < 0.35
    assert 0.07 < kinds["several_events"] / n < 0.25
    assert all(2 <= len(s.planted) <= 4 for s in specs if s.kind == "several_events")
    assert set(stats["topics"]) >= set(FILLER_TOPICS) | {"world"}


def _marker(template: str) -> str:
    """The longest fixed piece of a template: found in the text wherever the template was used."""
    return max(re.split(r"\{[^}]*\}", template), key=len)


def test_event_articles_carry_their_event_sentences(corpus):
    t = load_templates()
    markers = {k: [_marker(x) for x in v] for k, v in t["events"].items()}
    seen = 0
    for i in range(1, 80):
        spec, article = corpus.spec_and_article(i)
        if not spec.planted:
            assert spec.topic in FILLER_TOPICS
            assert not any(m in article.text for ms in markers.values() for m in ms)
            continue
        seen += 1
        assert spec.topic == "world" and article.metadata["section"] == "world"
        for kind in set(spec.planted):
            found = sum(article.text.count(m) for m in markers[kind])
            assert found >= spec.planted.count(kind), (kind, article.text[:300])
        lede = article.text.split("\n\n")[0]
        assert any(m in lede for ms in markers.values() for m in ms)   # the first paragraph has an event
    assert seen > 20


def test_articles_without_events_name_no_pair_countries(corpus):
    t = load_templates()
    actors = {p["A"] for p in t["pairs"]}
    for i in range(1, 120):
        spec, article = corpus.spec_and_article(i)
        if spec.kind == "no_event":
            assert not any(f"{a} " in article.text for a in actors if len(a) > 5), spec


def test_every_template_fills(corpus):
    t = load_templates()
    rng = random.Random(1)
    slots = dict(t["slots"], syllables=t["syllables"])
    for topic in t["topics"].values():
        for template in topic["titles"] + topic["sentences"]:
            for pair in t["pairs"]:
                out = fill(template, rng, dict(slots, **pair))
                assert "{" not in out and "}" not in out
    for templates in t["events"].values():
        for template in templates:
            for pair in t["pairs"]:
                assert "{" not in fill(template, rng, dict(slots, **pair))


def test_fill_numbers_names_and_unknown_slots():
    rng = random.Random(3)
    out = fill("{num:5:5} and {dec:2:2} by {newname}", rng, {"syllables": ["ka", "lo"]})
    number, decimal, name = re.match(r"(\d+) and ([\d.]+) by (\w+)", out).groups()
    assert number == "5" and decimal == "2.0" and name[0].isupper() and set(name.lower()) <= set("kalo")
    assert fill("the {x} rose", rng, {"x": ["sun"]}) == "The sun rose"   # sentences start upper-case
    with pytest.raises(KeyError):
        fill("{nope}", rng, {})


def test_templates_must_have_a_mix_that_adds_up(tmp_path):
    path = tmp_path / "corpus.yaml"
    text = open(load_templates.__globals__["TEMPLATES"], encoding="utf-8").read()
    path.write_text(text.replace("no_event: 0.60", "no_event: 0.70"))
    with pytest.raises(ValueError, match="add up to 1"):
        load_templates(path)


def test_the_corpus_does_not_load_spacy():
    code = "import sys; from stream.bench.corpus import Corpus; Corpus(7).article(5); print('spacy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
