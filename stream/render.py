"""Alerts for people: the readable form printed by ``sitrep alerts`` and ``sitrep demo``."""

from __future__ import annotations

import textwrap

from .models import Actor, Alert, Place

__all__ = ["format_alert", "format_dead_letter"]

_SEVERITY_COLOUR = {"critical": "1;31", "high": "31", "medium": "33", "low": "36", "info": "37"}


def _actor(actor: Actor | None) -> str:
    if actor is None:
        return "?"
    name = actor.name or actor.text or "?"
    return f"{name} ({actor.country})" if actor.country and actor.country != name else name


def _place(place: Place | None) -> str:
    if place is None:
        return ""
    name = place.name or place.text
    return f"{name} ({place.country})" if place.country and place.country != name else name


def _paint(text: str, code: str, colour: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if colour else text


def format_alert(alert: Alert, *, colour: bool = False, width: int = 100) -> str:
    """Rule, severity, actor -> recipient, where, the evidence sentence, the link."""
    sev = alert.severity.upper()
    head = f"[{_paint(sev, _SEVERITY_COLOUR.get(alert.severity, '0'), colour)}] {_paint(alert.rule_id, '1', colour)}"
    head += f"  {alert.summary or alert.rule_title}"
    lines = [head]
    event = alert.events[0] if alert.events else None
    if event is not None:
        who = f"{_actor(event.actor)} -> {_actor(event.recipient)}"
        where = _place(event.location)
        detail = f"{event.type}" + (f"/{event.mode}" if event.mode else "")
        flags = [k for k in ("negated", "hypothetical", "future", "historical") if getattr(event.context, k)]
        if event.context.reported_by:
            flags.append(f"says {event.context.reported_by}")
        lines.append(f"  {who}" + (f" | at {where}" if where else "") + f" | {detail}"
                     + (f" [{', '.join(flags)}]" if flags else ""))
    evidence = alert.evidence or (event.text if event else "")
    if evidence:
        wrapped = textwrap.wrap(f"\u201c{evidence}\u201d", width=width - 4)
        lines.extend("    " + w for w in wrapped)
    meta = []
    if alert.article.source:
        meta.append(alert.article.source)
    if alert.article.url:
        meta.append(alert.article.url)
    else:
        meta.append(f"article {alert.article.id}")
    if alert.published_at:
        meta.append(f"published {alert.published_at:%Y-%m-%d %H:%M}Z")
    if alert.alerted_at:
        meta.append(f"alerted {alert.alerted_at:%Y-%m-%d %H:%M:%S}Z")
    if alert.revision > 1 or len(alert.sources) > 1:
        meta.append(f"revision {alert.revision}, {len(alert.sources)} sources")
    meta.append(f"id {alert.id}")
    lines.append("  " + " | ".join(meta))
    return "\n".join(lines)


def format_dead_letter(letter: dict) -> str:
    where = f"{letter.get('topic')}[{letter.get('partition')}]@{letter.get('offset')}"
    field = f" field={letter['field']}" if letter.get("field") else ""
    return f"{where} {letter.get('reason')}{field}: {letter.get('detail')}"
