"""Confirm trigger senses on the parsed sentence and build candidate events.

The prefilter only saw surface words. Here each matched term must pass its
lexicon conditions on the parse: part of speech, required context words near
the trigger ("strike" needs a military sense), words that rule the sense out
("heart attack", "labour strike"), required objects ("deployed troops", not
"deployed software"), and the verb a noun hangs from ("used a missile").
Governors ("urged", "threatened", "agreed to") absorb the event they govern:
"threatened to shell" is one THREATEN event, not an ASSAULT as well.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span, Token

from . import arguments as args
from .context import ContextResult, assess, clause_head
from .gazetteer import PRONOUNS, Gazetteer
from .lexicon import Lexicon, Trigger
from .preprocess import resolve_date
from ..models import Actor, Place

__all__ = ["Candidate", "Rejection", "SentenceAnalyser", "trigger_matcher"]

# A noun event inside "after/following/since ..." is background to the sentence's news, not news itself.
NO_CONTEXT = "needs context:"
CEASE = {"end", "halt", "stop", "cease", "suspend", "pause", "cessation", "suspension", "freeze", "ending", "lift"}
FRAMING_TYPES = {"THREATEN", "REQUEST", "ACCUSE", "REJECT"}
COERCIVE = {"SANCTION", "ASSAULT", "RETREAT", "REJECT", "COERCE"}
BACKGROUND_PREPS = {"after", "following", "since", "before", "amid", "during"}


@dataclass
class Candidate:
    trigger: Trigger
    type: str
    span: Span
    token: Token
    mode: str | None = None
    actor: Actor | None = None
    recipient: Actor | None = None
    location: Place | None = None
    context: ContextResult = field(default_factory=ContextResult)
    confidence: float = 0.5
    event_date: str | None = None
    notes: list[str] = field(default_factory=list)
    absorbed: list["Candidate"] = field(default_factory=list)
    governor: Token | None = None
    recipient_hint: Token | None = None
    claimed_by: "Candidate | None" = None

    @property
    def lemma(self) -> str:
        return " ".join(t.lemma_.lower() for t in self.span)


@dataclass(frozen=True)
class Rejection:
    text: str
    trigger_id: str
    reason: str


class SentenceAnalyser:
    """Everything between a parsed sentence and its candidate events."""

    def __init__(self, lexicon: Lexicon, gazetteer: Gazetteer, nlp):
        self.lex = lexicon
        self.gaz = gazetteer
        self.by_id = {t.id: t for t in lexicon.triggers}
        self.matcher = trigger_matcher(nlp, lexicon)
        self.words = {t.id: {k: lexicon.sense_words(getattr(t, k)) for k in ("need", "need_object", "forbid", "forbid_object")}
                      for t in lexicon.triggers}
        self.military_objects = lexicon.senses.get("military_objects", frozenset())
        self.speech = frozenset(lexicon.cues["reported"].get("verbs", ()))

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
            reason = self._check(trig, span, tok)
            if reason and reason.startswith(NO_CONTEXT):
                pending.append((trig, span, tok, reason))
                continue
            if reason:
                rejected.append(Rejection(span.text, trig.id, reason))
                continue
            cand = Candidate(trig, trig.type, span, tok, mode=trig.mode)
            if trig.frame == "must":
                cand = self._must(cand)
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
        survivors = self._govern(pool, rejected)
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
        return cands, rejected

    def _near(self, tok: Token) -> list[Token]:
        head = clause_head(tok)
        base = set(tok.subtree) | {head} | set(head.children)
        for c in head.children:
            if c.dep_ in {"nsubj", "nsubjpass", "dobj", "prep", "agent", "attr", "advmod", "npadvmod"}:
                base.update(c.subtree)
        lo, hi = tok.i - 10, tok.i + 10
        return [t for t in base if lo <= t.i <= hi]

    def _objects(self, tok: Token) -> list[Token]:
        """Tokens that can be the trigger's object or complement (not its subject, not coordinated clauses)."""
        region = {tok}
        skip = {"nsubj", "csubj", "conj", "cc", "advcl", "parataxis", "punct", "mark", "relcl"}
        for c in tok.children:
            if c.dep_ not in skip:
                region |= set(c.subtree)
        region.discard(tok)
        head = clause_head(tok)
        for c in head.children:
            if c.dep_ == "nsubjpass":
                region |= set(c.subtree)
        if tok.pos_ in {"NOUN", "PROPN"} and head.i != tok.i:
            for c in head.children:   # "supported Trump's proposal | for a ceasefire": PP attached to the verb
                if c.dep_ == "prep" and c.i > tok.i:
                    region |= set(c.subtree)
        if tok.dep_ in {"acl", "amod", "compound"}:
            region |= {tok.head, *(c for c in tok.head.children if c.dep_ in {"compound", "amod"})}
        if tok.dep_ == "relcl":
            cur = tok.head
            region |= {cur, *(c for c in cur.children if c.dep_ in {"compound", "amod"})}
            for _ in range(3):   # "a proposal for a ceasefire in Ukraine, which X backed" (misattached)
                if cur.dep_ == "pobj" and cur.head.dep_ == "prep":
                    cur = cur.head.head
                    region |= {t for t in cur.subtree if t not in set(tok.subtree)}
        return sorted(region, key=lambda t: t.i)

    @staticmethod
    def _has(tokens: list[Token], words: frozenset[str], nominal: bool = False) -> str | None:
        """The first word of ``words`` among ``tokens`` (``nominal``: single words only as nouns/adjectives)."""
        tokens = sorted(tokens, key=lambda t: t.i)
        low = [t.lower_ for t in tokens]
        for t in tokens:
            if nominal and t.pos_ in {"VERB", "AUX"}:
                continue
            if t.lower_ in words or t.lemma_.lower() in words:
                return t.text
        joined = " " + " ".join(low) + " "
        for w in words:
            if " " in w and f" {w} " in joined:
                return w
        return None

    def _actorish(self, tok: Token) -> bool:
        """A known state, leader, force or IGO in the subject, agent or possessor slot of the trigger."""
        found = args.find_actor(tok, "", self.gaz)
        if found is not None and found.lower_ in PRONOUNS:   # "Japan said it had halted aid"
            found = next((t for t in reversed(list(tok.sent)) if t.i < found.i and t.dep_ == "nsubj"
                          and t.ent_type_), None)
        if found is not None and found.ent_type_:
            entry = self.gaz.lookup(found.text)
            if entry is not None and entry.kind in {"state", "capital", "demonym", "actor"}:
                return True
            if self.gaz.resolve(found).country:
                return True
        head = clause_head(tok)
        region: set = set()
        for node in {tok, head, args.governing_verb(tok) or head}:
            for c in node.children:
                if c.dep_ in {"nsubj", "nsubjpass", "agent", "poss", "compound", "amod", "nmod"} or (
                        c.dep_ == "prep" and c.lower_ in {"by", "between", "from"}):
                    region.update(c.subtree)
        if tok.dep_ in {"relcl", "acl"}:
            region.update(tok.head.subtree)
        idx = {t.i for t in region}
        for ent in tok.doc.ents:
            if ent.start in idx or ent.end - 1 in idx:
                entry = self.gaz.entry_for_ent(ent)
                if entry is not None and entry.kind in {"state", "capital", "demonym", "actor"}:
                    return True
        return False

    def _check(self, trig: Trigger, span: Span, tok: Token) -> str | None:
        """None if the sense is confirmed, else why not."""
        w = self.words[trig.id]
        if trig.pos and tok.pos_ not in trig.pos:
            return f"part of speech {tok.pos_} not in {'/'.join(trig.pos)}"
        if tok.dep_ in {"compound", "amod"} and tok.head.pos_ in {"NOUN", "PROPN"} and len(span) == 1:
            return f"modifies {tok.head.text!r} (a kind of thing, not an event)"
        if tok.dep_ == "acl" and tok.tag_ == "VBN" and not any(c.dep_ in {"nsubj", "nsubjpass", "aux", "auxpass"}
                                                                for c in tok.children):
            return f"describes {tok.head.text!r} (background, e.g. 'the accord signed in 2001')"
        ceasing = args.governing_verb(tok) if tok.pos_ in {"NOUN", "PROPN"} else (
            tok.head if tok.dep_ in {"xcomp", "pcomp"} else None)
        if tok.pos_ in {"NOUN", "PROPN"} and tok.dep_ == "pobj" and tok.head.lower_ == "of":
            ceasing = tok.head.head if tok.head.head.lemma_.lower() in CEASE else ceasing
        if ceasing is not None and ceasing.lemma_.lower() in CEASE and trig.type in {"ASSAULT", "MOBILIZE", "SANCTION"}:
            return f"what {ceasing.text!r} stops, not an event itself"
        if tok.pos_ in {"NOUN", "PROPN"}:
            p = tok.head if tok.dep_ == "pobj" else (tok.head.head if tok.head.dep_ == "pobj" and tok.dep_ == "prep" else None)
            if tok.dep_ == "pobj" and tok.head.lower_ == "of" and tok.head.head.dep_ == "pobj":
                p = tok.head.head.head   # "after 12 days of battles"
            if p is not None and p.lower_ in BACKGROUND_PREPS:
                return f"background mention ({p.text!r} ...)"
        near = self._near(tok)
        bad = self._has(near, w["forbid"], nominal=True)
        if bad:
            return f"forbidden context word {bad!r}"
        objs = self._objects(tok)
        bad = self._has(objs, w["forbid_object"])
        if bad:
            return f"forbidden object word {bad!r}"
        verb = args.governing_verb(tok) if tok.pos_ in {"NOUN", "PROPN"} else None
        if trig.forbid_head:
            gov = [verb] if verb is not None else []
            if tok.pos_ == "VERB" and tok.dep_ in {"xcomp", "ccomp", "conj"}:
                gov.append(tok.head)
            if tok.dep_ in {"compound", "amod"}:
                gov.append(tok.head)
            for g in gov:
                if g.lemma_.lower() in trig.forbid_head or g.lower_ in trig.forbid_head:
                    return f"governed by {g.text!r}"
        if trig.head_verbs and tok.pos_ in {"NOUN", "PROPN"} and not any(
                c.dep_ == "prep" and c.lower_ in {"on", "against"} for c in tok.children):   # "Sanctions on Russia"
            if tok.dep_ in {"nsubj", "nsubjpass"} and tok.head.pos_ in {"VERB", "AUX"}:
                verb = tok.head
            if verb is None or verb.lemma_.lower() not in trig.head_verbs:
                return f"needs a verb like {'/'.join(trig.head_verbs[:4])} (got {verb.text if verb is not None else 'none'})"
        if w["need"]:
            plain = w["need"] - {"@actor", "@place"}
            ok = bool(self._has(near, frozenset(plain)))
            if not ok and "@actor" in trig.need:
                ok = self._actorish(tok)
            if not ok and "@place" in trig.need:
                ok = any(e.label_ in {"GPE", "LOC", "FAC"} for e in span.doc.ents)
            if not ok:
                return f"{NO_CONTEXT} {'/'.join(trig.need)} context near the trigger"
        if w["need_object"]:
            plain = w["need_object"] - {"@actor", "@place"}
            ok = bool(self._has(objs, frozenset(plain)))
            if not ok and "@place" in trig.need_object:
                ok = any(t.ent_type_ in {"GPE", "LOC", "FAC"} for t in objs)
            if not ok:
                return f"object lacks {'/'.join(trig.need_object)}"
        if trig.forbid_complement:
            for c in tok.children:
                if c.dep_ in {"ccomp", "xcomp", "prep", "advcl", "prt"}:
                    marks = [g.lower_ for g in c.children if g.dep_ in {"mark", "advmod"}] + [c.lower_]
                    if any(m in trig.forbid_complement for m in marks):
                        return f"complement introduced by {marks[0]!r}"
        if trig.need_complement == "clause":   # "told X to ...", not "..., officials told AFP"
            if not any(c.dep_ in {"xcomp", "ccomp"} and c.i > tok.i for c in tok.children):
                return "no clause saying what to do"
        if trig.type == "REQUEST" and any(c.dep_ == "dobj" and (c.lemma_.lower() in self.military_objects or
                                                                c.lower_ in self.military_objects) for c in tok.children):
            return "an order to (own) forces, not a request to another party"
        if trig.need_complement in {"any", "modal"}:
            comps = [c for c in tok.children if c.dep_ in {"xcomp", "ccomp", "dobj", "prep", "dative", "advcl", "pobj"}]
            if tok.dep_ in {"relcl", "acl"} or tok.pos_ == "NOUN":
                comps = comps or [tok]
            if not comps:
                return "no complement (urged/asked what?)"
            if trig.need_complement == "modal":
                modal = any(t.lower_ in {"will", "would", "could", "may", "might", "'ll", "shall"} for c in comps for t in c.subtree)
                if not modal:
                    return "a warning with no threatened consequence"
        return None

    def _must(self, cand: Candidate) -> Candidate | None:
        """"X said Y must do Z": a demand by X on Y."""
        verb = cand.token.head
        subj = next((c for c in verb.children if c.dep_ in {"nsubj", "nsubjpass"}), None)
        if subj is None or subj.lower_ in {"i", "we", "you", "it", "there", "this", "that"}:
            return None
        if verb.lemma_ == "be" and any(c.lower_ in {"able", "aware", "clear", "true"} for c in verb.children):
            return None
        if any(c.dep_ == "neg" for c in verb.children):
            return None
        cur, speaker = verb, None
        for _ in range(3):
            if cur.head.i == cur.i:
                break
            if cur.dep_ in {"ccomp", "conj", "parataxis"} and cur.head.lemma_.lower() in self.speech | {
                    "declare", "reiterate", "remind", "conclude", "insist", "stress"}:
                speaker = cur.head
                break
            cur = cur.head
        if speaker is None:
            return None
        cand.token = speaker
        cand.notes.append(f"demand reported by {speaker.text!r} on {subj.text!r}")
        cand.governor = verb
        return cand

    # ------------------------------------------------------------ governors
    def _govern(self, cands: list[Candidate], rejected: list[Rejection]) -> list[Candidate]:
        drop: set[int] = set()
        for gov in cands:
            if gov.trigger.frame not in {"governor", "must"} or id(gov) in drop:
                continue
            root = gov.governor if gov.trigger.frame == "must" else gov.span.root
            region = args.complement_region(root)
            if gov.trigger.frame == "must":
                region = {t.i for t in root.subtree} - {root.i}
                subj = next((c for c in root.children if c.dep_ in {"nsubj", "nsubjpass"}), None)
                if subj is not None:
                    region -= {t.i for t in subj.subtree}
            inner = [c for c in cands if c.token.i != gov.token.i and c.span.root.i in region and id(c) not in drop
                     and c.trigger.frame != "must" and not _under_condition(c.span.root, root)]
            if not inner:
                if gov.trigger.need_complement == "inner":
                    drop.add(id(gov))
                    rejected.append(Rejection(gov.span.text, gov.trigger.id, "governs no event"))
                continue
            first = min(inner, key=lambda c: _distance(c.span.root, root))
            if gov.trigger.inner_map.get(first.type) == first.type:
                drop.add(id(gov))
                first.notes.append(f"{gov.span.text!r} ({gov.type}) yields to this {first.type}")
                rejected.append(Rejection(gov.span.text, gov.trigger.id, f"yields to the {first.type} it governs"))
                continue
            gov.absorbed = inner   # governed events stay: the context flags mark them (hypothetical, negated)
            if gov.type == "ACCUSE":
                for c in inner:
                    c.claimed_by = gov
            new_type = gov.trigger.inner_map.get(first.type)
            if new_type:
                gov.notes.append(f"governed {first.type} turns {gov.type} into {new_type}")
                gov.type = new_type
            if gov.type == "THREATEN" and not gov.mode:
                gov.mode = self.lex.modes.get("THREATEN", {}).get("inner", {}).get(first.type)
            if gov.type == first.type and not gov.mode:
                gov.mode = first.mode
        for a in cands:   # "staged rallies to demand reforms": the demand is the rally's purpose
            for b in cands:
                if b.type == "REQUEST" and a is not b and a.type != "REQUEST" and id(a) not in drop \
                        and b.token.dep_ in {"advcl", "xcomp", "acl"} and b.token.head.i in (a.token.i, a.span.root.i):
                    drop.add(id(b))
                    rejected.append(Rejection(b.span.text, b.trigger.id, f"purpose of {a.span.text!r} ({a.type})"))
        for a in cands:   # "struck Kyiv, killing three": the participle tells the same event
            for b in cands:
                if a is not b and a.type == b.type and id(a) not in drop and id(b) not in drop \
                        and b.token.dep_ in {"advcl", "acl", "xcomp"} and b.token.tag_ == "VBG" \
                        and b.token.head.i == a.token.i:
                    drop.add(id(b))
                    rejected.append(Rejection(b.span.text, b.trigger.id, f"same event as {a.span.text!r}"))
        for a in cands:   # "endorsed the truce proposal": one AGREE, not two
            for b in cands:
                if a is not b and a.type == b.type and id(a) not in drop and id(b) not in drop \
                        and b.token.pos_ in {"NOUN", "PROPN"} and _distance(b.token, a.token) <= 4:
                    owner = next((c for c in b.token.children if c.dep_ in {"poss", "compound", "amod"}
                                  and args.is_entity(c, self.gaz)), None)
                    if owner is not None and a.recipient_hint is None:
                        a.recipient_hint = owner   # "accepted the U.S. proposal": the U.S. is the other party
                    drop.add(id(b))
                    rejected.append(Rejection(b.span.text, b.trigger.id, f"same event as {a.span.text!r}"))
        return [c for c in cands if id(c) not in drop]

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
        if cand.type in COERCIVE and not ctx.negated and cond and (cond == "unless" or ctx.future or any(
                c.lower_ in {"will", "would", "may", "might"} for c in head.children)):
            cand.notes.append(f"{cand.type} on condition ({cond!r}) is a threat")
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
        if cand.recipient is None and cand.type == "ASSAULT" and cand.location and cand.location.country and \
                (cand.actor is None or cand.actor.country != cand.location.country):
            cand.recipient = Actor(text=cand.location.text, name=cand.location.name, country=cand.location.country)
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
        low = " " + " ".join(t.lower_ for t in words) + " "
        for mode, cues in modes.items():
            if mode in {"default", "inner"}:
                continue
            if any(f" {c} " in low for c in cues):
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


def _distance(tok: Token, ancestor: Token) -> int:
    """Steps up from ``tok`` to ``ancestor``; 99 when it is not an ancestor."""
    n, cur = 0, tok
    while cur.i != ancestor.i and cur.head.i != cur.i and n < 20:
        cur, n = cur.head, n + 1
    return n if cur.i == ancestor.i else 99


def _under_condition(tok: Token, ancestor: Token) -> bool:
    """True if ``tok`` sits in an if/unless/because clause below ``ancestor`` ("help defend X if it is attacked")."""
    cur = tok
    while cur.i != ancestor.i and cur.head.i != cur.i:
        if cur.dep_ == "advcl" and any(c.dep_ == "mark" for c in cur.children):
            return True
        cur = cur.head
    return False


def trigger_matcher(nlp, lexicon: Lexicon) -> PhraseMatcher:
    """One PhraseMatcher over every trigger term, case-insensitive, keyed by trigger id.

    Terms are tokenized by the pipeline's own tokenizer so "build-up" or
    "U.S." split the same way in the pattern and in the text.
    """
    matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
    for trig in lexicon.triggers:
        matcher.add(trig.id, [nlp.make_doc(term) for term in trig.terms])
    return matcher
