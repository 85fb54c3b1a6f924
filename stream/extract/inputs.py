"""Read articles from files the way ``sitrep extract`` and ``sitrep produce`` accept them.

Accepted: a JSONL file of articles, a JSON file holding one article or a
list, a plain-text file (first line may start with `` date YYYY-MM-DD``), a
directory of such files (sorted, hidden files skipped), or ``-`` for stdin.
Pure: nothing here knows about spaCy or Kafka.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from ..errors import DecodeError
from ..models import Article, stable_id
from .preprocess import DATE_LINE

__all__ = ["read_articles", "article_from_text"]


def article_from_text(content: str, name: str) -> Article:
    """A plain-text article: the date line gives ``published_at``; a short first paragraph with no
    final period is the title; the id hashes the file name and content so it is stable."""
    published = None
    body = content
    m = DATE_LINE.match(content)
    if m:
        try:
            published = datetime.fromisoformat(m.group(1)).replace(tzinfo=timezone.utc)
        except ValueError:   # an impossible date line: no date, and still not article text
            published = None
        body = content[m.end():]
    body = body.lstrip()
    first = body.split("\n\n", 1)[0].strip()
    title = first if first and len(first) <= 200 and not first.endswith((".", "!", "?")) and "\n" not in first else None
    return Article(
        id="file-" + stable_id(name, content, length=16),
        text=body,
        title=title,
        published_at=published,
        source=None,
        metadata={"file": name},
    )


def _from_obj(obj: Any, where: str) -> Article:
    if not isinstance(obj, dict):
        raise DecodeError("not_an_object", f"{where}: expected a JSON object, got {type(obj).__name__}")
    text = obj.get("text")
    if not isinstance(text, str) or not text.strip():
        raise DecodeError("missing_text", f"{where}: article has no text", field="text")
    try:
        return Article.from_dict(obj)
    except (ValueError, TypeError) as exc:
        raise DecodeError("bad_field", f"{where}: {exc}") from None


def _parse(content: str, name: str, suffix: str) -> Iterator[Article]:
    stripped = content.lstrip()
    looks_json = stripped.startswith(("{", "["))
    if suffix == ".jsonl" or (looks_json and suffix not in {".json"} and "\n{" in stripped.rstrip()):
        for n, line in enumerate(content.splitlines(), 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DecodeError("bad_json", f"{name}:{n}: {exc.msg}") from None
            yield _from_obj(obj, f"{name}:{n}")
        return
    if suffix == ".json" or looks_json:
        try:
            data = json.loads(content)
        except json.JSONDecodeError as exc:
            if suffix == ".json":
                raise DecodeError("bad_json", f"{name}:{exc.lineno}: {exc.msg}") from None
            yield article_from_text(content, name)
            return
        items = data if isinstance(data, list) else [data]
        for i, obj in enumerate(items):
            yield _from_obj(obj, f"{name}[{i}]" if isinstance(data, list) else name)
        return
    if content.strip():
        yield article_from_text(content, name)


def read_articles(path_or_dash: str | Path) -> Iterator[Article]:
    """Yield every article found at a path (file or directory) or on stdin for ``-``."""
    if str(path_or_dash) == "-":
        yield from _parse(sys.stdin.read(), "stdin", "")
        return
    path = Path(path_or_dash)
    if path.is_dir():
        for child in sorted(path.iterdir()):
            if child.name.startswith(".") or not child.is_file():
                continue
            yield from _parse(child.read_text(encoding="utf-8"), child.name, child.suffix.lower())
        return
    if not path.exists():
        raise DecodeError("not_found", f"{path}: no such file or directory")
    yield from _parse(path.read_text(encoding="utf-8"), path.name, path.suffix.lower())
