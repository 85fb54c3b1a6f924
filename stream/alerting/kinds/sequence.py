"""``sequence``: events matching ``steps`` in order of event time, within ``window``, per group.

MOBILIZE, then THREATEN, then ASSAULT for the same dyad. Events may arrive
out of order: each event is kept under every step it matches, and a chain
is searched that contains it (latest possible earlier steps, earliest
possible later steps, so the chain is as short as it can be). Events with
equal times may stand in either order; one event fills at most one step.
"""

from __future__ import annotations

from ...models import Event
from .base import Ctx


def _chain(steps: list[list[dict]], k: int, me: dict, span: float) -> list[dict] | None:
    chain: list[dict | None] = [None] * len(steps)
    chain[k] = me
    used = {me["id"]}
    for i in range(k - 1, -1, -1):
        bound = chain[i + 1]["t"]  # type: ignore[index]
        pick = next((e for e in reversed(steps[i]) if e["t"] <= bound and e["id"] not in used), None)
        if pick is None:
            return None
        chain[i] = pick
        used.add(pick["id"])
    for i in range(k + 1, len(steps)):
        bound = chain[i - 1]["t"]  # type: ignore[index]
        pick = next((e for e in steps[i] if e["t"] >= bound and e["id"] not in used), None)
        if pick is None:
            return None
        chain[i] = pick
        used.add(pick["id"])
    if chain[-1]["t"] - chain[0]["t"] > span:  # type: ignore[index]
        return None
    return chain  # type: ignore[return-value]


def apply(ctx: Ctx) -> None:
    rule = ctx.rule
    span = rule.window.total_seconds()
    matched = [i for i, step in enumerate(rule.steps) if step.test(ctx.view)]
    steps: list[list[dict]] = ctx.state.get("steps") or [[] for _ in rule.steps]
    newest = max([e["t"] for s in steps for e in s] + [ctx.t])
    if ctx.t < newest - span:
        ctx.reason = "late"
        return
    me = ctx.entry()
    per_step_cap = max(rule.max_events // len(rule.steps), 2)
    for i in matched:
        steps[i] = ctx.keep(steps[i] + [dict(me)], newest - span, cap=per_step_cap)
    for i in set(range(len(steps))) - set(matched):
        steps[i] = ctx.keep(steps[i], newest - span, cap=per_step_cap)
    ctx.state["steps"] = steps
    story = ctx.state.get("story")
    if ctx.in_story(story):
        ctx.update_story(story)
        return
    for k in sorted(matched, reverse=True):
        mine = next((e for e in steps[k] if e["id"] == me["id"]), None)
        chain = _chain(steps, k, mine, span) if mine is not None else None
        if chain is not None:
            full = [ctx.event if e["id"] == me["id"] else Event.from_dict(e["e"])
                    for e in chain if e["id"] == me["id"] or "e" in e]
            new = ctx.open_story(chain[0]["t"], ctx.t + span,
                                 sources=[e["src"] for e in chain if e.get("src")], events=full,
                                 count=len(chain))
            if new is not None:
                new["chain"] = [e["id"] for e in chain]
                ctx.state["story"] = new
            return
    ctx.reason = "incomplete"
