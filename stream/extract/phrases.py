"""Whole-word tests of multi-word and hyphenated terms over a sentence's tokens.

The data files list terms as written ("live-fire", "no-fly zone"); spaCy's
tokenizer splits a hyphenated word into "live - fire". ``joined`` glues the
hyphens back and pads with spaces, so a term occurs as whole words exactly
when ``f" {term} "`` is in it. Every stage that looks up terms this way
(prefilter, senses, context, modes) shares it.
"""

from __future__ import annotations

from typing import Iterable

__all__ = ["joined", "has_phrase"]


def joined(words: Iterable[str]) -> str:
    """``" a b-c "`` from the lower-cased words ``a b - c``."""
    return (" " + " ".join(words) + " ").replace(" - ", "-")


def has_phrase(text: str, phrase: str) -> bool:
    """Whether ``phrase`` occurs as whole words in ``text`` (made by ``joined``)."""
    return f" {phrase} " in text
