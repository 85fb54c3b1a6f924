"""Load and validate the vocabularies in ``stream/extract/data/``.

Linguists edit these files, not Python, so every problem is reported with
its file, line and field, and all problems are collected before raising one
``LexiconError`` (the way a rule loader lists every bad rule at once).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml

from .errors import LexiconError, Problem

__all__ = ["Lexicon", "Trigger", "GazEntry", "DATA_DIR", "EVENT_TYPES", "SECTORS", "IGO_CODES", "load_lexicon"]

DATA_DIR = Path(__file__).parent / "data"

EVENT_TYPES = frozenset({
    "AGREE", "CONCEDE", "RETREAT", "MOBILIZE", "SANCTION", "ASSAULT", "THREATEN", "REQUEST", "AID",
    "REJECT", "ACCUSE", "PROTEST", "COERCE", "CONSULT", "SUPPORT", "COOPERATE", "INVESTIGATE",
})
SECTORS = frozenset({"GOV", "MIL", "REB", "IGO", "POL", "CVL", "BUS", "MED"})
IGO_CODES = frozenset({"NATO", "EU", "UN", "AU", "ASEAN", "OPEC", "ICC", "IAEA", "WHO", "IMF", "ECOWAS", "G7", "OSCE"})
FRAMES = frozenset({"event", "governor", "must"})
COMPLEMENTS = frozenset({"any", "modal", "inner", "clause"})
POS_TAGS = frozenset({"VERB", "NOUN", "PROPN", "ADJ", "AUX", "ADV", "ADP"})


@dataclass(frozen=True)
class Trigger:
    """One trigger entry: surface terms of one event sense and the conditions that confirm the sense."""

    id: str
    type: str
    terms: tuple[str, ...]
    mode: str | None = None
    pos: tuple[str, ...] = ()
    need: tuple[str, ...] = ()
    need_object: tuple[str, ...] = ()
    forbid: tuple[str, ...] = ()
    forbid_object: tuple[str, ...] = ()
    forbid_head: tuple[str, ...] = ()
    forbid_complement: tuple[str, ...] = ()
    head_verbs: tuple[str, ...] = ()
    frame: str = "event"
    need_complement: str | None = None
    inner_map: dict[str, str] = field(default_factory=dict)
    priority: int = 0
    confidence: float = 0.6
    line: int = 0


@dataclass(frozen=True)
class GazEntry:
    """A gazetteer name: the text as written, its code and sector, and the entity label to give it."""

    text: str
    code: str | None
    sector: str | None
    name: str
    label: str
    kind: str  # "state", "capital", "demonym", "actor", "place"


@dataclass
class Lexicon:
    triggers: list[Trigger]
    senses: dict[str, frozenset[str]]
    cues: dict[str, dict[str, tuple[str, ...]]]
    sectors: dict[str, frozenset[str]]
    modes: dict[str, dict[str, Any]]
    gazetteer: list[GazEntry]

    def sense_words(self, names: Iterable[str]) -> frozenset[str]:
        """Words of the named classes; a name that is not a class stands for itself."""
        out: set[str] = set()
        for name in names:
            out |= self.senses.get(name, {name})
        return frozenset(out)


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, file: str, line: int, fld: str | None, msg: str) -> None:
        self.problems.append(Problem(file, line, fld, msg))


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML loader that rejects duplicate keys (a silent overwrite loses a linguist's edit)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (first on line {seen[key]})", key_node.start_mark)
        seen[key] = key_node.start_mark.line + 1
    return yaml.SafeLoader.construct_mapping(loader, node, deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _load_yaml(path: Path, col: _Collector) -> tuple[dict, dict[str, int]]:
    """Return the mapping and the line of each top-level key."""
    try:
        text = path.read_text(encoding="utf-8")
        node = yaml.compose(text, Loader=_UniqueKeyLoader)
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except OSError as exc:
        col.add(path.name, 0, None, f"cannot read: {exc}")
        return {}, {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        col.add(path.name, (mark.line + 1) if mark else 0, None, f"invalid YAML: {getattr(exc, 'problem', exc)}")
        return {}, {}
    if not isinstance(data, dict):
        col.add(path.name, 1, None, "expected a mapping at the top level")
        return {}, {}
    lines = {k.value: k.start_mark.line + 1 for k, _ in node.value} if node is not None else {}
    return data, lines


def _word_list(value: Any, file: str, line: int, fld: str, col: _Collector) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        col.add(file, line, fld, "expected a list of non-empty strings")
        return ()
    return tuple(v.strip().lower() for v in value)


def _load_senses(path: Path, col: _Collector) -> dict[str, frozenset[str]]:
    data, lines = _load_yaml(path, col)
    out = {}
    for name, words in data.items():
        if not isinstance(name, str) or not re.match(r"^[a-z_]+$", name):
            col.add(path.name, lines.get(name, 0), str(name), "class names are lower_case identifiers")
            continue
        out[name] = frozenset(_word_list(words, path.name, lines.get(name, 0), name, col))
    return out


def _load_cues(path: Path, col: _Collector) -> dict[str, dict[str, tuple[str, ...]]]:
    data, lines = _load_yaml(path, col)
    known = {"negated", "hypothetical", "future", "reported", "historical"}
    kinds = {"words", "governors", "phrases", "marks", "verbs"}
    out: dict[str, dict[str, tuple[str, ...]]] = {k: {} for k in known}
    for flag, spec in data.items():
        line = lines.get(flag, 0)
        if flag not in known:
            col.add(path.name, line, str(flag), f"unknown flag (expected one of {', '.join(sorted(known))})")
            continue
        if not isinstance(spec, dict):
            col.add(path.name, line, flag, "expected a mapping of cue lists")
            continue
        for kind, words in spec.items():
            if kind not in kinds:
                col.add(path.name, line, f"{flag}.{kind}", f"unknown cue kind (expected {', '.join(sorted(kinds))})")
                continue
            out[flag][kind] = _word_list(words, path.name, line, f"{flag}.{kind}", col)
    return out


def _load_sectors(path: Path, col: _Collector) -> dict[str, frozenset[str]]:
    data, lines = _load_yaml(path, col)
    out = {}
    for sector, words in data.items():
        if sector not in SECTORS:
            col.add(path.name, lines.get(sector, 0), str(sector), f"unknown sector (expected {', '.join(sorted(SECTORS))})")
            continue
        out[sector] = frozenset(_word_list(words, path.name, lines.get(sector, 0), sector, col))
    return out


def _load_modes(path: Path, col: _Collector) -> dict[str, dict[str, Any]]:
    data, lines = _load_yaml(path, col)
    out: dict[str, dict[str, Any]] = {}
    for etype, spec in data.items():
        line = lines.get(etype, 0)
        if etype not in EVENT_TYPES:
            col.add(path.name, line, str(etype), "unknown event type")
            continue
        if not isinstance(spec, dict):
            col.add(path.name, line, etype, "expected a mapping mode -> cue words")
            continue
        modes: dict[str, Any] = {"default": spec.get("default")}
        inner = spec.get("inner") or {}
        if not isinstance(inner, dict) or not all(k in EVENT_TYPES and isinstance(v, str) for k, v in inner.items()):
            col.add(path.name, line, f"{etype}.inner", "expected a mapping event type -> mode")
            inner = {}
        modes["inner"] = dict(inner)
        for mode, words in spec.items():
            if mode not in ("default", "inner"):
                modes[mode] = _word_list(words, path.name, line, f"{etype}.{mode}", col)
        out[etype] = modes
    return out


_TRIGGER_LISTS = ("pos", "need", "need_object", "forbid", "forbid_object", "forbid_head", "forbid_complement",
                  "head_verbs")
_TRIGGER_FIELDS = {"id", "type", "terms", "mode", "frame", "need_complement", "inner_map", "priority",
                   "confidence", *_TRIGGER_LISTS}


def _load_triggers(path: Path, senses: dict, col: _Collector) -> list[Trigger]:
    out: list[Trigger] = []
    ids: dict[str, int] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        col.add(path.name, 0, None, f"cannot read: {exc}")
        return out
    for n, raw in enumerate(lines, 1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        try:
            d = json.loads(raw)
        except json.JSONDecodeError as exc:
            col.add(path.name, n, None, f"invalid JSON: {exc.msg} (column {exc.colno})")
            continue
        if not isinstance(d, dict):
            col.add(path.name, n, None, "expected a JSON object")
            continue
        before = len(col.problems)
        for key in d:
            if key not in _TRIGGER_FIELDS:
                col.add(path.name, n, key, "unknown field")
        tid = d.get("id")
        if not isinstance(tid, str) or not tid:
            col.add(path.name, n, "id", "required non-empty string")
        elif tid in ids:
            col.add(path.name, n, "id", f"duplicate id {tid!r} (first on line {ids[tid]})")
        else:
            ids[tid] = n
        if d.get("type") not in EVENT_TYPES:
            col.add(path.name, n, "type", f"unknown event type {d.get('type')!r}")
        terms = d.get("terms")
        if not isinstance(terms, list) or not terms or not all(isinstance(t, str) and t.strip() for t in terms):
            col.add(path.name, n, "terms", "required non-empty list of non-empty strings")
            terms = []
        lists = {k: _word_list(d.get(k), path.name, n, k, col) for k in _TRIGGER_LISTS}
        lists["pos"] = tuple(p.upper() for p in lists["pos"])
        for p in lists["pos"]:
            if p not in POS_TAGS:
                col.add(path.name, n, "pos", f"unknown part of speech {p!r}")
        for k in ("need", "need_object", "forbid", "forbid_object"):
            for name in lists[k]:
                if name.startswith("@"):
                    if name not in ("@actor", "@place"):
                        col.add(path.name, n, k, f"unknown special class {name!r} (@actor, @place)")
                elif "_" in name and name not in senses:
                    col.add(path.name, n, k, f"unknown word class {name!r} (not in senses.yaml)")
        frame = d.get("frame", "event")
        if frame not in FRAMES:
            col.add(path.name, n, "frame", f"unknown frame {frame!r} (expected {', '.join(sorted(FRAMES))})")
        comp = d.get("need_complement")
        if comp is not None and comp not in COMPLEMENTS:
            col.add(path.name, n, "need_complement", f"expected one of {', '.join(sorted(COMPLEMENTS))}")
        inner = d.get("inner_map") or {}
        if not isinstance(inner, dict) or not all(k in EVENT_TYPES and v in EVENT_TYPES for k, v in inner.items()):
            col.add(path.name, n, "inner_map", "expected a mapping event type -> event type")
            inner = {}
        conf = d.get("confidence", 0.6)
        if not isinstance(conf, (int, float)) or isinstance(conf, bool) or not 0 <= conf <= 1:
            col.add(path.name, n, "confidence", "expected a number in [0, 1]")
            conf = 0.6
        prio = d.get("priority", 0)
        if not isinstance(prio, int) or isinstance(prio, bool):
            col.add(path.name, n, "priority", "expected an integer")
            prio = 0
        mode = d.get("mode")
        if mode is not None and not isinstance(mode, str):
            col.add(path.name, n, "mode", "expected a string or null")
        if len(col.problems) > before:
            continue
        out.append(Trigger(
            id=tid, type=d["type"], terms=tuple(t.strip().lower() for t in terms), mode=mode, frame=frame,
            need_complement=comp, inner_map=dict(inner), priority=prio, confidence=float(conf), line=n,
            **lists,
        ))
    return out


def load_lexicon(data_dir: str | Path | None = None) -> Lexicon:
    """Read every data file; raise ``LexiconError`` listing all problems if any file is invalid."""
    from .tables import load_gazetteer   # tables needs this module's types

    d = Path(data_dir) if data_dir else DATA_DIR
    col = _Collector()
    senses = _load_senses(d / "senses.yaml", col)
    lex = Lexicon(
        triggers=_load_triggers(d / "triggers.jsonl", senses, col),
        senses=senses,
        cues=_load_cues(d / "cues.yaml", col),
        sectors=_load_sectors(d / "sectors.yaml", col),
        modes=_load_modes(d / "modes.yaml", col),
        gazetteer=load_gazetteer(d, col),
    )
    if col.problems:
        raise LexiconError(col.problems)
    return lex
