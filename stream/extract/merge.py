"""One event per happening per article, with every sentence that states it.

Articles repeat their main event ("Russia massed troops..." in the lead, the
quote and the summary). Mentions merge when type, actor, recipient and the
negated/hypothetical reading agree; a mention missing the actor or recipient
joins a group that has one. The merged event keeps the first mention's
wording, and its id does not depend on offsets, so it is stable.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..models import Actor, Article, Context, Event, Evidence, Place, stable_id

__all__ = ["Mention", "merge_mentions", "actor_key"]


@dataclass
class Mention:
    type: str
    trigger: str
    lemma: str
    evidence: Evidence
    mode: str | None = None
    actor: Actor | None = None
    recipient: Actor | None = None
    location: Place | None = None
    context: Context = field(default_factory=Context)
    confidence: float = 0.5
    event_date: str | None = None


def actor_key(actor: Actor | None) -> str | None:
    if actor is None:
        return None
    if actor.country:
        return actor.country
    return actor.text.lower().strip() or None


def _compatible(a: str | None, b: str | None) -> bool:
    return a is None or b is None or a == b


class _Group:
    def __init__(self, m: Mention):
        self.mentions = [m]
        self.type = m.type
        self.actor = actor_key(m.actor)
        self.recipient = actor_key(m.recipient)
        self.flags = (m.context.negated, m.context.hypothetical)
        self.mode = m.mode

    def accepts(self, m: Mention) -> bool:
        return (m.type == self.type and (m.context.negated, m.context.hypothetical) == self.flags
                and _compatible(self.mode, m.mode)
                and _compatible(self.actor, actor_key(m.actor))
                and _compatible(self.recipient, actor_key(m.recipient))
                and (self.actor is not None or actor_key(m.actor) is not None or self.recipient == actor_key(m.recipient)))

    def add(self, m: Mention) -> None:
        self.mentions.append(m)
        self.actor = self.actor or actor_key(m.actor)
        self.recipient = self.recipient or actor_key(m.recipient)
        self.mode = self.mode or m.mode


def merge_mentions(mentions: list[Mention], article: Article, extractor: str) -> list[Event]:
    groups: list[_Group] = []
    for m in mentions:
        exact = [g for g in groups if g.accepts(m) and g.actor == actor_key(m.actor)
                 and g.recipient == actor_key(m.recipient)]
        target = exact[0] if exact else next((g for g in groups if g.accepts(m)), None)
        if target is None:
            groups.append(_Group(m))
        else:
            target.add(m)
    events = [_event(g, article, extractor) for g in groups]
    seen: dict[str, int] = {}
    for i, e in enumerate(events):   # distinct events that agree on every id part: number them in order
        n = seen.get(e.id, 0)
        seen[e.id] = n + 1
        if n:
            events[i] = replace(e, id=f"{e.id}-{n + 1}")
    return events


def _event(g: _Group, article: Article, extractor: str) -> Event:
    first = g.mentions[0]
    pick = lambda name: next((getattr(m, name) for m in g.mentions if getattr(m, name) is not None), None)  # noqa: E731
    actor, recipient, location = pick("actor"), pick("recipient"), pick("location")
    mode, event_date = pick("mode"), pick("event_date")
    evidence: list[Evidence] = []
    for m in g.mentions:
        if all(e.start != m.evidence.start for e in evidence):
            evidence.append(m.evidence)
    evidence.sort(key=lambda e: e.start)
    context = first.context
    if context.caption and not all(m.context.caption for m in g.mentions):
        context = replace(context, caption=False)
    if not context.reported:
        rep = next((m.context for m in g.mentions if m.context.reported), None)
        if rep is not None and all(m.context.reported for m in g.mentions):
            context = replace(context, reported=True, reported_by=rep.reported_by)
    confidence = min(0.97, max(m.confidence for m in g.mentions) + 0.04 * (len(evidence) - 1))
    loc_key = (location.country or location.text.lower()) if location else None
    flags = "".join(f for f, on in (("n", context.negated), ("h", context.hypothetical)) if on)
    eid = stable_id(article.id, g.type, mode, actor_key(actor), actor_key(recipient), loc_key, first.lemma,
                    *([flags] if flags else []), prefix="ev-")
    ordered = sorted(g.mentions, key=lambda m: m.evidence.start)
    return Event(
        id=eid, type=g.type, article=article.ref(), text=ordered[0].evidence.sentence, trigger=ordered[0].trigger,
        mode=mode, actor=actor, recipient=recipient, location=location, evidence=tuple(evidence),
        context=context, confidence=round(confidence, 3), event_date=event_date, extractor=extractor,
    )
