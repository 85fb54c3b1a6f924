"""A readable account of one extraction, for ``sitrep explain`` and for debugging rules.

For each sentence: the prefilter's trigger terms (none: the model was
skipped), each trigger sense accepted or rejected and why, the arguments
found, and each context flag with the cue word that set it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from ..models import Actor, Event

__all__ = ["Explanation", "SentenceReport", "describe_actor"]


def describe_actor(actor: Actor | None) -> str:
    if actor is None:
        return "-"
    code = "/".join(x for x in (actor.country, actor.sector) if x)
    return f"{actor.text!r}" + (f" -> {code}" if code else " (unresolved)")


@dataclass
class SentenceReport:
    sentence: object                 # prefilter.Sentence
    candidates: list = field(default_factory=list)
    rejected: list = field(default_factory=list)

    def render(self) -> str:
        s = self.sentence
        flags = "".join(f" [{f}]" for f in ("caption", "headline") if getattr(s, f))
        lines = [f"sentence {s.start}-{s.end}{flags}: {s.text}"]
        if not s.candidate:
            lines.append("  prefilter: no trigger term -> model skipped")
            return "\n".join(lines)
        lines.append(f"  prefilter: {', '.join(repr(t) for t in s.terms)} -> parsed by the model")
        for r in self.rejected:
            lines.append(f"  - {r.text!r} ({r.trigger_id}): rejected, {r.reason}")
        if not self.candidates:
            lines.append("  no event")
        for c in self.candidates:
            lines.append(f"  + {c.type}{'/' + c.mode if c.mode else ''} from {c.span.text!r} ({c.trigger.id}, "
                         f"line {c.trigger.line} of triggers.jsonl), confidence {c.confidence}")
            lines.append(f"      actor: {describe_actor(c.actor)}   recipient: {describe_actor(c.recipient)}"
                         f"   location: {c.location.text + ' -> ' + str(c.location.country) if c.location else '-'}")
            for note in c.notes:
                lines.append(f"      note: {note}")
            for a in c.absorbed:
                lines.append(f"      governs: {a.type} {a.span.text!r}")
            cues = c.context.cues
            if cues:
                lines.append("      context: " + ", ".join(f"{k} (cue {v!r})" for k, v in cues.items())
                             + (f"; reported by {c.context.reported_by!r}" if c.context.reported_by else ""))
            else:
                lines.append("      context: plain statement (no negation, condition, future, report or past cue)")
            if c.event_date:
                lines.append(f"      event date: {c.event_date}")
        return "\n".join(lines)


@dataclass
class Explanation:
    text: str
    sentences: list[SentenceReport]
    events: list[Event]
    published: date | None = None

    def render(self) -> str:
        head = [f"{len(self.sentences)} sentence(s), "
                f"{sum(1 for r in self.sentences if r.sentence.candidate)} sent to the model"
                + (f"; published {self.published.isoformat()}" if self.published else "")]
        body = [r.render() for r in self.sentences]
        tail = [f"events after merging: {len(self.events)}"]
        for e in self.events:
            tail.append(f"  {e.type}{'/' + e.mode if e.mode else ''}: {describe_actor(e.actor)} -> "
                        f"{describe_actor(e.recipient)} ({len(e.evidence)} evidence sentence(s))")
        return "\n".join(head + body + tail)

    __str__ = render
