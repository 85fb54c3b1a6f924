"""How a sentence states an event: negated, hypothetical, future, reported, historical.

Flags come from the dependency path between the trigger and the sentence
root, so "denied that troops attacked" negates the attack while "not only
attacked" near an unrelated "not" does not. Each flag keeps the cue word that
set it, for ``sitrep explain``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from spacy.tokens import Token

from .phrases import has_phrase, joined

__all__ = ["ContextResult", "assess", "clause_head", "path_up"]

_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)s?\b")
_QUOTE_OPEN = {"\u201c", '"', "\u2018"}


@dataclass
class ContextResult:
    negated: bool = False
    hypothetical: bool = False
    future: bool = False
    reported: bool = False
    reported_by: str | None = None
    reported_head: int | None = None   # token index of the speaker's head, for actor resolution
    historical: bool = False
    cues: dict[str, str] = field(default_factory=dict)

    def set(self, flag: str, cue: str) -> None:
        if not getattr(self, flag):
            setattr(self, flag, True)
            self.cues[flag] = cue


def clause_head(tok: Token) -> Token:
    """The verb whose clause holds ``tok`` (itself if it is a verb)."""
    cur = tok
    for _ in range(4):
        if cur.pos_ in {"VERB", "AUX"} or cur.dep_ == "ROOT":
            return cur
        if cur.head.i == cur.i:
            return cur
        cur = cur.head
    return tok


def path_up(tok: Token, limit: int = 8) -> list[Token]:
    out = []
    cur = tok
    while cur.head.i != cur.i and len(out) < limit:
        cur = cur.head
        out.append(cur)
    return out


def _phrase_in(words: list[str] | str, phrase) -> bool:
    """Whether the phrase occurs as whole words; ``words`` may be pre-joined by ``joined``."""
    text = words if isinstance(words, str) else joined(words)
    return has_phrase(text, phrase if isinstance(phrase, str) else " ".join(phrase))


def _lemma(t: Token) -> str:
    return t.lemma_.lower()


def assess(tok: Token, cues: dict, published: date | None, speech_verbs: frozenset[str],
           own_governor: Token | None = None) -> ContextResult:
    """Context flags for the event whose trigger head is ``tok``.

    ``own_governor`` is a trigger that governs this one (e.g. "threatened"):
    a governor cue on it belongs to the event type, not to a context flag.
    """
    res = ContextResult()
    head = clause_head(tok)
    ups = path_up(tok)
    sent = tok.sent
    words = [t.lower_ for t in sent]
    words_text = joined(words)
    near = {tok, head, *tok.children, *head.children}
    neg, hyp, fut, rep, hist = (cues.get(k, {}) for k in ("negated", "hypothetical", "future", "reported", "historical"))

    # --- negation: a "not" on the trigger or its verb, "no" on a noun trigger, or a denying governor
    for t in sorted(near, key=lambda x: x.i):
        if t.dep_ == "neg" or (t.dep_ == "det" and t.lower_ == "no" and t.head.i == tok.i):
            res.set("negated", t.text)
        elif t.lower_ == "never" and t.head in (tok, head):
            res.set("negated", t.text)
    if tok.dep_ == "pobj" and tok.head.lower_ == "without":
        res.set("negated", "without")
    if head.dep_ in {"pcomp", "pobj"} and head.head.lower_ == "without":
        res.set("negated", "without")
    for g in ups[:5]:
        if own_governor is not None and g.i == own_governor.i:
            continue
        if _lemma(g) in neg.get("governors", ()) or g.lower_ in neg.get("governors", ()):
            res.set("negated", g.text)
        if g.pos_ in {"VERB", "AUX"} and g.dep_ == "ROOT":
            break
    for p in neg.get("phrases", ()):
        if " " in p and _phrase_in(words[max(0, tok.i - sent.start - 6): tok.i - sent.start + 1], p):
            res.set("negated", p)

    # --- hypothetical: if/unless clauses, modals, "potential", governors such as "threaten", "in principle"
    for node in [tok, head, *ups[:4]]:
        for child in node.children:
            if child.dep_ == "mark" and child.lower_ in hyp.get("marks", ()):
                res.set("hypothetical", child.text)
        if node.pos_ in {"VERB", "AUX"} and node.dep_ == "ROOT":
            break
    for t in [*tok.children, *head.children]:
        if t.dep_ in {"aux", "amod", "advmod"} and t.lower_ in hyp.get("words", ()):
            res.set("hypothetical", t.text)
    for g in ups[:3]:
        if (own_governor is not None and g.i == own_governor.i) or _lemma(g) in speech_verbs:
            break
        if g.lower_ in hyp.get("words", ()) and g.pos_ in {"ADJ", "AUX"}:
            res.set("hypothetical", g.text)
        for c in g.children:
            if c.dep_ == "aux" and c.lower_ in hyp.get("words", ()):
                res.set("hypothetical", c.text)
        if g.dep_ == "ROOT":
            break
    for g in ups[:3]:
        if own_governor is not None and g.i == own_governor.i:
            continue
        if _lemma(g) in hyp.get("governors", ()) and g.i != tok.i:
            res.set("hypothetical", g.text)
            break
        if g.dep_ not in {"xcomp", "ccomp", "dobj", "pobj", "prep", "acl", "advcl", "pcomp", "relcl", "conj", "compound"}:
            break
    clause_words = [t.lower_ for t in sorted({*head.subtree}, key=lambda x: x.i)]
    clause_text = joined(clause_words)
    for p in hyp.get("phrases", ()):
        if _phrase_in(clause_text, p):
            res.set("hypothetical", p)

    # --- future
    for t in [*tok.children, *head.children]:
        if t.dep_ == "aux" and t.lower_ in fut.get("words", ()):
            res.set("future", t.text)
    for g in ups[:3]:
        if _lemma(g) in fut.get("governors", ()) and tok in g.subtree and g.i < tok.i:
            res.set("future", g.text)
            break
    for p in fut.get("phrases", ()):
        if _phrase_in(clause_text, p):
            res.set("future", p)
    for ent in sent.ents:
        if ent.label_ == "DATE" and ent.root.head in (tok, head) and any(
                w in ent.text.lower() for w in ("next", "tomorrow", "coming")):
            res.set("future", ent.text)

    # --- reported: inside the complement of a speech verb, or "according to X"
    prev = tok
    for g in ups:
        if g.pos_ in {"VERB", "AUX"} and _lemma(g) in speech_verbs and prev.dep_ in {"ccomp", "xcomp", "parataxis", "advcl", "conj"} \
                and (own_governor is None or g.i != own_governor.i):
            subj = next((c for c in g.children if c.dep_ in {"nsubj", "nsubjpass"}), None)
            res.set("reported", g.text)
            if subj is not None:
                res.reported_by = sent.doc[min(t.i for t in subj.subtree): max(t.i for t in subj.subtree) + 1].text
                res.reported_head = subj.i
            break
        prev = g
    if not res.reported:
        for t in sent:
            if t.lower_ == "according" and t.i + 1 < sent.end and sent.doc[t.i + 1].lower_ == "to":
                obj = next((c for c in sent.doc[t.i + 1].children if c.dep_ == "pobj"), None)
                res.set("reported", "according to")
                if obj is not None:
                    res.reported_by = sent.doc[min(x.i for x in obj.subtree): max(x.i for x in obj.subtree) + 1].text
                    res.reported_head = obj.i
                break
    if not res.reported:
        for p in rep.get("phrases", ()):
            if _phrase_in(words_text, p):
                res.set("reported", p)

    # --- historical: an explicit earlier year on the event, "years ago"
    for ent in sent.ents:
        if ent.label_ != "DATE":
            continue
        attached = ent.root.head in (tok, head) or ent.root.head.head in (tok, head) or any(t.head.i == tok.i for t in ent)
        m = _YEAR.search(ent.text)
        if attached and m:
            year = int(m.group(1))
            ref = published.year if published else None
            if ref is not None and year < ref or ref is None and "ago" not in ent.text and year < 2000:
                res.set("historical", ent.text)
        if attached and re.search(r"\bago\b", ent.text.lower()):
            res.set("historical", ent.text)
    local = {tok, head}
    for node in (tok, head):   # the event's own adjuncts, not clauses embedded under it
        for c in node.children:
            if c.dep_ in {"prep", "npadvmod", "advmod", "nummod", "amod", "compound", "pobj"}:
                local.update(c.subtree)
    local_text = joined([t.lower_ for t in sorted(local, key=lambda x: x.i)])
    for p in hist.get("phrases", ()):
        if _phrase_in(local_text, p):
            res.set("historical", p)
    for c in tok.children:
        if c.dep_ in {"nummod", "compound", "amod"} and _YEAR.fullmatch(c.text):
            if published is None or int(c.text[:4]) < published.year:
                res.set("historical", c.text)
    return res
