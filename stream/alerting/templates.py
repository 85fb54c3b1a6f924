"""A tiny, sandboxed template language for labels and annotations.

``{{ actor.name }}`` inserts a field; filters follow a bar:
``{{ actor.name | default(actor.text) | upper }}``. Expressions are field
paths, quoted strings and numbers; there is no attribute access, no calls
other than the fixed filters below, no loops: a template can only read the
event and the alert, never run code. Templates are parsed when rules load,
so mistakes surface in ``sitrep rules check``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from .fields import is_known_path, split_path

__all__ = ["Template", "TemplateError", "FILTERS", "EXTRA_PATHS", "format_value"]

# Names a template may read besides event fields.
EXTRA_PATHS = {
    "rule.id", "rule.title", "rule.severity", "rule.kind", "rule.owner", "rule.description",
    "alert.count", "alert.sources", "alert.source_count", "alert.revision", "alert.group_key",
    "alert.window_start",
}


class TemplateError(ValueError):
    def __init__(self, message: str, offset: int = 0):
        super().__init__(message)
        self.offset = offset


def format_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(format_value(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={format_value(v)}" for k, v in value.items())
    return str(value)


def _truncate(value: Any, n: Any = 80) -> Any:
    text = format_value(value)
    n = int(n)
    return text if len(text) <= n else text[: max(n - 1, 0)] + "…"


def _round(value: Any, n: Any = 0) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return round(value, int(n)) if int(n) else int(round(value))
    return value


FILTERS: dict[str, tuple[Callable[..., Any], int]] = {
    # name: (function, max extra arguments)
    "default": (lambda v, d="": d if v is None or v == "" or v == [] else v, 1),
    "upper": (lambda v: format_value(v).upper(), 0),
    "lower": (lambda v: format_value(v).lower(), 0),
    "title": (lambda v: format_value(v).title(), 0),
    "truncate": (_truncate, 1),
    "join": (lambda v, sep=", ": sep.join(format_value(x) for x in v) if isinstance(v, list)
             else format_value(v), 1),
    "round": (_round, 1),
}


@dataclass(frozen=True)
class _Ref:
    path: tuple[str, ...]


@dataclass(frozen=True)
class _Expr:
    head: Any                      # _Ref or a literal
    filters: tuple[tuple[str, tuple], ...]


_TOKEN = re.compile(r"""\s*(?:(?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(?P<num>-?\d+(?:\.\d+)?)"""
                    r"""|(?P<path>[A-Za-z][A-Za-z0-9_]*(?:\.(?:[A-Za-z][A-Za-z0-9_]*|\d+))*)|(?P<op>[|(),]))""")
# Field names never start with an underscore: "__class__"-style names are refused outright.


class Template:
    """A parsed template; ``render(lookup)`` fills it from ``lookup(path_tuple) -> value``."""

    __slots__ = ("source", "parts", "paths")

    def __init__(self, source: str, max_length: int = 2000):
        if not isinstance(source, str):
            raise TemplateError("a template must be text")
        if len(source) > max_length:
            raise TemplateError(f"template is {len(source)} characters long; at most {max_length} are allowed")
        self.source = source
        self.parts: tuple[Any, ...] = tuple(_parse(source))
        paths: set[str] = set()
        for part in self.parts:
            if isinstance(part, _Expr):
                for ref in _refs(part):
                    paths.add(".".join(ref.path))
        self.paths = frozenset(paths)

    @property
    def is_constant(self) -> bool:
        return all(isinstance(p, str) for p in self.parts)

    def unknown_paths(self) -> list[str]:
        return sorted(p for p in self.paths if p not in EXTRA_PATHS and not is_known_path(p))

    def render(self, lookup: Callable[[tuple[str, ...]], Any], max_length: int = 4000) -> str:
        out = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
            else:
                out.append(format_value(_evaluate(part, lookup)))
        text = "".join(out)
        return text if len(text) <= max_length else text[: max_length - 1] + "…"

    def __repr__(self) -> str:
        return f"Template({self.source!r})"


def _refs(expr: _Expr):
    if isinstance(expr.head, _Ref):
        yield expr.head
    for _, args in expr.filters:
        for arg in args:
            if isinstance(arg, _Ref):
                yield arg


def _value(arg: Any, lookup) -> Any:
    return lookup(arg.path) if isinstance(arg, _Ref) else arg


def _evaluate(expr: _Expr, lookup) -> Any:
    value = _value(expr.head, lookup)
    for name, args in expr.filters:
        fn, _ = FILTERS[name]
        value = fn(value, *(_value(a, lookup) for a in args))
    return value


def _parse(source: str) -> list[Any]:
    parts: list[Any] = []
    pos = 0
    while True:
        start = source.find("{{", pos)
        if start < 0:
            if "}}" in source[pos:]:
                raise TemplateError("'}}' without an opening '{{'", source.find("}}", pos))
            if source[pos:]:
                parts.append(source[pos:])
            return parts
        if "}}" in source[pos:start]:
            raise TemplateError("'}}' without an opening '{{'", source.find("}}", pos))
        if start > pos:
            parts.append(source[pos:start])
        end = source.find("}}", start + 2)
        if end < 0:
            raise TemplateError("'{{' is never closed with '}}'", start)
        parts.append(_parse_expr(source[start + 2:end], start + 2))
        pos = end + 2


def _tokens(text: str, offset: int) -> list[tuple[str, str, int]]:
    out, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m:
            raise TemplateError(f"unexpected {text[pos:].strip()[:20]!r} in template "
                                "(only field names, quoted text, numbers and | filters are allowed)",
                                offset + pos)
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind), offset + m.start(kind)))
        pos = m.end()
    return out


def _literal(kind: str, text: str) -> Any:
    if kind == "str":
        body = text[1:-1]
        return re.sub(r"\\(.)", r"\1", body)
    return float(text) if "." in text else int(text)


def _parse_expr(text: str, offset: int) -> _Expr:
    toks = _tokens(text, offset)
    if not toks:
        raise TemplateError("empty {{ }}", offset)
    i = 0

    def operand() -> Any:
        nonlocal i
        if i >= len(toks):
            raise TemplateError("expected a field name, text or number", offset + len(text))
        kind, val, at = toks[i]
        i += 1
        if kind == "path":
            return _Ref(split_path(val))
        if kind in ("str", "num"):
            return _literal(kind, val)
        raise TemplateError(f"expected a field name, text or number, found {val!r}", at)

    head = operand()
    filters = []
    while i < len(toks):
        kind, val, at = toks[i]
        if val != "|":
            raise TemplateError(f"expected '|' before {val!r}", at)
        i += 1
        if i >= len(toks) or toks[i][0] != "path":
            raise TemplateError("expected a filter name after '|'", at)
        name, name_at = toks[i][1], toks[i][2]
        if name not in FILTERS:
            raise TemplateError(f"unknown filter {name!r}; filters: {', '.join(FILTERS)}", name_at)
        i += 1
        args: list[Any] = []
        if i < len(toks) and toks[i][1] == "(":
            i += 1
            while True:
                args.append(operand())
                if i >= len(toks):
                    raise TemplateError("missing ')'", offset + len(text))
                sep = toks[i][1]
                i += 1
                if sep == ")":
                    break
                if sep != ",":
                    raise TemplateError(f"expected ',' or ')', found {sep!r}", toks[i - 1][2])
        if len(args) > FILTERS[name][1]:
            raise TemplateError(f"filter {name!r} takes at most {FILTERS[name][1]} argument(s)", name_at)
        if name in ("truncate", "round") and args and not isinstance(args[0], int):
            raise TemplateError(f"filter {name!r} expects a whole number", name_at)
        filters.append((name, tuple(args)))
    return _Expr(head, tuple(filters))
