"""The seed article gives the events a careful reader would list."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def events(extractor, seed_article):
    return extractor.extract(seed_article)


def _find(events, etype, actor=None, recipient=None, **flags):
    out = []
    for e in events:
        if e.type != etype:
            continue
        if actor and (e.actor is None or e.actor.country != actor):
            continue
        if recipient and (e.recipient is None or e.recipient.country != recipient):
            continue
        if any(getattr(e.context, k) != v for k, v in flags.items()):
            continue
        out.append(e)
    assert out, f"no {etype} {actor}->{recipient} {flags} in {[(e.type, e.actor, e.recipient) for e in events]}"
    return out


def _evidence(events):
    return " || ".join(ev.sentence for e in events for ev in e.evidence)


def test_buildup_by_moscow_near_kursk_or_sumy(events):
    found = _find(events, "MOBILIZE", actor="RUS", negated=False, hypothetical=False)
    moscow = [e for e in found if "accumulating forces" in _evidence([e])]
    assert moscow, found
    e = moscow[0]
    assert e.actor.text == "Moscow" and e.actor.sector == "GOV"
    assert e.location is not None and e.location.country in {"RUS", "UKR"}
    assert e.location.name in {"Kursk", "Sumy"}
    assert e.context.reported and e.context.reported_by == "Zelenskyy"


def test_zelenskyy_calls_for_sanctions_against_russia(events):
    [e] = _find(events, "SANCTION", actor="UKR", recipient="RUS")
    assert e.actor.text == "Zelenskyy"
    assert "calling for strengthened sanctions" in e.text
    assert _find(events, "REQUEST", actor="UKR", recipient="RUS")


def test_us_ceasefire_proposal_is_an_agree_by_the_united_states(events):
    found = _find(events, "AGREE", actor="USA")
    assert any("proposal" in e.trigger for e in found)
    assert all(e.mode == "ceasefire" for e in found)


def test_zelenskyy_and_ukraine_back_the_ceasefire(events):
    found = _find(events, "AGREE", actor="UKR", negated=False, hypothetical=False)
    text = _evidence(found)
    assert "which Zelenskyy has backed" in text and "has already endorsed the truce proposal" in text
    assert len(found) == 1 and len(found[0].evidence) >= 2       # one event, several mentions


def test_starmer_urges_putin_to_sign_up(events):
    [e] = [x for x in _find(events, "REQUEST", actor="GBR", recipient="RUS") if x.trigger == "urged"]
    assert e.actor.text == "British Prime Minister Keir Starmer"
    assert e.recipient.text == "Russian President Vladimir Putin"
    assert e.event_date == "2025-03-15"            # "on Saturday", published Saturday 2025-03-15


def test_putins_support_is_conditional(events):
    found = _find(events, "AGREE", actor="RUS", hypothetical=True)
    text = _evidence(found)
    assert "supports a truce in principle" in text or "supported in principle" in text


def test_ukraine_used_the_long_neptune_missile(events):
    [e] = [x for x in _find(events, "ASSAULT", actor="UKR") if x.mode == "missile"]
    assert "used a new domestically produced long-range missile in combat" in e.text
    assert e.context.reported


def test_fighting_in_kursk_between_ukrainian_troops_and_russian_forces(events):
    found = [e for e in _find(events, "ASSAULT", actor="UKR", recipient="RUS") if "fending off" in _evidence([e])]
    assert found
    e = found[0]
    assert e.actor.text == "Ukrainian troops" and e.actor.sector == "MIL"
    assert e.location is not None and "Kursk" in e.location.text and e.location.country == "RUS"


def test_caption_paragraphs_are_flagged(extractor, seed_article, events):
    caption_starts = [seed_article.text.index(s) for s in (
        "British Prime Minister Keir Starmer leaves", "Russian soldiers walk along", "A Ukrainian soldier walks")]
    for e in events:
        for ev in e.evidence:
            in_caption = any(start <= ev.start < start + 300 and seed_article.text[start:ev.end].count("\n") == 0
                             for start in caption_starts)
            if len(e.evidence) == 1 and in_caption:
                assert e.context.caption
