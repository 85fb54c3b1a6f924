"""Text -> PLOVER events, without Kafka.

``Extractor.load(model)`` once per process, then ``extract_batch(articles)``.
See docs/extraction.md for the stages and the data files linguists edit.
"""

from __future__ import annotations

from .errors import LexiconError
from .explain import Explanation
from .extractor import EXTRACTOR_VERSION, Extractor
from .inputs import read_articles
from .lexicon import load_lexicon

__all__ = ["Extractor", "Explanation", "LexiconError", "EXTRACTOR_VERSION", "load_lexicon", "read_articles"]
