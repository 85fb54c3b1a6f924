"""Confirm a trigger's sense on the parsed sentence.

The prefilter only saw surface words. Here each matched term must pass its
lexicon conditions on the parse: part of speech, context words near the
trigger ("strike" needs a military sense), words that rule the sense out
("heart attack", "labour strike"), required objects ("deployed troops", not
"deployed software"), the verb a noun hangs from ("used a missile"), and a
few general rules: a noun that only modifies another ("strike capabilities"),
a background mention ("after 12 days of battles") or the object of a ceasing
act ("halt attacks") is not an event of its own.
"""

from __future__ import annotations

import functools

from spacy.tokens import Span, Token

from . import arguments as args
from .candidates import Candidate
from .context import clause_head
from .gazetteer import PRONOUNS, Gazetteer, ent_span
from .lexicon import Lexicon, Trigger
from .phrases import has_phrase, joined

__all__ = ["Senses", "NO_CONTEXT"]

NO_CONTEXT = "needs context:"
CEASE = {"end", "halt", "stop", "cease", "suspend", "pause", "cessation", "suspension", "freeze", "ending", "lift"}
# A noun event inside "after/following/since ..." is background to the sentence's news, not news itself.
# Prepositions of circumstance, not of the object: "halted aid | in line with efforts to end the fighting".
ADJUNCT_PREPS = {"after", "because", "as", "despite", "since", "amid", "during", "following", "before", "until",
                 "under", "like", "unlike", "besides", "beyond", "line", "response", "ahead", "due", "given",
                 "according", "retaliation", "protest", "support", "solidarity", "addition", "exchange", "view"}
BACKGROUND_PREPS = {"after", "following", "since", "before", "amid", "during"}


class Senses:
    """Sense checks over one lexicon; ``check`` returns None when confirmed, else the reason."""

    def __init__(self, lexicon: Lexicon, gazetteer: Gazetteer):
        self.gaz = gazetteer
        self.words = {t.id: {k: lexicon.sense_words(getattr(t, k)) for k in ("need", "need_object", "forbid", "forbid_object")}
                      for t in lexicon.triggers}
        self.military_objects = lexicon.senses.get("military_objects", frozenset())
        self.speech = frozenset(lexicon.cues["reported"].get("verbs", ()))

    def near(self, tok: Token) -> list[Token]:
        head = clause_head(tok)
        base = set(tok.subtree) | {head} | set(head.children)
        for c in head.children:
            if c.dep_ in {"nsubj", "nsubjpass", "dobj", "prep", "agent", "attr", "advmod", "npadvmod"}:
                base.update(c.subtree)
        lo, hi = tok.i - 10, tok.i + 10
        return [t for t in base if lo <= t.i <= hi]

    def objects(self, tok: Token) -> list[Token]:
        """Tokens that can be the trigger's object or complement (not its subject, not coordinated clauses)."""
        region = {tok}
        skip = {"nsubj", "csubj", "conj", "cc", "advcl", "parataxis", "punct", "mark", "relcl", "npadvmod", "advmod"}
        for c in tok.children:
            if c.dep_ not in skip and not (c.dep_ == "prep" and (c.lower_ in ADJUNCT_PREPS or any(
                    g.dep_ == "pobj" and g.lower_ in ADJUNCT_PREPS for g in c.children))):
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
            own = set(tok.subtree)
            for _ in range(3):   # "a proposal for a ceasefire in Ukraine, which X backed" (misattached)
                if cur.dep_ == "pobj" and cur.head.dep_ == "prep":
                    cur = cur.head.head
                    region |= {t for t in cur.subtree if t not in own}
        return sorted(region, key=lambda t: t.i)

    @staticmethod
    def has(tokens: list[Token], words: frozenset[str], nominal: bool = False) -> str | None:
        """The first word of ``words`` among ``tokens`` (``nominal``: single words only as nouns/adjectives)."""
        tokens = sorted(tokens, key=lambda t: t.i)
        low = [t.lower_ for t in tokens]
        for t in tokens:
            if nominal and t.pos_ in {"VERB", "AUX"}:
                continue
            if t.lower_ in words or t.lemma_.lower() in words:
                return t.text
        phrases = _phrases(words)
        if phrases:
            text = joined(low)
            for w in phrases:
                if has_phrase(text, w):
                    return w
        return None

    def actorish(self, tok: Token) -> bool:
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
        seen: set[int] = set()
        for t in region:
            ent = ent_span(t)
            if ent is None or ent.start in seen:
                continue
            seen.add(ent.start)
            entry = self.gaz.entry_for_ent(ent)
            if entry is not None and entry.kind in {"state", "capital", "demonym", "actor"}:
                return True
        return False

    def check(self, trig: Trigger, span: Span, tok: Token) -> str | None:
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
        near = self.near(tok)
        bad = self.has(near, w["forbid"], nominal=True)
        if bad:
            return f"forbidden context word {bad!r}"
        objs = self.objects(tok)
        bad = self.has(objs, w["forbid_object"])
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
        if trig.head_verbs and tok.pos_ in {"NOUN", "PROPN"} and not any(   # headline "Sanctions on Russia"
                c.dep_ == "prep" and c.lower_ in {"on", "against"} and any(
                    g.dep_ == "pobj" and args.is_entity(g, self.gaz) for g in c.children) for c in tok.children):
            if tok.dep_ in {"nsubj", "nsubjpass"} and tok.head.pos_ in {"VERB", "AUX"}:
                verb = tok.head
            if verb is None or verb.lemma_.lower() not in trig.head_verbs:
                return f"needs a verb like {'/'.join(trig.head_verbs[:4])} (got {verb.text if verb is not None else 'none'})"
        if w["need"]:
            plain = w["need"] - {"@actor", "@place"}
            ok = bool(self.has(near, frozenset(plain)))
            if not ok and "@actor" in trig.need:
                ok = self.actorish(tok)
            if not ok and "@place" in trig.need:
                ok = any(t.ent_type_ in {"GPE", "LOC", "FAC"} for t in span.sent)
            if not ok:
                return f"{NO_CONTEXT} {'/'.join(trig.need)} context near the trigger"
        if w["need_object"]:
            plain = w["need_object"] - {"@actor", "@place"}
            ok = bool(self.has(objs, frozenset(plain)))
            if not ok and "@place" in trig.need_object:
                ok = any(t.ent_type_ in {"GPE", "LOC", "FAC"} for t in objs)
            if not ok:
                return f"object lacks {'/'.join(trig.need_object)}"
        if trig.forbid_complement:
            for c in tok.children:
                if c.dep_ in {"ccomp", "xcomp", "prep", "advcl", "prt"}:
                    marks = [g.lower_ for g in c.children if g.dep_ in {"mark", "advmod"}] + [c.lower_]
                    course = any(g.dep_ == "aux" and g.lower_ in {"should", "would", "will", "must", "shall"}
                                 for g in c.children)   # "agreed that they should cooperate": a course of action
                    if any(m in trig.forbid_complement for m in marks) and not course:
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

    def must(self, cand: Candidate) -> Candidate | None:
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


@functools.lru_cache(maxsize=256)
def _phrases(words: frozenset[str]) -> tuple[str, ...]:
    """The multi-word and hyphenated entries of a word class (the classes are few and fixed)."""
    return tuple(sorted(w for w in words if " " in w or "-" in w))
