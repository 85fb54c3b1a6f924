"""The benchmark corpus: the seed article plus generated news articles.

``Corpus(seed).article(i)`` is a pure function of the seed and the index, so
any slice of the corpus can be rebuilt in another process (the baselines run
in a child process on the same texts) and streams of any length can be made
for steady-state runs. The templates are data (``corpus.yaml``): sentences per
topic, event sentences per PLOVER type, actor/recipient pairs, the mix of
articles without, with one and with several events, and the length range.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator, Sequence

import yaml

from ..models import Article

__all__ = ["Corpus", "ArticleSpec", "load_templates", "fill", "corpus_stats", "SEED_DIR"]

TEMPLATES = Path(__file__).with_name("corpus.yaml")
SEED_DIR = Path(__file__).resolve().parents[2] / "seeds"
FILLER_TOPICS = ("sports", "business", "weather", "culture", "science", "politics")
LATEST = datetime(2025, 6, 1, 9, 0, tzinfo=timezone.utc)
_DATE_LINE = re.compile(r"^\s*date\s+(\d{4}-\d{2}-\d{2})\b[ \t]*")
_SLOT = re.compile(r"\{([A-Za-z_]+)(?::(-?\d+):(-?\d+))?\}")


def load_templates(path: str | Path | None = None) -> dict:
    data = yaml.safe_load(Path(path or TEMPLATES).read_text(encoding="utf-8"))
    mix = data["mix"]
    if abs(sum(mix.values()) - 1.0) > 1e-6:
        raise ValueError(f"corpus mix must add up to 1 (got {sum(mix.values())})")
    for topic in FILLER_TOPICS + ("world",):
        if not data["topics"][topic]["sentences"]:
            raise ValueError(f"topic {topic!r} has no sentences")
    return data


def fill(template: str, rng: random.Random, slots: dict[str, Any]) -> str:
    """Replace ``{slot}``, ``{num:LO:HI}`` and ``{dec:LO:HI}`` in a template."""
    def one(m: re.Match) -> str:
        name, lo, hi = m.group(1), m.group(2), m.group(3)
        if name == "num" and lo is not None:
            return str(rng.randint(int(lo), int(hi)))
        if name == "dec" and lo is not None:
            return f"{rng.uniform(int(lo), int(hi)):.1f}"
        if name == "newname" and "syllables" in slots:
            return "".join(rng.choice(slots["syllables"]) for _ in range(rng.randint(2, 4))).capitalize()
        if name not in slots:
            raise KeyError(f"unknown slot {{{name}}} in template {template!r}")
        value = slots[name]
        return rng.choice(value) if isinstance(value, list) else str(value)
    text = _SLOT.sub(one, template)
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class ArticleSpec:
    """What the generator put into an article (for reporting, not for scoring)."""

    index: int
    topic: str
    words: int
    planted: tuple[str, ...] = field(default_factory=tuple)  # event types of the event sentences

    @property
    def kind(self) -> str:
        return "seed" if self.topic == "seed" else (
            "no_event" if not self.planted else "one_event" if len(self.planted) == 1 else "several_events")


class Corpus:
    """Deterministic articles: ``article(i)`` depends only on (seed, i)."""

    def __init__(self, seed: int = 7, *, include_seed: bool = True, templates: dict | None = None,
                 seed_dir: Path | None = SEED_DIR):
        self.seed = seed
        self.t = templates or load_templates()
        self._seed_article = _read_seed(seed_dir) if include_seed else None

    def spec_and_article(self, i: int, prefix: str = "bench") -> tuple[ArticleSpec, Article]:
        aid = f"{prefix}-{self.seed}-{i:06d}"
        if i == 0 and self._seed_article is not None:
            a = self._seed_article
            article = Article(id=aid, text=a.text, title=a.title, source="seed.example",
                              url=f"https://seed.example/{aid}", published_at=a.published_at,
                              metadata={"section": "world", "bench_kind": "seed"})
            return ArticleSpec(i, "seed", len(a.text.split())), article
        rng = random.Random(f"sitrep-bench:{self.seed}:{i}")
        t = self.t
        mix = t["mix"]
        roll = rng.random()
        planted: list[str] = []
        if roll >= mix["no_event"]:
            n = 1 if roll < mix["no_event"] + mix["one_event"] else rng.randint(2, 4)
            types = list(t["event_weights"])
            planted = rng.choices(types, weights=[t["event_weights"][k] for k in types], k=n)
        length = t["length"]
        target = round(rng.triangular(length["min"], length["max"], length["mode"]))
        slots = dict(t["slots"], syllables=t["syllables"])
        if planted:
            topic = "world"
            slots.update(rng.choice(t["pairs"]))
            events = [fill(rng.choice(t["events"][k]), rng, slots) for k in planted]
        else:
            topic = rng.choice(FILLER_TOPICS)
            events = []
        title = fill(rng.choice(t["topics"][topic]["titles"]), rng, slots)
        text, words = self._body(rng, topic, slots, events, target, length["max"])
        published = LATEST - timedelta(days=i % 3650, minutes=rng.randint(0, 600))
        article = Article(id=aid, text=text, title=title, source=f"news{i}.example",
                          url=f"https://news{i}.example/{topic}/{aid}", published_at=published,
                          metadata={"section": topic, "bench_kind": ArticleSpec(i, topic, words, tuple(planted)).kind})
        return ArticleSpec(i, topic, words, tuple(planted)), article

    def article(self, i: int, prefix: str = "bench") -> Article:
        return self.spec_and_article(i, prefix)[1]

    def spec(self, i: int) -> ArticleSpec:
        return self.spec_and_article(i)[0]

    def articles(self, n: int, start: int = 0, prefix: str = "bench") -> list[Article]:
        return [self.article(i, prefix) for i in range(start, start + n)]

    def stream(self, start: int = 0, prefix: str = "bench") -> Iterator[Article]:
        i = start
        while True:
            yield self.article(i, prefix)
            i += 1

    # ------------------------------------------------------------ body
    def _body(self, rng: random.Random, topic: str, slots: dict, events: list[str], target: int,
              most: int) -> tuple[str, int]:
        pool = list(self.t["topics"][topic]["sentences"])
        if topic == "world":
            pool += self.t["topics"]["politics"]["sentences"]
        order: list[str] = []
        lo, hi = self.t["paragraph_sentences"]
        paragraphs: list[list[str]] = []
        words = sum(len(e.split()) for e in events)
        pending = list(events)
        while words < target or pending:
            para: list[str] = []
            if pending and (not paragraphs or rng.random() < 0.5):
                para.append(pending.pop(0))
            for _ in range(rng.randint(lo, hi)):
                if not order:
                    order = pool[:]
                    rng.shuffle(order)
                sentence = fill(order.pop(), rng, slots)
                n = len(sentence.split())
                if words + n > most or (words >= target and not pending):
                    break
                para.append(sentence)
                words += n
            if para:
                paragraphs.append(para)
            elif not pending:
                break
        return "\n\n".join(" ".join(p) for p in paragraphs), words


def _read_seed(seed_dir: Path | None) -> Article | None:
    """The first plain-text seed article (`` date YYYY-MM-DD`` first line), read without spaCy."""
    if seed_dir is None or not seed_dir.is_dir():
        return None
    files = sorted(p for p in seed_dir.iterdir() if p.is_file() and p.suffix == ".txt")
    if not files:
        return None
    content = files[0].read_text(encoding="utf-8")
    m = _DATE_LINE.match(content)
    published = datetime.fromisoformat(m.group(1)).replace(tzinfo=timezone.utc) if m else None
    body = (content[m.end():] if m else content).strip()
    return Article(id="seed", text=body, published_at=published) if body else None


def corpus_stats(specs: Sequence[ArticleSpec]) -> dict:
    """Counts and word lengths of a list of article specs."""
    words = [s.words for s in specs]
    kinds: dict[str, int] = {}
    topics: dict[str, int] = {}
    planted = 0
    for s in specs:
        kinds[s.kind] = kinds.get(s.kind, 0) + 1
        topics[s.topic] = topics.get(s.topic, 0) + 1
        planted += len(s.planted)
    return {
        "articles": len(specs),
        "words": {"min": min(words, default=0), "mean": round(sum(words) / len(words), 1) if words else 0.0,
                  "max": max(words, default=0), "total": sum(words)},
        "kinds": dict(sorted(kinds.items())),
        "topics": dict(sorted(topics.items())),
        "planted_events": planted,
    }
