"""Names -> codes: EntityRuler patterns from the gazetteer, and actor/place resolution.

The sm model misreads war news (Zelenskyy as ORG, Kursk as PRODUCT, Sumy as
PERSON). An EntityRuler placed before the NER component claims the gazetteer
names first, so NER keeps them, and every ruler entity carries its gazetteer
key in ``ent_id_`` so resolving it to a code is a dictionary look-up.
"""

from __future__ import annotations

import re
from typing import Iterable

from spacy.tokens import Span, Token

from ..models import Actor, Place
from .lexicon import GazEntry, Lexicon

__all__ = ["Gazetteer", "ent_span", "PRONOUNS"]

_KIND_RANK = {"place": 0, "demonym": 1, "capital": 2, "state": 3, "actor": 4}
_STRIP = re.compile(r"^(?:the|The)\s+|(?:'s|\u2019s|'|\u2019)$")
_PHRASE_DEPS = {"compound", "amod", "poss", "nmod", "det", "case", "nummod", "quantmod", "punct", "prep", "pobj", "cc", "conj"}
RELATIONAL = {"allies", "ally", "partners", "partner", "neighbours", "neighbors", "neighbour", "neighbor", "enemies",
              "enemy", "critics", "opponents", "rivals", "adversaries", "foes", "backers", "supporters", "friends"}
PRONOUNS = {"he", "she", "they", "it", "we", "i", "his", "her", "their", "its", "our", "him", "them", "us", "who",
            "which", "that"}


def ent_span(tok: Token) -> Span | None:
    """The entity ``tok`` belongs to, from its IOB tags (no scan of ``doc.ents``, which is rebuilt per call)."""
    if not tok.ent_type_:
        return None
    doc = tok.doc
    start = tok.i
    while start > 0 and doc[start].ent_iob_ == "I":
        start -= 1
    end = tok.i + 1
    while end < len(doc) and doc[end].ent_iob_ == "I":
        end += 1
    return doc[start:end]


def _norm(text: str) -> str:
    return _STRIP.sub("", text.strip()).strip()


class Gazetteer:
    """Look-ups over the gazetteer entries of a lexicon."""

    def __init__(self, lexicon: Lexicon):
        self.sectors = lexicon.sectors
        self.by_text: dict[str, GazEntry] = {}
        self.by_lower: dict[str, GazEntry] = {}
        for entry in sorted(lexicon.gazetteer, key=lambda e: _KIND_RANK[e.kind]):
            self.by_text[entry.text] = entry   # higher rank (actor) overrides (state) for the same text
            self.by_lower[entry.text.lower()] = entry

    def patterns(self) -> list[dict]:
        """EntityRuler patterns; ``id`` is the text key back into the gazetteer."""
        out = []
        for text, entry in self.by_text.items():
            out.append({"label": entry.label, "pattern": text, "id": text})
        return out

    def lookup(self, text: str) -> GazEntry | None:
        t = _norm(text)
        return self.by_text.get(t) or self.by_lower.get(t.lower())

    def entry_for_ent(self, ent: Span) -> GazEntry | None:
        if ent.ent_id_ and ent.ent_id_ in self.by_text:
            return self.by_text[ent.ent_id_]
        if ent.label_ in {"GPE", "NORP", "ORG", "PERSON", "LOC", "FAC"}:
            entry = self.lookup(ent.text)
            if entry:
                return entry
            # "Russian President Vladimir Putin" read as one entity: try its words
            for tok in ent:
                entry = self.by_text.get(tok.text)
                if entry and entry.kind in {"demonym", "state", "capital", "actor"}:
                    return entry
        return None

    def sector_of(self, words: Iterable[str]) -> str | None:
        low = " ".join(w.lower() for w in words)
        padded = f" {low} "
        for sector, vocab in self.sectors.items():
            for w in vocab:
                if f" {w} " in padded:
                    return sector
        return None

    # ------------------------------------------------------------ phrases
    @staticmethod
    def phrase(head: Token) -> list[Token]:
        """The noun phrase of ``head``: modifiers and an "of" phrase, not relative clauses or appositions."""
        keep = [head]
        for child in head.children:
            if child.dep_ in {"compound", "amod", "poss", "nmod", "det", "nummod", "quantmod", "case"}:
                keep.extend(child.subtree)
            elif child.dep_ == "prep" and child.lower_ == "of" and child.i > head.i:
                keep.extend(child.subtree)
            elif child.dep_ in {"cc", "conj"} and child.i > head.i and child.dep_ == "conj" and child.pos_ in {"PROPN", "NOUN"}:
                pass
        toks = sorted(set(keep), key=lambda t: t.i)
        while toks and (toks[0].is_punct or toks[0].dep_ == "det" and toks[0].lower_ not in {"the"}):
            toks = toks[1:]
        while toks and toks[-1].is_punct:
            toks = toks[:-1]
        return toks or [head]

    def resolve(self, head: Token) -> Actor:
        """An Actor for the phrase headed by ``head``: text, canonical name, country code, sector."""
        toks = self.phrase(head)
        doc = head.doc
        text = doc[toks[0].i: toks[-1].i + 1].text
        entry = None
        # the entity on the head wins, then any entity in the phrase (e.g. the demonym in "Russian forces")
        ents = []
        for tok in [head] + toks:
            ent = ent_span(tok)
            if ent is not None and all(e.start != ent.start for e in ents):
                ents.append(ent)
        for ent in ents:
            entry = self.entry_for_ent(ent)
            if entry:
                break
        if entry is None:
            entry = self.lookup(text) or self.lookup(head.text)
        words = [t.text for t in toks]
        sector = self.sector_of([head.text]) or self.sector_of(words)
        if entry is not None:
            if entry.sector == "IGO":
                sector = "IGO"
            elif entry.kind == "actor" and entry.sector and not self.sector_of([head.text]):
                sector = entry.sector
            elif sector is None and entry.kind in {"state", "capital"} and head.i in range(toks[0].i, toks[-1].i + 1):
                sector = "GOV" if head.ent_type_ or head.pos_ == "PROPN" else sector
        if entry is not None and head.lower_ in RELATIONAL and not (head.ent_type_ and self.lookup(head.text)):
            entry = None   # "Ukraine's allies" are not Ukraine
        name = entry.name if entry else None
        if entry is not None and entry.kind == "demonym" and head.lower_ in {"president", "leader", "government"}:
            sector = "GOV"
        return Actor(text=text, name=name, country=entry.code if entry else None, sector=sector)

    def place(self, head: Token) -> Place:
        toks = self.phrase(head)
        doc = head.doc
        text = doc[toks[0].i: toks[-1].i + 1].text
        found = [self.by_text[t.text] for t in [head] + toks if t.ent_type_ and t.text in self.by_text]
        seen: set[int] = set()
        for tok in toks:
            ent = ent_span(tok)
            if ent is not None and ent.start not in seen and ent.start >= toks[0].i and ent.end <= toks[-1].i + 1:
                seen.add(ent.start)
                entry = self.entry_for_ent(ent)
                if entry is not None:
                    found.append(entry)
        order = {"place": 0, "capital": 1, "state": 2, "actor": 3, "demonym": 4}
        entry = min(found, key=lambda e: order[e.kind]) if found else None
        if entry is None:
            entry = self.lookup(text) or self.lookup(head.text)
        return Place(text=text, name=entry.name if entry else None, country=entry.code if entry else None)
