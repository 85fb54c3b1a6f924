"""Field paths into an event, as rules and templates name them.

A path is any dotted path into ``Event.to_dict()`` (``actor.country``,
``context.negated``, ``evidence.0.sentence``) plus a few derived fields
(``dyad``, ``source``). ``EventView`` resolves paths straight from the frozen
dataclasses, caching each, so routing an event never builds the whole dict.
"""

from __future__ import annotations

from dataclasses import fields as dc_fields, is_dataclass
from datetime import datetime
from typing import Any, Callable
from urllib.parse import urlsplit

from ..models import (Actor, ArticleRef, Context, Event, Evidence, Place, format_time)

__all__ = ["EventView", "KNOWN_PATHS", "DERIVED_PATHS", "EVENT_TYPES", "is_known_path",
           "path_kind", "split_path", "source_of", "event_time", "MISSING"]

# PLOVER event types (ontology 0.7).
EVENT_TYPES = frozenset({
    "AGREE", "CONSULT", "SUPPORT", "CONCEDE", "COOPERATE", "AID", "RETREAT", "REQUEST",
    "ACCUSE", "REJECT", "THREATEN", "PROTEST", "SANCTION", "MOBILIZE", "COERCE", "ASSAULT",
})

DERIVED_PATHS = {
    "dyad": "the countries of actor and recipient, sorted and joined by '-' (RUS-UKR either way)",
    "source": "the outlet: article.source, else the host of article.url",
}

MISSING = object()


def _sample() -> Event:
    actor = Actor(text="t", name="n", country="c", sector="s")
    return Event(
        id="i", type="T", text="t", trigger="t", mode="m",
        article=ArticleRef(id="a", url="u", source="s", title="t",
                           published_at=datetime(2000, 1, 1), ingested_at=datetime(2000, 1, 1)),
        actor=actor, recipient=actor, location=Place(text="t", name="n", country="c"),
        evidence=(Evidence(sentence="s", start=0, end=1, trigger_start=0, trigger_end=1),),
        context=Context(reported_by="r"), confidence=0.5, event_date="d", extractor="x")


def _walk(value: Any, prefix: str, out: dict[str, str]) -> None:
    if isinstance(value, dict):
        if prefix:
            out[prefix] = "object"
        for k, v in value.items():
            _walk(v, f"{prefix}.{k}" if prefix else k, out)
    elif isinstance(value, list):
        out[prefix] = "list"
        for v in value[:1]:
            _walk(v, prefix + ".*", out)
    elif isinstance(value, bool):
        out[prefix] = "bool"
    elif isinstance(value, (int, float)):
        out[prefix] = "number"
    else:
        out[prefix] = "text"


def _known() -> dict[str, str]:
    out: dict[str, str] = {}
    _walk(_sample().to_dict(), "", out)
    out.update({p: "text" for p in DERIVED_PATHS})
    return out


# path -> "text" | "number" | "bool" | "list" | "object"; list items appear as "evidence.*.x".
KNOWN_PATHS: dict[str, str] = _known()


def split_path(path: str) -> tuple[str, ...]:
    return tuple(path.split("."))


def _pattern(path: str) -> str:
    return ".".join("*" if part.isdigit() else part for part in path.split("."))


def is_known_path(path: str) -> bool:
    return _pattern(path) in KNOWN_PATHS


def path_kind(path: str) -> str | None:
    return KNOWN_PATHS.get(_pattern(path))


def source_of(event: Event) -> str | None:
    """Who published the article: its ``source``, else the host of its URL."""
    src = (event.article.source or "").strip()
    if src:
        return src
    if event.article.url:
        try:
            host = urlsplit(event.article.url).hostname or ""
        except ValueError:
            host = ""
        host = host.removeprefix("www.")
        return host or None
    return None


def event_time(event: Event, now: datetime) -> datetime:
    """Window time: published_at, else ingested_at, else now; never later than now.

    A clock ahead of ours (or a wrong time zone in the feed) must not open
    windows in the future, so times after ``now`` are taken as ``now``.
    """
    t = event.time
    if t is None or t > now:
        return now
    return t


class EventView:
    """Resolves field paths of one event, caching each one."""

    __slots__ = ("event", "_cache")

    def __init__(self, event: Event):
        self.event = event
        self._cache: dict[tuple[str, ...], Any] = {}

    def get(self, path: tuple[str, ...]) -> Any:
        """The value at ``path`` or None; lists come back as lists."""
        try:
            return self._cache[path]
        except KeyError:
            pass
        fast = _FAST.get(path)
        if fast is not None:
            value = fast(self.event)
            if value is not None and type(value) not in _SIMPLE:
                value = _plain(value)
        elif len(path) == 1 and path[0] in DERIVED_PATHS:
            value = self._derived(path[0])
        else:
            value = _resolve(self.event, path)
        self._cache[path] = value
        return value

    def get_str(self, path: str) -> Any:
        return self.get(split_path(path))

    def _derived(self, name: str) -> Any:
        ev = self.event
        if name == "source":
            return source_of(ev)
        if name == "dyad":
            codes = sorted({a.country for a in (ev.actor, ev.recipient) if a is not None and a.country})
            return "-".join(codes) or None
        return None


_FIELD_NAMES: dict[type, frozenset[str]] = {}
_SIMPLE = (str, int, float, bool)


def _field_names(cls: type) -> frozenset[str] | None:
    names = _FIELD_NAMES.get(cls)
    if names is None and is_dataclass(cls):
        names = _FIELD_NAMES[cls] = frozenset(f.name for f in dc_fields(cls))
    return names


def _resolve(value: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        if value is None:
            return None
        names = _FIELD_NAMES.get(type(value)) or _field_names(type(value))
        if names is not None:
            if part not in names:
                return None
            value = getattr(value, part)
        elif isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, (list, tuple)):
            if not part.isdigit() or int(part) >= len(value):
                return None
            value = value[int(part)]
        else:
            return None
    if value is None or type(value) in _SIMPLE:
        return value
    return _plain(value)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_time(value)
    if is_dataclass(value):
        return value.to_dict()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def _getter(path: tuple[str, ...]) -> Callable[[Event], Any]:
    if len(path) == 1:
        name = path[0]
        return lambda ev: getattr(ev, name)
    outer, inner = path

    def get(ev: Event) -> Any:
        obj = getattr(ev, outer)
        return None if obj is None else getattr(obj, inner)
    return get


# Direct attribute access for the plain one- and two-level fields that rules use most.
_FAST: dict[tuple[str, ...], Callable[[Event], Any]] = {
    split_path(p): _getter(split_path(p)) for p, kind in KNOWN_PATHS.items()
    if kind in ("text", "number", "bool") and p not in DERIVED_PATHS and "*" not in p and p.count(".") <= 1
}
