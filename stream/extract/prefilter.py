"""The cheap first pass: which sentences may hold an event at all.

A tokenizer-only pipeline with a rule-based sentencizer splits each
paragraph, and a PhraseMatcher of every trigger term marks candidate
sentences. Only those go to the full model (tagger, parser, NER), which is
~25x slower; most sentences of an article name no event and skip it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import spacy
from spacy.matcher import PhraseMatcher

from .lexicon import Lexicon
from .patterns import trigger_matcher
from .phrases import has_phrase, joined
from .preprocess import Paragraph

__all__ = ["Sentence", "Prefilter", "MAX_SENTENCE_TOKENS"]

# Longer "sentences" (run-ons, tables, lists glued together, hostile input) are cut at a comma or
# semicolon near this length: the parser and the pattern stage slow down faster than linearly with length.
MAX_SENTENCE_TOKENS = 120


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int                  # offset in the article text
    end: int
    paragraph: int
    caption: bool = False
    headline: bool = False
    terms: tuple[str, ...] = ()   # trigger terms the prefilter saw ("" when none)
    trigger_ids: tuple[str, ...] = ()

    @property
    def candidate(self) -> bool:
        return bool(self.terms)


class Prefilter:
    def __init__(self, lexicon: Lexicon):
        self.nlp = spacy.blank("en")
        self.nlp.add_pipe("sentencizer")
        self.matcher = trigger_matcher(self.nlp, lexicon)
        # A trigger that needs context words ("deployed" needs troops, weapons...) is a candidate only
        # when one of them occurs in the sentence: a surface check, no model needed.
        self.required: dict[str, tuple[frozenset[str], bool]] = {}
        for trig in lexicon.triggers:
            names = [n for n in (*trig.need, *trig.need_object)]
            if names:
                words = lexicon.sense_words(n for n in names if not n.startswith("@"))
                self.required[trig.id] = (words, any(n.startswith("@") for n in names))
        # Inside a threat, demand or accusation a sense needs no context words (see patterns.py).
        self.framing = {t.id for t in lexicon.triggers
                        if t.frame == "governor" and t.type in {"THREATEN", "REQUEST", "ACCUSE", "REJECT"}}
        self.names = PhraseMatcher(self.nlp.vocab, attr="ORTH")
        self.names.add("GAZ", [self.nlp.make_doc(e.text) for e in lexicon.gazetteer])

    def _plausible(self, trig_id: str, lower: list[str], joined: str, has_name: bool) -> bool:
        req = self.required.get(trig_id)
        if req is None:
            return True
        words, special = req
        if special and has_name:
            return True
        if any(w in words for w in lower):
            return True
        return any((" " in w or "-" in w) and has_phrase(joined, w) for w in words)

    def sentences(self, paragraphs: Iterable[Paragraph]) -> list[Sentence]:
        paragraphs = list(paragraphs)
        out: list[Sentence] = []
        for para, doc in zip(paragraphs, self.nlp.pipe(p.text for p in paragraphs)):
            matches = self.matcher(doc)
            names = self.names(doc)
            for sent in _chunks(doc):
                text = sent.text
                if not text.strip():
                    continue
                lower = [t.lower_ for t in sent]
                text_of_words = joined(lower)
                has_name = any(sent.start <= s and e <= sent.end for _, s, e in names)
                raw = [(doc.vocab.strings[m], doc[s:e].text) for m, s, e in matches
                       if sent.start <= s and e <= sent.end]
                framed = any(tid in self.framing for tid, _ in raw)
                hits = [(tid, text) for tid, text in raw
                        if framed or self._plausible(tid, lower, text_of_words, has_name)]
                start = para.start + sent.start_char
                out.append(Sentence(
                    text=text, start=start, end=start + len(text), paragraph=para.index, caption=para.caption,
                    headline=para.headline, terms=tuple(dict.fromkeys(h[1] for h in hits)),
                    trigger_ids=tuple(dict.fromkeys(h[0] for h in hits)),
                ))
        return out


def _chunks(doc):
    """Sentences of ``doc``, each at most ``MAX_SENTENCE_TOKENS`` long (cut after , ; : when possible)."""
    for sent in doc.sents:
        start = sent.start
        while sent.end - start > MAX_SENTENCE_TOKENS:
            limit = start + MAX_SENTENCE_TOKENS
            cut = next((i + 1 for i in range(limit - 1, start + MAX_SENTENCE_TOKENS // 2, -1)
                        if doc[i].text in {",", ";", ":"}), limit)
            yield doc[start:cut]
            start = cut
        if start < sent.end:
            yield doc[start:sent.end]
