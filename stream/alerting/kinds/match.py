"""``match``: every matching event, folded into one alert per story.

The story of an event is its group (default: type, actor country, recipient
country, location country) and the ``window`` bucket of its event time
(default one UTC day). The first report opens the alert; each further
outlet revises it; reports from an outlet already listed change nothing.
"""

from __future__ import annotations

from .base import Ctx, floor_ts


def apply(ctx: Ctx) -> None:
    stories: dict[str, dict] = ctx.state.setdefault("stories", {})
    start = floor_ts(ctx.t, ctx.rule.window)
    key = str(start)
    story = stories.get(key)
    if story is None:
        story = ctx.open_story(start, start + ctx.rule.window.total_seconds())
        if story is not None:
            stories[key] = story
    else:
        ctx.update_story(story)
    if len(stories) > ctx.limits.max_stories:
        for old in sorted(stories, key=float)[: len(stories) - ctx.limits.max_stories]:
            del stories[old]
