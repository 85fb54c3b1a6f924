"""Hard limits that keep one bad rule file from hurting the service, and durations.

Every limit has a plain-words error where it is enforced. The defaults fit a
service of a few thousand rules; the app may pass its own ``Limits``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

__all__ = ["Limits", "parse_duration", "format_duration", "DurationError"]


@dataclass(frozen=True)
class Limits:
    max_rules: int = 5000
    max_files: int = 1000
    max_file_bytes: int = 1_000_000
    max_yaml_nodes: int = 200_000
    max_pattern_length: int = 1000
    max_list_items: int = 10_000
    max_condition_nodes: int = 500
    max_condition_depth: int = 32
    max_template_length: int = 2000
    max_rendered_length: int = 4000
    max_group_by: int = 6
    max_steps: int = 10
    max_labels: int = 32
    max_window: timedelta = timedelta(days=90)
    max_lookback: timedelta = timedelta(days=400)
    max_events_kept: int = 1000      # upper bound of a rule's max_events (events kept per group)
    default_events_kept: int = 100
    max_seen_ids: int = 500          # event ids remembered per group for idempotence
    max_sources: int = 50            # sources listed on one alert
    max_stories: int = 16            # open match stories kept per group
    max_spike_buckets: int = 2000


class DurationError(ValueError):
    pass


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_PART = re.compile(r"(\d+)([smhdw])")


def parse_duration(value: object) -> timedelta:
    """``"90s"``, ``"15m"``, ``"6h"``, ``"7d"``, ``"2w"`` or combined ``"1h30m"``."""
    if isinstance(value, bool) or not isinstance(value, str):
        raise DurationError(f"expected a duration such as 30m, 6h or 7d, got {value!r}")
    text = value.strip().lower().replace(" ", "")
    pos, seconds = 0, 0
    for m in _PART.finditer(text):
        if m.start() != pos:
            break
        seconds += int(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if not text or pos != len(text):
        raise DurationError(f"expected a duration such as 30m, 6h or 7d, got {value!r}")
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    if seconds == 0:
        return "0s"
    out = []
    for unit in ("w", "d", "h", "m", "s"):
        n, seconds = divmod(seconds, _UNITS[unit])
        if n:
            out.append(f"{n}{unit}")
    return "".join(out)
