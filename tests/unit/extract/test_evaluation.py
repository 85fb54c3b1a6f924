"""Scoring functions of ``sitrep eval`` (pure, no model)."""

from __future__ import annotations

import json

import pytest

from stream.extract.evaluation import (
    COMBINED, GoldEvent, GoldSentence, PredEvent, check_targets, load_labelled, load_plover, pred_from_event, score,
)


def _gold(id, *events, no_event=False):
    return GoldSentence(id=id, text=id, events=tuple(events), no_event=no_event)


def test_precision_recall_f1_per_type():
    gold = [_gold("1", GoldEvent("ASSAULT", frozenset({"RUS"}))),
            _gold("2", GoldEvent("ASSAULT", frozenset({"ISR"}))),
            _gold("3", GoldEvent("SANCTION", frozenset({"USA"})))]
    preds = {"1": [PredEvent("ASSAULT", "RUS")], "2": [PredEvent("SANCTION", "ISR")], "3": [PredEvent("SANCTION")]}
    rep = score(gold, preds, "t")
    a, s = rep.types["ASSAULT"], rep.types["SANCTION"]
    assert (a.tp, a.fp, a.fn) == (1, 0, 1)
    assert a.precision == 1.0 and a.recall == 0.5 and a.f1 == pytest.approx(2 / 3)
    assert (s.tp, s.fp, s.fn) == (1, 1, 0)
    assert rep.actor == [1, 2]          # sentence 3: predicted actor missing -> wrong


def test_agree_and_concede_score_alone_and_as_one_class():
    gold = [_gold("1", GoldEvent("AGREE")), _gold("2", GoldEvent("CONCEDE"))]
    preds = {"1": [PredEvent("CONCEDE")], "2": [PredEvent("CONCEDE")]}
    rep = score(gold, preds, "t")
    assert rep.types["AGREE"].recall == 0.0 and rep.types["AGREE"].f1 == 0.0
    assert rep.types["AGREE"].precision is None
    assert rep.types["CONCEDE"].tp == 1 and rep.types["CONCEDE"].fp == 1
    assert rep.types[COMBINED].f1 == 1.0


def test_igo_gold_code_matches_any_igo_actor_and_cameo_codes_map_to_iso():
    gold = [_gold("1", GoldEvent("REQUEST", frozenset({"IGO"}), frozenset({"JPN"})))]
    rep = score(gold, {"1": [PredEvent("REQUEST", "UN", "IGO", "JPN")]}, "t")
    assert rep.actor == [1, 1] and rep.recipient == [1, 1]
    rep = score(gold, {"1": [PredEvent("REQUEST", "USA", "GOV")]}, "t")
    assert rep.actor == [0, 1]


def test_false_event_rate_and_flag_accuracy():
    gold = [_gold("a", no_event=True), _gold("b", no_event=True),
            _gold("c", GoldEvent("ASSAULT", negated=True, hypothetical=False))]
    preds = {"a": [PredEvent("ASSAULT")], "b": [], "c": [PredEvent("ASSAULT", negated=True, hypothetical=True)]}
    rep = score(gold, preds, "t")
    assert rep.ratio(rep.no_event) == 0.5
    assert rep.negated == [1, 1] and rep.hypothetical == [0, 1]
    targets = {what: ok for what, _, _, ok in check_targets(rep, labelled=True)}
    assert targets["false-event rate"] is False
    assert targets["negated flag accuracy"] is True and targets["hypothetical flag accuracy"] is False


def test_drop_unreal_ignores_negated_hypothetical_and_historical_predictions():
    gold = [_gold("1", GoldEvent("REJECT"))]
    preds = {"1": [PredEvent("REJECT"), PredEvent("AGREE", negated=True), PredEvent("ASSAULT", hypothetical=True),
                   PredEvent("MOBILIZE", historical=True)]}
    rep = score(gold, preds, "t", drop_unreal=True)
    assert "AGREE" not in rep.types and "ASSAULT" not in rep.types and "MOBILIZE" not in rep.types
    assert rep.types["REJECT"].f1 == 1.0


def test_targets_fail_below_080():
    gold = [_gold(str(i), GoldEvent("MOBILIZE")) for i in range(10)]
    preds = {str(i): [PredEvent("MOBILIZE")] for i in range(6)}
    [(what, value, target, ok)] = check_targets(score(gold, preds, "t"), labelled=False)
    assert what == "MOBILIZE F1" and not ok and value == pytest.approx(0.75)


def test_load_plover_tolerates_trailing_commas_and_maps_types(tmp_path):
    path = tmp_path / "gsr.txt"
    path.write_text("""[
 {"id": "DOC", "event": "DOCUMENT", "eventText": "x",},
 {"id": "A1", "event": "FIGHT", "text": "Serb forces shelled Gorazde.",
  "source": [{"actorText": "Serb forces", "code": "SRB", "sector": "MIL"},],
  "target": [{"actorText": "Gorazde", "code": "BIH"}],},
 {"id": "A2", "event": "DEMAND", "text": "Japan demanded talks.", "source": [{"code": "JAP"}], "target": "diplomatic"},
 {"id": "A3", "event": "RETREAT", "text": "Hizbollah declared a unilateral ceasefire.", "source": [{"code": "LBN"}]},
]""")
    gold = load_plover(path)
    assert [(g.id, g.events[0].type) for g in gold] == [("A1", "ASSAULT"), ("A2", "REQUEST"), ("A3", "CONCEDE")]
    assert gold[0].events[0].actors == {"SRB"} and gold[0].events[0].recipients == {"BIH"}
    assert gold[1].events[0].actors == {"JPN"} and gold[1].events[0].recipients == frozenset()


def test_load_labelled(tmp_path):
    path = tmp_path / "s.jsonl"
    rows = [{"id": "x", "text": "No event here.", "events": []},
            {"id": "y", "text": "Russia attacked.", "published_at": "2024-05-01",
             "events": [{"type": "ASSAULT", "actor": "RUS", "recipient": None, "negated": True}]}]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    x, y = load_labelled(path)
    assert x.no_event and not y.no_event
    assert y.events[0].actors == {"RUS"} and y.events[0].negated is True and y.published_at == "2024-05-01"


def test_pred_from_event_dict():
    p = pred_from_event({"type": "ASSAULT", "actor": {"text": "Moscow", "country": "RUS", "sector": "GOV"},
                         "recipient": None, "context": {"negated": True}})
    assert p == PredEvent("ASSAULT", "RUS", "GOV", None, None, True, False, False)
