"""``new``: the first event of a group after ``lookback`` without one.

"A new troop buildup": the group (say actor country + location country) had
no matching event for ``lookback``. The alert then stays open for ``window``
(default one day) so further reports of the same story revise it. A late
event older than the group's newest event is never "new".
"""

from __future__ import annotations

from .base import Ctx


def apply(ctx: Ctx) -> None:
    state = ctx.state
    last_seen = state.get("last_seen")
    story = state.get("story")
    state["last_seen"] = ctx.t if last_seen is None else max(last_seen, ctx.t)
    if ctx.in_story(story):
        ctx.update_story(story)
        return
    lookback = ctx.rule.lookback.total_seconds() if ctx.rule.lookback else 0.0
    if last_seen is not None and ctx.t - last_seen <= lookback:
        ctx.reason = "seen_before"
        return
    new = ctx.open_story(ctx.t, ctx.t + ctx.rule.window.total_seconds())
    if new is not None:
        state["story"] = new
