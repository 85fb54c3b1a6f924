"""``threshold``: at least ``count`` matching events (or distinct values) within ``window``.

With ``distinct: article.source`` it counts outlets, which is corroboration:
the same claim from three newsrooms. Windows slide in event time; a late
event counts in any window of length ``window`` that contains it. Once the
threshold is met, the alert stays open for ``window`` after the event that
raised it: events in that span revise it instead of raising another.
"""

from __future__ import annotations

from collections import Counter

from .base import Ctx


def _distinct_value(ctx: Ctx) -> str | None:
    path = ctx.rule.distinct
    if path is None:
        return ctx.event.id
    if path in ("article.source", "source"):
        value = ctx.source
    else:
        value = ctx.view.get_str(path)
    if value is None or value == "":
        return None
    return str(value).casefold()


def best_window(entries: list[dict], t: float, span: float) -> tuple[int, list[dict]]:
    """The most distinct values in a window of length ``span`` that contains time ``t``."""
    best: tuple[int, list[dict]] = (0, [])
    counts: Counter = Counter()
    j = 0
    n = len(entries)
    for i in range(n):
        start = entries[i]["t"]
        if start > t:
            break
        while j < n and entries[j]["t"] <= start + span:
            if entries[j].get("d") is not None:
                counts[entries[j]["d"]] += 1
            j += 1
        if start >= t - span and start + span >= t:
            distinct = len(counts)
            if distinct > best[0]:
                best = (distinct, entries[i:j])
        d = entries[i].get("d")
        if d is not None:
            counts[d] -= 1
            if counts[d] <= 0:
                del counts[d]
    return best


def apply(ctx: Ctx) -> None:
    rule = ctx.rule
    span = rule.window.total_seconds()
    entries = ctx.state.get("events", [])
    newest = max([e["t"] for e in entries] + [ctx.t])
    if ctx.t < newest - span:
        ctx.reason = "late"
        return
    entries.append(ctx.entry(d=_distinct_value(ctx)))
    entries = ctx.keep(entries, newest - span)
    ctx.state["events"] = entries
    story = ctx.state.get("story")
    if ctx.in_story(story):
        ctx.update_story(story, ctx.events_of(entries), count=len(entries))
        return
    reached, window = best_window(entries, ctx.t, span)
    if reached < (rule.count or 1):
        ctx.reason = "below_threshold"
        return
    sources = [e["src"] for e in window if e.get("src")]
    new = ctx.open_story(window[0]["t"], ctx.t + span, sources=sources,
                         events=ctx.events_of(window), count=len(window))
    if new is not None:
        ctx.state["story"] = new
