"""Turn raw article text into paragraphs the sentence splitter can trust.

News text mixes headlines, datelines, bylines and photo captions with the
story. Splitting paragraphs first keeps a headline or caption from merging
into the next sentence; datelines and bylines are cut off (and recorded) so
"KYIV, March 15 (Reuters) -" is not read as part of the first sentence;
captions are kept but flagged, since a photo caption states a scene, not news.
Offsets always point into the original article text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

__all__ = ["Paragraph", "Prepared", "prepare", "resolve_date", "DATE_LINE"]

# The plain-text seed format: a first line starting with " date YYYY-MM-DD".
DATE_LINE = re.compile(r"^\s*date\s+(\d{4}-\d{2}-\d{2})\b[ \t]*")
_PARA_SPLIT = re.compile(r"\n[ \t\r]*\n\s*")
_DATELINE = re.compile(
    r"^(?P<dl>(?P<place>[A-Z][A-Za-z.'\-]*(?:\s[A-Z][A-Za-z.'\-]*){0,3})"              # KYIV, NEW YORK
    r"(?:,\s*[A-Z][A-Za-z.]+(?:\s+[A-Z][A-Za-z.]+)?)?"                                # , Ukraine
    r"(?:,?\s*(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2})?"  # , March 15
    r"(?:\s*\((?:Reuters|AP|AFP|Xinhua|dpa|DPA|UPI|TASS|Interfax|Bloomberg|CNN|BBC)\))?"  # (Reuters)
    r")\s*(?:[-\u2013\u2014]+|:)\s+")
_AGENCY = re.compile(r"\((?:Reuters|AP|AFP|Xinhua|dpa|DPA|UPI|TASS|Interfax|Bloomberg)\)")
_BYLINE = re.compile(r"^(?:By|BY|Written by|Reporting by)\s+[A-Z][\w.'\-]+(?:\s+[A-Z][\w.'\-]+){0,3}"
                     r"(?:\s*(?:,|and|&)\s*[A-Z][\w.'\-]+(?:\s+[A-Z][\w.'\-]+){0,3})*(?:\s*[,|]\s*[\w ]{0,40})?\s*$")
# A paragraph ending in a photo credit: "(Leon Neal/Getty Images)", "(AP Photo/Efrem Lukatsky)".
_CREDIT = re.compile(r"\((?:[^()]{0,80}/[^()]{1,80}|[^()]{0,60}(?:Getty Images|Photo|photo|Reuters|AFP|"
                     r"Associated Press|EPA|Images|Press|Pool|handout|Handout|via [A-Z][^()]*))\)\s*$")
_PHOTO_PREFIX = re.compile(r"^(?:Photo|PHOTO|Picture|Image|FILE PHOTO|File photo)\s*[:\-\u2013\u2014]")
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
           "october", "november", "december"]


@dataclass(frozen=True)
class Paragraph:
    text: str
    start: int            # offset of ``text`` in the article
    index: int
    caption: bool = False
    headline: bool = False


@dataclass(frozen=True)
class Prepared:
    paragraphs: tuple[Paragraph, ...]
    dateline: str | None = None
    byline: str | None = None
    published: date | None = None   # from a " date YYYY-MM-DD" line when the article has none


def _is_headline(text: str) -> bool:
    return len(text) <= 120 and "\n" not in text and not text.rstrip().endswith((".", "?", "!", ":", "\u201d", '"', ";"))


def _split_lines(text: str, start: int) -> list[tuple[str, int]]:
    """Within a blank-line paragraph, a line with no final punctuation (a headline) stands alone."""
    out: list[tuple[str, int]] = []
    pos = 0
    lines = text.split("\n")
    buf_start = 0
    for i, line in enumerate(lines):
        end = pos + len(line)
        if i < len(lines) - 1 and line.strip() and _is_headline(line):
            chunk = text[buf_start:end]
            if chunk.strip():
                out.append((chunk, start + buf_start))
            buf_start = end + 1
        pos = end + 1
    chunk = text[buf_start:]
    if chunk.strip():
        out.append((chunk, start + buf_start))
    return out


def prepare(text: str) -> Prepared:
    """Paragraphs with offsets, minus dateline and byline, with captions and headlines flagged."""
    published = None
    base = 0
    m = DATE_LINE.match(text)
    if m:
        try:
            published = date.fromisoformat(m.group(1))
        except ValueError:   # "date 2025-13-45": not a date; the line is still not article text
            published = None
        base = m.end()
    chunks: list[tuple[str, int]] = []
    pos = base
    for part in _PARA_SPLIT.split(text[base:]):
        idx = text.index(part, pos) if part else pos
        pos = idx + len(part)
        chunks.extend(_split_lines(part, idx))
    dateline = byline = None
    paragraphs: list[Paragraph] = []
    for raw, start in chunks:
        lead = len(raw) - len(raw.lstrip())
        body = raw.strip()
        start += lead
        if not body:
            continue
        if byline is None and len(paragraphs) <= 2 and _BYLINE.match(body):
            byline = body
            continue
        if dateline is None and len(paragraphs) <= 1:
            dm = _DATELINE.match(body)
            if dm and (_AGENCY.search(dm.group("dl")) or dm.group("place").isupper()
                       or re.search(r"\d", dm.group("dl"))):
                dateline = dm.group("dl").strip()
                start += dm.end()
                body = body[dm.end():]
        caption = bool(_CREDIT.search(body) or _PHOTO_PREFIX.match(body))
        paragraphs.append(Paragraph(body, start, len(paragraphs), caption=caption,
                                    headline=not caption and _is_headline(body)))
    return Prepared(tuple(paragraphs), dateline=dateline, byline=byline, published=published)


def resolve_date(expr: str, published: date | None, future: bool = False) -> str | None:
    """An ISO date for "on Thursday", "yesterday", "March 2", relative to the publication date.

    News reports past weekdays ("said on Thursday" = the last Thursday up to
    publication); a future event ("will meet on Thursday") takes the next one.
    """
    if published is None:
        return None
    try:
        return _resolve(expr.lower(), published, future)
    except (ValueError, OverflowError):   # Feb 29 of a common year, dates before year 1 or after 9999
        return None


def _resolve(low: str, published: date, future: bool) -> str | None:
    if "yesterday" in low:
        return (published - timedelta(days=1)).isoformat()
    if "tomorrow" in low:
        return (published + timedelta(days=1)).isoformat()
    if re.search(r"\b(today|tonight|this morning|this afternoon|this evening)\b", low):
        return published.isoformat()
    for i, day in enumerate(_WEEKDAYS):
        if re.search(rf"\b{day}\b", low):
            delta = (published.weekday() - i) % 7
            if future:
                return (published + timedelta(days=(i - published.weekday()) % 7 or 7)).isoformat()
            return (published - timedelta(days=delta)).isoformat()
    m = re.search(r"\b(" + "|".join(_MONTHS) + r"|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\.?\s+(\d{1,2})\b"
                  r"(?:,?\s+(\d{4}))?", low)
    if m:
        name = m.group(1)
        month = next(i for i, full in enumerate(_MONTHS, 1) if full.startswith(name))
        day = int(m.group(2))
        year = int(m.group(3)) if m.group(3) else published.year
        value = date(year, month, day)
        if not m.group(3) and not future and value > published + timedelta(days=2):
            value = value.replace(year=year - 1)
        return value.isoformat()
    return None
