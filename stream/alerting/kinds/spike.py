"""``spike``: the rate in the last ``window`` is ``factor`` times the ``baseline`` rate.

Counts are kept per quarter of the window (bounded, whatever the volume).
The current window is the four quarters ending with the event's; the
baseline is the ``baseline`` span before it, or the part of it the group
has existed for (at least one window), so a young group is not compared
with hours it never saw. At least ``min_count`` events must fall in the
current window, so 1 against 0 is no spike; an empty baseline counts as
rate 0, so ``min_count`` alone decides then.
"""

from __future__ import annotations

from .base import Ctx

QUARTERS = 4


def apply(ctx: Ctx) -> None:
    rule = ctx.rule
    state = ctx.state
    window = rule.window.total_seconds()
    baseline = rule.baseline.total_seconds() if rule.baseline else window
    step = max(window / QUARTERS, 1.0)
    buckets: dict[str, int] = state.setdefault("buckets", {})
    newest = max([float(k) for k in buckets] + [ctx.t])
    if ctx.t < newest - window - baseline:
        ctx.reason = "late"
        return
    mine = (ctx.t // step) * step
    since = state["since"] = min(state.get("since", mine), mine)
    buckets[str(mine)] = buckets.get(str(mine), 0) + 1
    horizon = newest - window - baseline - step
    for key in [k for k in buckets if float(k) < horizon]:
        del buckets[key]
    entries = ctx.keep(state.get("events", []) + [ctx.entry()], ctx.t - window, cap=min(rule.max_events, 20))
    state["events"] = entries

    current_start = mine - (QUARTERS - 1) * step
    current = sum(n for k, n in buckets.items() if current_start <= float(k) <= mine)
    base = sum(n for k, n in buckets.items() if current_start - baseline <= float(k) < current_start)
    story = state.get("story")
    if ctx.in_story(story):
        ctx.update_story(story, ctx.events_of(entries), count=current)
        return
    observed = max(window, min(baseline, current_start - since))
    spiking = current >= (rule.min_count or 1) and current * observed >= (rule.factor or 1.0) * base * window
    if not spiking:
        ctx.reason = "no_spike"
        return
    recent = [e for e in entries if e["t"] >= current_start]
    new = ctx.open_story(current_start, ctx.t + window,
                         sources=[e["src"] for e in recent if e.get("src")],
                         events=ctx.events_of(recent), count=current)
    if new is not None:
        new["baseline_count"] = base
        state["story"] = new
