"""Scoring extraction against gold sentences: pure functions, no spaCy.

Two gold sources: the PLOVER gold-standard records (one coded event per
record, 0.5b1 categories mapped to today's) and the project's labelled
sentences (any number of events per sentence, ``events: []`` meaning none is
allowed). Events are compared per sentence by type; actor and recipient
accuracy is measured on type matches; context flags likewise.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from .lexicon import IGO_CODES

__all__ = [
    "GoldEvent", "GoldSentence", "PredEvent", "TypeScore", "Report", "load_plover", "load_labelled",
    "score", "pred_from_event", "check_targets", "TARGET_TYPES", "SUPPORTED_TYPES", "COMBINED",
    "PLOVER_TYPE_MAP", "CAMEO_TO_ISO",
]

_DECLARED_TRUCE = re.compile(r"\b(declared|announced|proclaimed)\b[^.]{0,40}\b(ceasefire|cease-fire|truce)\b", re.I)
PLOVER_TYPE_MAP = {"FIGHT": "ASSAULT", "DEMAND": "REQUEST", "DISAPPROVE": "ACCUSE"}
CAMEO_TO_ISO = {"JAP": "JPN", "ITL": "ITA", "VTN": "VNM", "ROM": "ROU", "GMY": "DEU", "UKG": "GBR"}
# CAMEO pseudo-codes with no state behind them: not scored for actor accuracy.
UNSCORED_CODES = frozenset({"IMG", "NGO", "ISM", "MNC", "UIS"})
SUPPORTED_TYPES = frozenset({"MOBILIZE", "SANCTION", "ASSAULT", "THREATEN", "AGREE", "CONCEDE", "RETREAT", "REQUEST",
                             "AID", "REJECT", "ACCUSE", "PROTEST", "COERCE"})
COMBINED = "AGREE+CONCEDE"
TARGET_TYPES = ("MOBILIZE", "SANCTION", "ASSAULT", COMBINED, "THREATEN", "REQUEST")
TARGETS = {"f1": 0.80, "false_event_rate": 0.05, "flag_accuracy": 0.90}


@dataclass(frozen=True)
class GoldEvent:
    type: str
    actors: frozenset[str] = frozenset()
    recipients: frozenset[str] = frozenset()
    negated: bool | None = None
    hypothetical: bool | None = None


@dataclass(frozen=True)
class GoldSentence:
    id: str
    text: str
    events: tuple[GoldEvent, ...]
    published_at: str | None = None
    no_event: bool = False        # labelled with events: [] (nothing may fire)


@dataclass(frozen=True)
class PredEvent:
    type: str
    actor: str | None = None
    actor_sector: str | None = None
    recipient: str | None = None
    recipient_sector: str | None = None
    negated: bool = False
    hypothetical: bool = False
    historical: bool = False


@dataclass
class TypeScore:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        if self.tp == 0:
            return 0.0 if self.fp or self.fn else None
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r)

    def to_dict(self) -> dict[str, Any]:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "precision": self.precision, "recall": self.recall,
                "f1": self.f1, "support": self.tp + self.fn}


@dataclass
class Report:
    name: str
    sentences: int = 0
    types: dict[str, TypeScore] = field(default_factory=dict)
    actor: list[int] = field(default_factory=lambda: [0, 0])        # correct, scored
    recipient: list[int] = field(default_factory=lambda: [0, 0])
    negated: list[int] = field(default_factory=lambda: [0, 0])
    hypothetical: list[int] = field(default_factory=lambda: [0, 0])
    no_event: list[int] = field(default_factory=lambda: [0, 0])     # sentences with a false event, no-event sentences
    errors: list[dict] = field(default_factory=list)

    @staticmethod
    def ratio(pair: list[int]) -> float | None:
        return pair[0] / pair[1] if pair[1] else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "sentences": self.sentences,
            "types": {t: s.to_dict() for t, s in sorted(self.types.items())},
            "actor_accuracy": self.ratio(self.actor), "actor_scored": self.actor[1],
            "recipient_accuracy": self.ratio(self.recipient), "recipient_scored": self.recipient[1],
            "negated_accuracy": self.ratio(self.negated), "negated_scored": self.negated[1],
            "hypothetical_accuracy": self.ratio(self.hypothetical), "hypothetical_scored": self.hypothetical[1],
            "false_event_rate": self.ratio(self.no_event), "no_event_sentences": self.no_event[1],
        }


# ---------------------------------------------------------------- loading
def _codes(value: Any) -> frozenset[str]:
    """Codes from a gold actor field: a code, a list of codes, actor dicts, or None."""
    if value is None or value == "":
        return frozenset()
    if isinstance(value, str):
        return frozenset({CAMEO_TO_ISO.get(value.strip(), value.strip())}) if value.strip() else frozenset()
    if isinstance(value, Mapping):
        return _codes(value.get("code") or value.get("country"))
    if isinstance(value, (list, tuple)):
        out: set[str] = set()
        for v in value:
            out |= _codes(v)
        return frozenset(out)
    return frozenset()


def load_plover(path: str | Path) -> list[GoldSentence]:
    """PLOVER GSR records (trailing commas allowed), grouped by sentence text."""
    raw = Path(path).read_text(encoding="utf-8")
    data = json.loads(re.sub(r",\s*([\]}])", r"\1", raw))
    by_text: dict[str, list[GoldEvent]] = {}
    ids: dict[str, str] = {}
    for rec in data:
        etype = rec.get("event")
        if not etype or etype == "DOCUMENT" or not rec.get("text"):
            continue
        etype = PLOVER_TYPE_MAP.get(etype, etype)
        if etype == "RETREAT" and _DECLARED_TRUCE.search(rec["text"]):
            etype = "CONCEDE"   # the README's mapping: a declared ceasefire is CONCEDE, an implemented one RETREAT
        target = rec.get("target")
        text = rec["text"].strip()
        by_text.setdefault(text, []).append(GoldEvent(
            type=etype,
            actors=_codes([a.get("code") for a in rec.get("source") or [] if isinstance(a, dict)]),
            recipients=_codes([a.get("code") for a in target if isinstance(a, dict)]) if isinstance(target, list) else frozenset(),
        ))
        ids.setdefault(text, rec.get("id") or text[:20])
    return [GoldSentence(id=ids[t], text=t, events=tuple(evs)) for t, evs in by_text.items()]


def load_labelled(path: str | Path) -> list[GoldSentence]:
    out = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{n}: invalid JSON: {exc.msg}") from None
        events = tuple(GoldEvent(
            type=PLOVER_TYPE_MAP.get(str(e.get("type", "")).upper(), str(e.get("type", "")).upper()),
            actors=_codes(e.get("actor")), recipients=_codes(e.get("recipient")),
            negated=bool(e.get("negated", False)), hypothetical=bool(e.get("hypothetical", False)),
        ) for e in rec.get("events") or [])
        out.append(GoldSentence(id=str(rec.get("id") or n), text=rec["text"], events=events,
                                published_at=rec.get("published_at"), no_event=not events))
    return out


def pred_from_event(event: Any) -> PredEvent:
    """A PredEvent from an ``Event`` (or its dict)."""
    d = event.to_dict() if hasattr(event, "to_dict") else event
    actor, rec, ctx = d.get("actor") or {}, d.get("recipient") or {}, d.get("context") or {}
    return PredEvent(type=d["type"], actor=actor.get("country"), actor_sector=actor.get("sector"),
                     recipient=rec.get("country"), recipient_sector=rec.get("sector"),
                     negated=bool(ctx.get("negated")), hypothetical=bool(ctx.get("hypothetical")),
                     historical=bool(ctx.get("historical")))


# ---------------------------------------------------------------- scoring
def _code_match(gold: frozenset[str], code: str | None, sector: str | None) -> bool | None:
    """None when the gold side cannot be scored (no code, or a pseudo-code)."""
    scorable = {g for g in gold if g not in UNSCORED_CODES}
    if not scorable:
        return None
    if code in scorable:
        return True
    if "IGO" in scorable and (sector == "IGO" or code in IGO_CODES):
        return True
    return False


def _bucket(etype: str, combined: bool) -> str:
    return COMBINED if combined and etype in {"AGREE", "CONCEDE"} else etype


def score(gold: Iterable[GoldSentence], predictions: Mapping[str, list[PredEvent]], name: str,
          types: frozenset[str] = SUPPORTED_TYPES, drop_unreal: bool = False) -> Report:
    """Per-type P/R/F1 (AGREE and CONCEDE also as one class), argument and flag accuracy, false events.

    ``drop_unreal`` ignores predicted negated, hypothetical and historical events: PLOVER codes the one
    event a sentence reports as happening (a refusal is REJECT, a conditional attack is THREATEN, a
    1988 bombing recalled in passing is background), so such a prediction is neither right nor wrong there.
    """
    rep = Report(name=name)
    for sent in gold:
        rep.sentences += 1
        preds = [p for p in predictions.get(sent.id, []) if p.type in types and not (drop_unreal and (p.negated or p.hypothetical or p.historical))]
        golds = [g for g in sent.events if g.type in types]
        if sent.no_event:
            rep.no_event[1] += 1
            if preds:
                rep.no_event[0] += 1
                rep.errors.append({"id": sent.id, "kind": "false_event", "types": sorted({p.type for p in preds})})
        for combined in (False, True):
            g_count = Counter(_bucket(g.type, combined) for g in golds)
            p_count = Counter(_bucket(p.type, combined) for p in preds)
            for t in set(g_count) | set(p_count):
                if combined and t != COMBINED:
                    continue
                s = rep.types.setdefault(t, TypeScore())
                s.tp += min(g_count[t], p_count[t])
                s.fp += max(0, p_count[t] - g_count[t])
                s.fn += max(0, g_count[t] - p_count[t])
                if not combined and g_count[t] != p_count[t]:
                    rep.errors.append({"id": sent.id, "kind": "fn" if g_count[t] > p_count[t] else "fp", "type": t})
        used: set[int] = set()
        for g in golds:
            options = [(i, p) for i, p in enumerate(preds) if p.type == g.type and i not in used]
            if not options:
                continue
            i, p = max(options, key=lambda ip: bool(_code_match(g.actors, ip[1].actor, ip[1].actor_sector)))
            used.add(i)
            for attr, gold_codes, code, sector in (("actor", g.actors, p.actor, p.actor_sector),
                                                   ("recipient", g.recipients, p.recipient, p.recipient_sector)):
                ok = _code_match(gold_codes, code, sector)
                if ok is not None:
                    getattr(rep, attr)[1] += 1
                    getattr(rep, attr)[0] += int(ok)
            for flag in ("negated", "hypothetical"):
                want = getattr(g, flag)
                if want is not None:
                    getattr(rep, flag)[1] += 1
                    getattr(rep, flag)[0] += int(want == getattr(p, flag))
    return rep


def check_targets(rep: Report, labelled: bool) -> list[tuple[str, float | None, float, bool]]:
    """(what, value, target, passed) for every target that applies to this report."""
    out = []
    for t in TARGET_TYPES:
        s = rep.types.get(t)
        f1 = s.f1 if s else None
        if f1 is None:
            continue
        out.append((f"{t} F1", f1, TARGETS["f1"], f1 >= TARGETS["f1"]))
    if labelled:
        fer = rep.ratio(rep.no_event)
        if fer is not None:
            out.append(("false-event rate", fer, TARGETS["false_event_rate"], fer <= TARGETS["false_event_rate"]))
        for flag in ("negated", "hypothetical"):
            acc = rep.ratio(getattr(rep, flag))
            if acc is not None:
                out.append((f"{flag} flag accuracy", acc, TARGETS["flag_accuracy"], acc >= TARGETS["flag_accuracy"]))
    return out
