"""One module per kind of rule; each exposes ``apply(ctx)`` working on ``ctx.state``."""

from __future__ import annotations

from typing import Callable

from . import match, new, sequence, spike, threshold
from .base import Ctx

__all__ = ["KIND_APPLY", "Ctx"]

KIND_APPLY: dict[str, Callable[[Ctx], None]] = {
    "match": match.apply,
    "threshold": threshold.apply,
    "new": new.apply,
    "spike": spike.apply,
    "sequence": sequence.apply,
}
