"""Sample wire records for unit tests."""

from __future__ import annotations

from datetime import datetime, timezone

from stream.models import Actor, Article, Context, Event, Evidence, Place

T = datetime(2025, 3, 15, 12, 30, tzinfo=timezone.utc)


def sample_event() -> Event:
    article = Article(id="a1", text="Moscow massed troops.", url="https://e.org", source="e.org", published_at=T,
                      ingested_at=T)
    return Event(id="e1", type="MOBILIZE", article=article.ref(), text="Moscow massed troops.", trigger="massed",
                 mode="troops", actor=Actor("Moscow", "Russia", "RUS", "GOV"), recipient=None,
                 location=Place("Sumy", "Sumy", "UKR"), evidence=(Evidence("Moscow massed troops.", 0, 21, 7, 13),),
                 context=Context(reported=True, reported_by="Zelenskyy"), confidence=0.8, event_date="2025-03-15")
