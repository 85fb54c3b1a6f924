"""Checks for the labelled extraction set in tests/data/extraction/.

The set is read by the extraction evaluation, so a malformed line, an unknown
event type or a country code typo would silently skew precision and recall.
These tests validate every line and enforce the minimum coverage promised in
tests/data/extraction/README.md.  They do not import the extractor.

Run ``python tests/unit/test_labelled_set.py`` to print the counts table that
the README embeds between its ``counts`` markers.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

DATA_DIR = Path(__file__).resolve().parents[1] / "data" / "extraction"
SENTENCES = DATA_DIR / "sentences.jsonl"
README = DATA_DIR / "README.md"

# PLOVER 0.7 event types.
TYPES = frozenset({
    "AGREE", "CONSULT", "SUPPORT", "CONCEDE", "COOPERATE", "AID", "RETREAT", "REQUEST",
    "ACCUSE", "REJECT", "THREATEN", "PROTEST", "SANCTION", "MOBILIZE", "COERCE", "ASSAULT",
})
MODES = frozenset({"aerial", "missile", "drone", "artillery", "ground", "naval", "bombing",
                   "sexual", "torture", "assassination"})
IGOS = frozenset({"NATO", "EU", "UN", "AU", "ASEAN", "OPEC", "ICC", "IAEA", "WHO", "IMF",
                  "ECOWAS", "G7", "OSCE"})
# ISO 3166-1 alpha-3, officially assigned codes.
ISO3 = frozenset("""
ABW AFG AGO AIA ALA ALB AND ARE ARG ARM ASM ATA ATF ATG AUS AUT AZE BDI BEL BEN BES BFA BGD
BGR BHR BHS BIH BLM BLR BLZ BMU BOL BRA BRB BRN BTN BVT BWA CAF CAN CCK CHE CHL CHN CIV CMR
COD COG COK COL COM CPV CRI CUB CUW CXR CYM CYP CZE DEU DJI DMA DNK DOM DZA ECU EGY ERI ESH
ESP EST ETH FIN FJI FLK FRA FRO FSM GAB GBR GEO GGY GHA GIB GIN GLP GMB GNB GNQ GRC GRD GRL
GTM GUF GUM GUY HKG HMD HND HRV HTI HUN IDN IMN IND IOT IRL IRN IRQ ISL ISR ITA JAM JEY JOR
JPN KAZ KEN KGZ KHM KIR KNA KOR KWT LAO LBN LBR LBY LCA LIE LKA LSO LTU LUX LVA MAC MAF MAR
MCO MDA MDG MDV MEX MHL MKD MLI MLT MMR MNE MNG MNP MOZ MRT MSR MTQ MUS MWI MYS MYT NAM NCL
NER NFK NGA NIC NIU NLD NOR NPL NRU NZL OMN PAK PAN PCN PER PHL PLW PNG POL PRI PRK PRT PRY
PSE PYF QAT REU ROU RUS RWA SAU SDN SEN SGP SGS SHN SJM SLB SLE SLV SMR SOM SPM SRB SSD STP
SUR SVK SVN SWE SWZ SXM SYC SYR TCA TCD TGO THA TJK TKL TKM TLS TON TTO TUN TUR TUV TWN TZA
UGA UKR UMI URY USA UZB VAT VCT VEN VGB VIR VNM VUT WLF WSM YEM ZAF ZMB ZWE
""".split())
# Not assigned by ISO 3166-1; the user-assigned code in common use for Kosovo.
EXTRA_CODES = frozenset({"XKX"})
CODES = ISO3 | EXTRA_CODES | IGOS

DOMAINS = frozenset({
    "military", "diplomacy", "politics", "security", "economy", "trade", "business", "labour",
    "humanitarian", "law", "sports", "weather", "science", "health", "environment",
    "entertainment", "culture", "technology",
})
REGIONS = frozenset({"europe", "middle_east", "africa", "asia", "americas", "oceania", "global"})

FLAGS = ("negated", "hypothetical", "future", "historical", "reported")
CONTEXT_FLAGS = ("negated", "hypothetical", "future", "historical")
EVENT_KEYS = frozenset({"type", "mode", "actor", "recipient", "location", *FLAGS})
ROW_REQUIRED = ("id", "text", "domain", "region", "events")
ROW_OPTIONAL = ("published_at", "note")

# id prefix -> (description, event type every sentence of the family must contain)
FAMILIES: dict[str, tuple[str, str | None]] = {
    "mob": ("mobilisation, deployments, exercises", "MOBILIZE"),
    "san": ("sanctions, expulsions, severed ties", "SANCTION"),
    "asl": ("attacks and fighting", "ASSAULT"),
    "thr": ("threats", "THREATEN"),
    "agr": ("agreements", "AGREE"),
    "con": ("concessions, releases, declared truces", "CONCEDE"),
    "req": ("requests, calls, demands", "REQUEST"),
    "ret": ("withdrawals, implemented ceasefires", "RETREAT"),
    "aid": ("aid given or pledged", "AID"),
    "rej": ("rejections and vetoes", "REJECT"),
    "acc": ("accusations and condemnations", "ACCUSE"),
    "pro": ("protests and strikes", "PROTEST"),
    "coe": ("arrests and crackdowns", "COERCE"),
    "cns": ("meetings and talks", "CONSULT"),
    "neg": ("negated events", None),
    "hyp": ("hypothetical or conditional events", None),
    "fut": ("planned or future events", None),
    "his": ("historical events", None),
    "multi": ("several events in one sentence", None),
    "trap": ("no event at all", None),
}
FAMILY_FLAG = {"neg": "negated", "hyp": "hypothetical", "fut": "future", "his": "historical"}

# Minimum numbers of plain events (no negated/hypothetical/future/historical flag) per type.
MIN_PLAIN = {
    "MOBILIZE": 40, "SANCTION": 40, "ASSAULT": 40, "THREATEN": 30, "AGREE": 30, "CONCEDE": 25,
    "REQUEST": 30, "RETREAT": 20, "AID": 20, "REJECT": 20, "ACCUSE": 20,
}
MIN_FLAG_EVENTS = {"negated": 20, "hypothetical": 15, "future": 10, "historical": 10}
MIN_CONTEXT_EVENTS = 60
MIN_SENTENCES = 420
MIN_TRAPS = 70
MIN_MULTI = 25

ID_RE = re.compile(r"^([a-z]+)-(\d{3})$")
# Sentences with a relative time expression must carry published_at.
RELATIVE_TIME_RE = re.compile(
    r"\b(?:on|late on|early on|by|from|until|to) (?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b"
    r"|\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)(?:'s)? (?:morning|evening|night|final)\b"
    r"|\bovernight\b|\bthis week\b|\bnext week\b|\bnext month\b|\blater this month\b|\btoday\b|\byesterday\b"
)


def _is_code(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value in CODES)


def validate_event(event: Any) -> list[str]:
    """Return the problems with one event object (empty when it is valid)."""
    if not isinstance(event, dict):
        return [f"event is {type(event).__name__}, not an object"]
    errors = []
    keys = set(event)
    if keys != EVENT_KEYS:
        missing, extra = sorted(EVENT_KEYS - keys), sorted(keys - EVENT_KEYS)
        errors.append(f"event keys: missing {missing}, unexpected {extra}")
    etype = event.get("type")
    if etype not in TYPES:
        errors.append(f"unknown event type {etype!r}")
    mode = event.get("mode")
    if mode is not None:
        if etype != "ASSAULT":
            errors.append(f"mode {mode!r} on a {etype} event (only ASSAULT has a mode)")
        elif mode not in MODES:
            errors.append(f"unknown ASSAULT mode {mode!r}")
    for field in ("actor", "recipient", "location"):
        if not _is_code(event.get(field)):
            errors.append(f"{field} {event.get(field)!r} is neither an ISO-3166 alpha-3 code, an IGO code nor null")
    if event.get("location") in IGOS:
        errors.append(f"location {event.get('location')!r} is an organisation, not a place")
    for flag in FLAGS:
        if flag in event and not isinstance(event[flag], bool):
            errors.append(f"flag {flag} is {event[flag]!r}, not a boolean")
    if event.get("future") and event.get("historical"):
        errors.append("an event cannot be both future and historical")
    return errors


def validate_row(row: Any) -> list[str]:
    """Return the problems with one labelled sentence (empty when it is valid)."""
    if not isinstance(row, dict):
        return [f"line is {type(row).__name__}, not an object"]
    errors = []
    for key in ROW_REQUIRED:
        if key not in row:
            errors.append(f"missing key {key!r}")
    extra = sorted(set(row) - set(ROW_REQUIRED) - set(ROW_OPTIONAL))
    if extra:
        errors.append(f"unexpected keys {extra}")
    rid = row.get("id")
    match = ID_RE.match(rid) if isinstance(rid, str) else None
    family = match.group(1) if match else None
    if not match:
        errors.append(f"id {rid!r} does not look like 'family-001'")
    elif family not in FAMILIES:
        errors.append(f"id {rid!r} has unknown family {family!r}")
    text = row.get("text")
    if not isinstance(text, str) or not text:
        errors.append("text must be a non-empty string")
    else:
        if text != text.strip() or "  " in text or "\n" in text or "\t" in text:
            errors.append("text has stray whitespace")
        if not 15 <= len(text) <= 400:
            errors.append(f"text length {len(text)} outside 15..400")
        if text[-1] not in ".!?'\"":
            errors.append("text does not end like a sentence")
    if row.get("domain") not in DOMAINS:
        errors.append(f"unknown domain {row.get('domain')!r}")
    if row.get("region") not in REGIONS:
        errors.append(f"unknown region {row.get('region')!r}")
    if "published_at" in row:
        try:
            day = dt.date.fromisoformat(row["published_at"])
            if not dt.date(1945, 1, 1) <= day <= dt.date(2030, 12, 31):
                errors.append(f"published_at {day} out of range")
        except (TypeError, ValueError):
            errors.append(f"published_at {row['published_at']!r} is not an ISO date")
    elif isinstance(text, str) and RELATIVE_TIME_RE.search(text):
        errors.append("relative time expression without published_at")
    if "note" in row and not isinstance(row["note"], str):
        errors.append("note must be a string")
    events = row.get("events")
    if not isinstance(events, list):
        errors.append("events must be a list")
        return errors
    for i, event in enumerate(events):
        errors.extend(f"event {i}: {e}" for e in validate_event(event))
    if errors:
        return errors
    if "published_at" not in row and any(e["historical"] for e in events):
        errors.append("historical event without published_at")
    # One event per (type, actor, recipient, flags) in a sentence.
    keys = [(e["type"], e["actor"], e["recipient"], *(e[f] for f in FLAGS)) for e in events]
    if len(keys) != len(set(keys)):
        errors.append("duplicate event (same type, actor, recipient and flags)")
    if family == "trap":
        if events:
            errors.append("a trap sentence must have no events")
        return errors
    if family is not None and not events:
        errors.append(f"family {family!r} needs at least one event")
    wanted_type = FAMILIES.get(family, (None, None))[1]
    if wanted_type and wanted_type not in {e["type"] for e in events}:
        errors.append(f"family {family!r} needs a {wanted_type} event")
    flag = FAMILY_FLAG.get(family)
    if flag and not any(e[flag] for e in events):
        errors.append(f"family {family!r} needs an event flagged {flag}")
    if family == "multi" and len(events) < 2:
        errors.append("a multi sentence needs at least two events")
    return errors


def load(path: Path = SENTENCES) -> tuple[list[dict], list[str]]:
    """Parse the JSONL file; return the rows and the per-line problems."""
    rows, errors = [], []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                errors.append(f"line {lineno}: blank line")
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                errors.append(f"line {lineno}: not JSON ({exc})")
                continue
            problems = validate_row(row)
            errors.extend(f"line {lineno} ({row.get('id') if isinstance(row, dict) else '?'}): {p}"
                          for p in problems)
            rows.append(row)
    return rows, errors


def is_plain(event: dict) -> bool:
    return not any(event[f] for f in CONTEXT_FLAGS)


def count(rows: list[dict]) -> dict[str, Any]:
    events = [e for r in rows for e in r["events"]]
    return {
        "sentences": len(rows),
        "traps": sum(1 for r in rows if not r["events"]),
        "multi": sum(1 for r in rows if len(r["events"]) >= 2),
        "events": len(events),
        "plain": Counter(e["type"] for e in events if is_plain(e)),
        "by_type": {f: Counter(e["type"] for e in events if e[f]) for f in FLAGS},
        "all": Counter(e["type"] for e in events),
        "sentences_with": Counter(t for r in rows for t in {e["type"] for e in r["events"]}),
        "flag_events": Counter(f for e in events for f in FLAGS if e[f]),
        "flag_sentences": Counter(f for r in rows for f in FLAGS if any(e[f] for e in r["events"])),
        "context_events": sum(1 for e in events if not is_plain(e)),
        "context_sentences": sum(1 for r in rows if any(not is_plain(e) for e in r["events"])),
        "modes": Counter(e["mode"] or "null" for e in events if e["type"] == "ASSAULT"),
        "families": Counter(ID_RE.match(r["id"]).group(1) for r in rows),
        "regions": Counter(r["region"] for r in rows),
        "domains": Counter(r["domain"] for r in rows),
    }


def counts_table(rows: list[dict]) -> str:
    """Markdown tables of the counts, as embedded in the README."""
    c = count(rows)
    out = [
        f"Sentences: **{c['sentences']}**; events: **{c['events']}**; no-event traps: **{c['traps']}**; "
        f"sentences with two or more events: **{c['multi']}**; context events (negated, hypothetical, "
        f"future or historical): **{c['context_events']}** in **{c['context_sentences']}** sentences.",
        "",
        "| type | plain | negated | hypothetical | future | historical | reported | all events | sentences |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for t in sorted(c["all"], key=lambda t: (-c["plain"][t], t)):
        flags = " | ".join(str(c["by_type"][f][t]) for f in FLAGS)
        out.append(f"| {t} | {c['plain'][t]} | {flags} | {c['all'][t]} | {c['sentences_with'][t]} |")
    out += ["", "| flag | events | sentences |", "|---|---:|---:|"]
    out += [f"| {f} | {c['flag_events'][f]} | {c['flag_sentences'][f]} |" for f in FLAGS]
    out += ["", "| ASSAULT mode | events |", "|---|---:|"]
    out += [f"| {m} | {n} |" for m, n in sorted(c["modes"].items(), key=lambda kv: (-kv[1], kv[0]))]
    out += ["", "| id family | sentences | content |", "|---|---:|---|"]
    out += [f"| {fam}- | {c['families'][fam]} | {FAMILIES[fam][0]} |" for fam in FAMILIES if c["families"][fam]]
    out += ["", "| region | sentences |", "|---|---:|"]
    out += [f"| {k} | {v} |" for k, v in sorted(c["regions"].items(), key=lambda kv: (-kv[1], kv[0]))]
    out += ["", "| domain | sentences |", "|---|---:|"]
    out += [f"| {k} | {v} |" for k, v in sorted(c["domains"].items(), key=lambda kv: (-kv[1], kv[0]))]
    return "\n".join(out)


# ---------------------------------------------------------------- tests


@pytest.fixture(scope="module")
def loaded() -> tuple[list[dict], list[str]]:
    return load()


@pytest.fixture(scope="module")
def rows(loaded) -> list[dict]:
    rows, errors = loaded
    if errors:
        pytest.fail("labelled set is malformed; fix these first:\n" + "\n".join(errors[:50]))
    return rows


def test_every_line_is_valid(loaded):
    _, errors = loaded
    assert not errors, "\n".join(errors[:50])


def test_ids_and_texts_are_unique(rows):
    ids = Counter(r["id"] for r in rows)
    texts = Counter(r["text"].casefold() for r in rows)
    assert [i for i, n in ids.items() if n > 1] == []
    assert [t for t, n in texts.items() if n > 1] == []


def test_ids_are_numbered_in_order(rows):
    seen: dict[str, list[int]] = {}
    for r in rows:
        fam, num = ID_RE.match(r["id"]).groups()
        seen.setdefault(fam, []).append(int(num))
    for fam, nums in seen.items():
        assert nums == list(range(1, len(nums) + 1)), f"{fam}- ids are not 001..{len(nums):03d} in file order"


def test_size_and_traps(rows):
    c = count(rows)
    assert c["sentences"] >= MIN_SENTENCES
    assert c["traps"] >= MIN_TRAPS
    assert c["multi"] >= MIN_MULTI


@pytest.mark.parametrize("etype", sorted(MIN_PLAIN))
def test_minimum_plain_events_per_type(rows, etype):
    assert count(rows)["plain"][etype] >= MIN_PLAIN[etype]


@pytest.mark.parametrize("flag", sorted(MIN_FLAG_EVENTS))
def test_minimum_context_cases(rows, flag):
    c = count(rows)
    assert c["flag_events"][flag] >= MIN_FLAG_EVENTS[flag]
    assert c["context_events"] >= MIN_CONTEXT_EVENTS


def test_many_regions_and_domains(rows):
    c = count(rows)
    assert len(c["regions"]) >= 6
    assert all(n >= 20 for r, n in c["regions"].items() if r not in ("oceania", "global"))
    assert len(c["domains"]) >= 12
    # Ukraine must not dominate the set.
    ukraine = sum(1 for r in rows if any("UKR" in (e["actor"], e["recipient"]) for e in r["events"]))
    assert ukraine <= 0.2 * c["sentences"]


def test_readme_mentions_only_existing_ids(rows):
    ids = {r["id"] for r in rows}
    mentioned = set(re.findall(r"`([a-z]+-\d{3})`", README.read_text(encoding="utf-8")))
    assert mentioned, "README should point at example sentences"
    assert sorted(mentioned - ids) == []


def test_readme_table_matches_data(rows):
    text = README.read_text(encoding="utf-8")
    start, end = "<!-- counts:start -->", "<!-- counts:end -->"
    assert start in text and end in text, "README lacks the counts markers"
    embedded = text.split(start, 1)[1].split(end, 1)[0].strip()
    assert embedded == counts_table(rows), (
        "README counts are stale; regenerate with: python tests/unit/test_labelled_set.py")


GOOD_EVENT = {"type": "ASSAULT", "mode": "drone", "actor": "RUS", "recipient": "UKR", "location": "UKR",
              "negated": False, "hypothetical": False, "future": False, "historical": False, "reported": True}
GOOD_ROW = {"id": "asl-001", "text": "Russian drones struck Odesa overnight, officials said.",
            "domain": "military", "region": "europe", "published_at": "2024-05-01", "events": [GOOD_EVENT]}


def _bad(row_changes=None, event_changes=None, drop=None):
    row = dict(GOOD_ROW, **(row_changes or {}))
    if event_changes is not None:
        row["events"] = [dict(GOOD_EVENT, **event_changes)]
    if drop:
        row.pop(drop)
    return row


@pytest.mark.parametrize("row", [
    _bad(event_changes={"type": "ATTACK"}),
    _bad(event_changes={"mode": "laser"}),
    _bad(event_changes={"type": "SANCTION", "mode": "drone"}),
    _bad(event_changes={"actor": "RU"}),
    _bad(event_changes={"actor": "Russia"}),
    _bad(event_changes={"recipient": "XYZ"}),
    _bad(event_changes={"location": "NATO"}),
    _bad(event_changes={"negated": "no"}),
    _bad(event_changes={"future": True, "historical": True}),
    _bad(row_changes={"id": "asl-1"}),
    _bad(row_changes={"id": "zzz-001"}),
    _bad(row_changes={"id": "trap-001"}),
    _bad(row_changes={"id": "neg-001"}),
    _bad(row_changes={"id": "multi-001"}),
    _bad(row_changes={"id": "mob-001"}),
    _bad(row_changes={"region": "moon"}),
    _bad(row_changes={"domain": "gossip"}),
    _bad(row_changes={"published_at": "01/05/2024"}),
    _bad(row_changes={"text": "Russian drones struck Odesa  overnight."}),
    _bad(row_changes={"events": [GOOD_EVENT, dict(GOOD_EVENT)]}),
    _bad(row_changes={"extra": 1}),
    _bad(drop="published_at"),
    _bad(row_changes={"text": "Russian drones struck Odesa in 2019."}, event_changes={"historical": True},
         drop="published_at"),
    _bad(drop="events"),
    _bad(row_changes={"events": [{k: v for k, v in GOOD_EVENT.items() if k != "reported"}]}),
])
def test_validator_rejects_bad_rows(row):
    assert validate_row(row), f"validator accepted a bad row: {row}"


def test_validator_accepts_good_row():
    assert validate_row(GOOD_ROW) == []
    assert validate_row(dict(GOOD_ROW, id="trap-001", events=[])) == []


if __name__ == "__main__":
    data, problems = load()
    if problems:
        raise SystemExit("\n".join(problems))
    print(counts_table(data))
