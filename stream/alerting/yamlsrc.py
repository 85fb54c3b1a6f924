"""A safe YAML loader that remembers where every value came from.

``yaml.compose`` gives nodes with marks; we build plain dicts/lists from them
(``YMap``/``YList`` subclasses that also hold 1-based line/column of each key
and value) so errors can point at the exact spot. It only builds the standard
types (no python tags), rejects duplicate keys, and rejects aliases (use
shared lists and macros instead), which also rules out "billion laughs".
"""

from __future__ import annotations

from typing import Any

import yaml

from .errors import Location, Problems
from .limits import Limits

__all__ = ["YMap", "YList", "load_documents", "loc_of", "key_loc"]

_STANDARD = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_STANDARD + t for t in ("str", "int", "float", "bool", "null", "timestamp")}


class YMap(dict):
    """A mapping with ``loc`` (its start) and per-key locations of keys and values."""

    loc: Location
    key_locs: dict[str, Location]
    value_locs: dict[str, Location]


class YList(list):
    loc: Location
    item_locs: list[Location]


def loc_of(container: Any, key: Any = None, default: Location | None = None) -> Location | None:
    """Location of ``container[key]`` (or of the container when key is None)."""
    if key is None:
        return getattr(container, "loc", default)
    if isinstance(container, YMap):
        return container.value_locs.get(key, container.loc)
    if isinstance(container, YList) and isinstance(key, int) and 0 <= key < len(container.item_locs):
        return container.item_locs[key]
    return getattr(container, "loc", default)


def key_loc(container: Any, key: str) -> Location | None:
    if isinstance(container, YMap):
        return container.key_locs.get(key, container.loc)
    return getattr(container, "loc", None)


class _Builder:
    def __init__(self, file: str | None, problems: Problems, limits: Limits):
        self.file = file
        self.problems = problems
        self.limits = limits
        self.seen: set[int] = set()
        self.count = 0
        self.constructor = yaml.SafeLoader("")

    def loc(self, node: yaml.Node) -> Location:
        mark = node.start_mark
        return Location(self.file, mark.line + 1, mark.column + 1)

    def build(self, node: yaml.Node) -> Any:
        if id(node) in self.seen:
            self.problems.error("YAML anchors and aliases (&name / *name) are not supported; "
                                "use shared lists or macros instead", self.loc(node), code="yaml")
            return None
        self.seen.add(id(node))
        self.count += 1
        if self.count > self.limits.max_yaml_nodes:
            raise _TooBig(self.loc(node))
        if isinstance(node, yaml.MappingNode):
            if node.tag != _STANDARD + "map":
                self.problems.error(f"unsupported YAML tag {node.tag}", self.loc(node), code="yaml")
                return None
            return self.mapping(node)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _STANDARD + "seq":
                self.problems.error(f"unsupported YAML tag {node.tag}", self.loc(node), code="yaml")
                return None
            out = YList()
            out.loc = self.loc(node)
            out.item_locs = []
            for item in node.value:
                out.item_locs.append(self.loc(item))
                out.append(self.build(item))
            return out
        if node.tag not in _SCALAR_TAGS:
            self.problems.error(f"unsupported YAML tag {node.tag}: only plain text, numbers, "
                                "booleans, lists and mappings are allowed", self.loc(node), code="yaml")
            return None
        return self.constructor.construct_object(node)

    def mapping(self, node: yaml.MappingNode) -> YMap:
        out = YMap()
        out.loc = self.loc(node)
        out.key_locs = {}
        out.value_locs = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _STANDARD + "merge":
                self.problems.error("mapping keys must be plain names (no merge keys or complex keys)",
                                    self.loc(key_node), code="yaml")
                continue
            key = key_node.value
            if key in out:
                first = out.key_locs[key]
                self.problems.error(f"duplicate key {key!r} (first defined on line {first.line})",
                                    self.loc(key_node), code="duplicate-key")
                continue
            out.key_locs[key] = self.loc(key_node)
            out.value_locs[key] = self.loc(value_node)
            out[key] = self.build(value_node)
        return out


class _TooBig(Exception):
    def __init__(self, loc: Location):
        self.loc = loc


def load_documents(text: str, file: str | None, problems: Problems,
                   limits: Limits | None = None) -> list[Any]:
    """Every YAML document in ``text`` as located values; syntax errors go to ``problems``."""
    limits = limits or Limits()
    docs: list[Any] = []
    builder = _Builder(file, problems, limits)
    try:
        for node in yaml.compose_all(text, Loader=yaml.SafeLoader):
            if node is not None:
                docs.append(builder.build(node))
    except _TooBig as exc:
        problems.error(f"file has more than {limits.max_yaml_nodes} YAML values; split it up",
                       exc.loc, code="limit")
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)
        what = " ".join(x for x in (exc.context, exc.problem) if x)
        problems.error(f"YAML syntax error: {what}", where, code="yaml")
    except yaml.YAMLError as exc:
        problems.error(f"YAML syntax error: {exc}", Location(file), code="yaml")
    return docs
