"""The gazetteer tables (TSV): states, named actors, places -> codes.

Tab-separated so a linguist can edit them in any spreadsheet; a header row
names the columns and ``#`` starts a comment line. Every row is checked:
codes must be ISO-3166 alpha-3 or one of the IGO codes, sectors one of the
PLOVER-style sectors.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable

from .lexicon import IGO_CODES, SECTORS, GazEntry

__all__ = ["load_gazetteer"]

_CODE = re.compile(r"^[A-Z]{3}$")


def _split(cell: str) -> list[str]:
    return [p.strip() for p in cell.split("|") if p.strip()]


def _read_tsv(path: Path, header: list[str], col) -> Iterable[tuple[int, dict[str, str]]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        col.add(path.name, 0, None, f"cannot read: {exc}")
        return
    seen_header = False
    for n, raw in enumerate(lines, 1):
        if not raw.strip() or raw.startswith("#"):
            continue
        cells = raw.split("\t")
        if not seen_header:
            seen_header = True
            if [c.strip() for c in cells] != header:
                col.add(path.name, n, None, f"header must be: {' '.join(header)} (tab-separated)")
                return
            continue
        if len(cells) > len(header):
            col.add(path.name, n, None, f"{len(cells)} columns, expected {len(header)} (tab-separated)")
            continue
        cells += [""] * (len(header) - len(cells))
        yield n, dict(zip(header, (c.strip() for c in cells)))


def _check_code(code: str, file: str, n: int, col, allow_empty: bool = False) -> bool:
    if not code and allow_empty:
        return True
    if not (_CODE.match(code) or code in IGO_CODES):
        col.add(file, n, "code", f"{code!r} is neither an ISO-3166 alpha-3 code nor a known IGO code")
        return False
    return True


def load_gazetteer(data_dir: Path, col) -> list[GazEntry]:
    """Countries, actors and places; problems go to ``col`` (a collector with ``add(file, line, field, msg)``)."""
    out: list[GazEntry] = []
    path = data_dir / "countries.tsv"
    for n, row in _read_tsv(path, ["code", "name", "aliases", "demonyms", "capitals"], col):
        if not _check_code(row["code"], path.name, n, col) or not row["name"]:
            if not row["name"]:
                col.add(path.name, n, "name", "required")
            continue
        for text in [row["name"], *_split(row["aliases"])]:
            out.append(GazEntry(text, row["code"], "GOV", row["name"], "GPE", "state"))
        for text in _split(row["demonyms"]):
            out.append(GazEntry(text, row["code"], None, row["name"], "NORP", "demonym"))
        for text in _split(row["capitals"]):
            out.append(GazEntry(text, row["code"], "GOV", row["name"], "GPE", "capital"))
    path = data_dir / "actors.tsv"
    for n, row in _read_tsv(path, ["text", "code", "sector", "name", "label"], col):
        ok = _check_code(row["code"], path.name, n, col, allow_empty=True)
        if row["sector"] not in SECTORS:
            col.add(path.name, n, "sector", f"{row['sector']!r} not one of {', '.join(sorted(SECTORS))}")
            ok = False
        if row["label"] not in {"PERSON", "ORG", "NORP", "GPE"}:
            col.add(path.name, n, "label", "expected PERSON, ORG, NORP or GPE")
            ok = False
        if not row["text"]:
            col.add(path.name, n, "text", "required")
            ok = False
        if ok:
            out.append(GazEntry(row["text"], row["code"] or None, row["sector"], row["name"] or row["text"],
                                row["label"], "actor"))
    path = data_dir / "places.tsv"
    for n, row in _read_tsv(path, ["text", "code", "name"], col):
        if not row["text"]:
            col.add(path.name, n, "text", "required")
        elif _check_code(row["code"], path.name, n, col):
            out.append(GazEntry(row["text"], row["code"], None, row["name"] or row["text"], "GPE", "place"))
    return out

