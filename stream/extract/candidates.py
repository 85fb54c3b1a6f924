"""The records passed between the pattern stages, and the trigger matcher both passes share."""

from __future__ import annotations

from dataclasses import dataclass, field

from spacy.matcher import PhraseMatcher
from spacy.tokens import Span, Token

from ..models import Actor, Place
from .context import ContextResult
from .lexicon import Lexicon, Trigger

__all__ = ["Candidate", "Rejection", "trigger_matcher"]


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


def trigger_matcher(nlp, lexicon: Lexicon) -> PhraseMatcher:
    """One PhraseMatcher over every trigger term, case-insensitive, keyed by trigger id.

    Terms are tokenized by the pipeline's own tokenizer so "build-up" or
    "U.S." split the same way in the pattern and in the text.
    """
    matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
    for trig in lexicon.triggers:
        matcher.add(trig.id, [nlp.make_doc(term) for term in trig.terms])
    return matcher
