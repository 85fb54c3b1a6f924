"""From a parsed sentence to candidate events: match, confirm, govern, fill in arguments and context.

``SentenceAnalyser.analyse`` runs the stages for one sentence: the trigger
PhraseMatcher, the sense checks (``senses.py``), the governor rules
(``governors.py``), then arguments (``arguments.py``, ``gazetteer.py``),
context flags (``context.py``), mode, date and confidence for each survivor.
"""

from __future__ import annotations

from datetime import date

from spacy.tokens import Doc, Token

from . import arguments as args
from ..models import Actor
from .candidates import Candidate, Rejection, trigger_matcher
from .context import ContextResult, assess, clause_head
from .gazetteer import PRONOUNS, Gazetteer
from .governors import FRAMING_TYPES, govern
from .lexicon import Lexicon
from .phrases import has_phrase, joined
from .preprocess import resolve_date
from .senses import NO_CONTEXT, Senses

__all__ = ["Candidate", "Rejection", "SentenceAnalyser", "trigger_matcher"]

COERCIVE = {"SANCTION", "ASSAULT", "RETREAT", "REJECT", "COERCE"}
# Types whose recipient, when the parse names none, is the country where it happens ("withdrew from Kherson").
PLACE_TARGETED = {"ASSAULT", "MOBILIZE", "RETREAT", "AID"}
TWO_SIDED = {"AGREE", "CONSULT", "CONCEDE", "RETREAT"}   # mutual acts ("Russia and Ukraine swapped prisoners")
DEMAND_MODALS = {"must", "should", "ought"}   # "should impose a curfew" asks; it does not threaten


class SentenceAnalyser:
    """Everything between a parsed sentence and its candidate events."""

    def __init__(self, lexicon: Lexicon, gazetteer: Gazetteer, nlp):
        self.lex = lexicon
        self.gaz = gazetteer
        self.by_id = {t.id: t for t in lexicon.triggers}
        self.matcher = trigger_matcher(nlp, lexicon)
        self.senses = Senses(lexicon, gazetteer)
        self.military_objects = self.senses.military_objects
        self.speech = self.senses.speech

    # ------------------------------------------------------------ matching and senses
    def analyse(self, doc: Doc, published: date | None = None, memory: dict | None = None
                ) -> tuple[list[Candidate], list[Rejection]]:
        memory = memory if memory is not None else {}
        accepted: dict[int, list[Candidate]] = {}
        rejected: list[Rejection] = []
        pending: list[tuple] = []
        for match_id, start, end in self.matcher(doc):
            trig = self.by_id[doc.vocab.strings[match_id]]
            span = doc[start:end]
            tok = span.root
            reason = self.senses.check(trig, span, tok)
            if reason and reason.startswith(NO_CONTEXT):
                pending.append((trig, span, tok, reason))
                continue
            if reason:
                rejected.append(Rejection(span.text, trig.id, reason))
                continue
            cand = Candidate(trig, trig.type, span, tok, mode=trig.mode)
            if trig.frame == "must":
                cand = self.senses.must(cand)
                if cand is None:
                    rejected.append(Rejection(span.text, trig.id, "no reported demand on another party"))
                    continue
            accepted.setdefault(cand.token.i, []).append(cand)
        # A sense that lacked context words is still right inside what a threat, demand or accusation
        # governs: "threatened to seize the port", "accused Kyiv of attacking a school".
        regions = [args.complement_region(c.span.root) for group in accepted.values() for c in group
                   if c.trigger.frame == "governor" and c.type in FRAMING_TYPES]
        for trig, span, tok, reason in pending:
            if any(span.root.i in r for r in regions):
                accepted.setdefault(tok.i, []).append(Candidate(trig, trig.type, span, tok, mode=trig.mode,
                                                                notes=["sense accepted inside a governing " + "threat/demand/accusation"]))
            else:
                rejected.append(Rejection(span.text, trig.id, reason))
        pool = sorted((c for group in accepted.values() for c in group), key=lambda c: (c.token.i, -c.trigger.priority))
        survivors = govern(pool, rejected, self.lex, self.gaz)
        best: dict[int, Candidate] = {}
        for c in survivors:   # one event per trigger word: the most specific sense wins
            prev = best.get(c.token.i)
            if prev is None or c.trigger.priority > prev.trigger.priority or (
                    c.trigger.priority == prev.trigger.priority and len(c.span) > len(prev.span)):
                if prev is not None:
                    rejected.append(Rejection(prev.span.text, prev.trigger.id, f"outranked by {c.trigger.id}"))
                best[c.token.i] = c
            else:
                rejected.append(Rejection(c.span.text, c.trigger.id, f"outranked by {prev.trigger.id}"))
        cands = sorted(best.values(), key=lambda c: c.token.i)
        for cand in cands:
            self._fill(cand, published, memory)
        commitments = []
        for cand in cands:   # "Finland will give Tanzania a grant": a commitment (AGREE) as well as the aid
            if cand.type == "AID" and cand.context.future and not (cand.context.hypothetical or cand.context.negated):
                twin = Candidate(cand.trigger, "AGREE", cand.span, cand.token, mode="aid", actor=cand.actor,
                                 recipient=cand.recipient, location=cand.location, context=cand.context,
                                 confidence=round(cand.confidence - 0.1, 3), event_date=cand.event_date,
                                 notes=["a future AID is also a commitment (AGREE)"])
                commitments.append(twin)
        return cands + commitments, rejected

    # ------------------------------------------------------------ arguments and context
    def _actor(self, tok: Token | None, memory: dict, ctx: ContextResult, avoid: str | None = None) -> Actor | None:
        """Resolve an argument; pronouns go to the nearest fitting earlier subject or entity."""
        if tok is None:
            return None
        if tok.lower_ in PRONOUNS:
            low = tok.lower_
            if low in {"we", "our", "us", "i"} and ctx.reported_head is not None and ctx.reported_head != tok.i:
                return self._actor(tok.doc[ctx.reported_head], memory, ContextResult())
            person = low in {"he", "she", "his", "her", "him"}
            before = [t for t in tok.sent if t.i < tok.i and t.lower_ not in PRONOUNS]
            pool = []
            for t in reversed(before):
                entry = self.gaz.lookup(t.text) if t.ent_type_ else None
                if person and t.ent_type_ == "PERSON" and entry is not None and (entry.code != avoid or avoid is None):
                    root_subj = t.dep_ == "nsubj" or t.head.dep_ == "ROOT" and t.i < t.head.i
                    pool.append((0 if root_subj else 1, t))
                elif not person and t.dep_ in {"nsubj", "nsubjpass"} and t.pos_ in {"NOUN", "PROPN"}:
                    actor = self.gaz.resolve(t)
                    if actor.country and actor.country != avoid:
                        pool.append((0, t))
            if pool:
                if person and low in {"he", "she"}:
                    best = min(pool, key=lambda p: (p[0], p[1].i))[1]
                else:
                    best = pool[0][1]
                return self.gaz.resolve(best)
            key = "person" if person else "group"
            base = memory.get(key)
            if base is not None and base.country != avoid:
                return Actor(text=tok.text, name=base.name, country=base.country, sector=base.sector)
            return Actor(text=tok.text)
        actor = self.gaz.resolve(tok)
        if actor.country is None:   # "its troops", "their forces": the owner's country
            owner = next((c for c in tok.children if c.dep_ == "poss" and c.lower_ in PRONOUNS), None)
            if owner is not None:
                base = self._actor(owner, memory, ctx, avoid)
                if base is not None and base.country:
                    actor = Actor(text=actor.text, name=base.name, country=base.country, sector=actor.sector)
        if actor.country and tok.ent_type_ in {"PERSON", "ORG", "GPE", "NORP"}:
            memory["person" if tok.ent_type_ == "PERSON" else "group"] = actor
        return actor

    def _fill(self, cand: Candidate, published: date | None, memory: dict) -> None:
        tok = cand.token
        lex = self.lex
        ctx = assess(cand.span.root if cand.trigger.frame != "must" else tok, lex.cues, published, self.speech,
                     own_governor=cand.governor)
        if cand.trigger.frame == "must":
            ctx.reported = False
            ctx.reported_by = None
            ctx.cues.pop("reported", None)
        cand.context = ctx
        if cand.claimed_by is not None and not ctx.reported:   # "accused Kyiv of shelling": a claim
            accuser = args.find_actor(cand.claimed_by.token, "ACCUSE", self.gaz)
            ctx.set("reported", cand.claimed_by.span.text)
            if accuser is not None:
                ctx.reported_by = self.gaz.resolve(accuser).text
        head = clause_head(cand.span.root)
        cond = next((m.lower_ for c in (*cand.span.root.children, *head.children) if c.dep_ == "advcl"
                     for m in c.children if m.dep_ == "mark" and m.lower_ in {"if", "unless"}), None)
        modal = any(c.lower_ in {"will", "would", "may", "might"} for c in head.children)
        if not ctx.negated and ((cand.type in COERCIVE and cond and (cond == "unless" or ctx.future or modal))
                                or (cand.type == "COERCE" and (ctx.future or modal or (
                                    ctx.hypothetical and ctx.cues.get("hypothetical") not in DEMAND_MODALS)))):
            # "will withdraw its force unless...", "would blockade Paris": announced coercion is a threat
            cond = cond or ctx.cues.get("future") or ctx.cues.get("hypothetical") or "will"
            cand.notes.append(f"{cand.type} announced with {cond!r} is a threat")
            cand.mode = lex.modes.get("THREATEN", {}).get("inner", {}).get(cand.type, cand.mode)
            cand.type = "THREATEN"
            ctx.hypothetical = False
            ctx.cues.pop("hypothetical", None)
        actor_tok = args.find_actor(tok, cand.type, self.gaz)
        cand.actor = self._actor(actor_tok, memory, ctx)
        if cand.trigger.frame == "must":
            subj = next(c for c in cand.governor.children if c.dep_ in {"nsubj", "nsubjpass"})
            rec_tok = subj
        else:
            rec_tok = args.find_recipient(tok, cand.type, self.gaz, self.military_objects)
        if rec_tok is None and cand.recipient_hint is not None:
            rec_tok = cand.recipient_hint
        if rec_tok is None and cand.absorbed:
            inner = cand.absorbed[0]
            rec_tok = args.find_recipient(inner.token, inner.type, self.gaz, self.military_objects) \
                or (args.find_actor(inner.token, inner.type, self.gaz) if cand.type in {"REQUEST", "THREATEN"} else None)
            if rec_tok is not None and actor_tok is not None and rec_tok.i == actor_tok.i:
                rec_tok = None
        if rec_tok is None and cand.type in {"ASSAULT", "SANCTION", "REQUEST", "THREATEN", "ACCUSE", "REJECT"}:
            rec_tok = args.fallback_recipient(tok, cand.actor.country if cand.actor else None, self.gaz)
            if rec_tok is not None:
                cand.notes.append("recipient from the clause (no direct object)")
        if rec_tok is None:
            rec_tok = args.other_party(tok, actor_tok, self.gaz, joint=cand.type in TWO_SIDED)
        if rec_tok is not None and actor_tok is not None and rec_tok.i == actor_tok.i:
            rec_tok = None   # never the actor itself
        cand.recipient = self._actor(rec_tok, memory, ctx, avoid=cand.actor.country if cand.actor else None) \
            if rec_tok is not None else None
        loc_tok = args.find_location(tok, self.gaz)
        if loc_tok is None and cand.type in {"ASSAULT", "MOBILIZE", "RETREAT"}:
            exclude = {t.i for t in (actor_tok, rec_tok) if t is not None}
            loc_tok = args.fallback_location(tok, self.gaz, exclude)
        if loc_tok is None and rec_tok is not None and cand.type == "ASSAULT":
            if any(self.gaz.lookup(t.text) and self.gaz.lookup(t.text).kind == "place" for t in rec_tok.subtree):
                loc_tok = rec_tok
        if loc_tok is not None:
            cand.location = self.gaz.place(loc_tok)
        if cand.recipient is not None and cand.recipient.country is None and rec_tok is not None:
            # "an oil refinery in Russia's Ryazan region": the target's country from its own phrase
            for t in rec_tok.subtree:
                entry = self.gaz.lookup(t.text) if t.ent_type_ else None
                if entry is not None and entry.code and entry.kind in {"state", "place", "capital", "demonym"} \
                        and (cand.actor is None or entry.code != cand.actor.country):
                    cand.recipient = Actor(text=cand.recipient.text, name=None, country=entry.code,
                                           sector=cand.recipient.sector)
                    break
        if cand.recipient is not None and cand.recipient.country is None and cand.type == "ASSAULT" and \
                cand.location is not None and cand.location.country and \
                (cand.actor is None or cand.actor.country != cand.location.country):
            cand.recipient = Actor(text=cand.recipient.text, country=cand.location.country,
                                   sector=cand.recipient.sector)
        if cand.recipient is None and cand.type in PLACE_TARGETED and cand.location and cand.location.country and \
                (cand.actor is None or cand.actor.country != cand.location.country):
            cand.recipient = Actor(text=cand.location.text, name=cand.location.name, country=cand.location.country)
        if cand.type == "MOBILIZE" and any(t.lower_.startswith(("peacekeep", "peace-keep"))
                                           for t in _moved(cand.span.root)):
            cand.notes.append("a peacekeeping deployment is aid (military protection), not a buildup")
            cand.type, cand.mode = "AID", "peacekeeping"
        if cand.mode is None:
            cand.mode = self._mode(cand)
        cand.event_date = self._date(cand, published)
        cand.confidence = self._confidence(cand)

    def _mode(self, cand: Candidate) -> str | None:
        modes = self.lex.modes.get(cand.type)
        if not modes:
            return None
        head = clause_head(cand.span.root)
        words = sorted({*cand.span.root.subtree, *cand.span, *head.children}, key=lambda t: t.i)
        low = joined(t.lower_ for t in words)
        for mode, cues in modes.items():
            if mode in {"default", "inner"}:
                continue
            if any(has_phrase(low, c) for c in cues):
                return mode
        return modes.get("default")

    def _date(self, cand: Candidate, published: date | None) -> str | None:
        if published is None:
            return None
        tok = cand.span.root
        head = clause_head(tok)
        for ent in tok.sent.ents:
            if ent.label_ == "DATE" and (ent.root.head in (tok, head) or ent.root.head.head in (tok, head)):
                value = resolve_date(ent.text, published, future=cand.context.future)
                if value:
                    return value
        return None

    @staticmethod
    def _confidence(cand: Candidate) -> float:
        c = cand.trigger.confidence
        c += 0.1 if cand.actor and cand.actor.country else (-0.1 if cand.actor is None else -0.03)
        c += 0.05 if cand.recipient and cand.recipient.country else 0.0
        c -= 0.1 if cand.context.hypothetical else 0.0
        c -= 0.05 if cand.notes and any("clause" in n for n in cand.notes) else 0.0
        return round(min(0.97, max(0.05, c)), 3)


def _moved(root: Token) -> list[Token]:
    """The trigger and what it moves: its object, passive subject, modifiers and "of" phrase
    ("deployed peacekeepers", "peacekeepers were deployed", "a peacekeeping deployment")."""
    toks = [root]
    for c in root.children:
        if c.dep_ in {"dobj", "obj", "nsubjpass", "attr", "compound", "amod"} or (c.dep_ == "prep" and c.lower_ == "of"):
            toks.extend(c.subtree)
    return toks
