"""``sitrep extract``, ``sitrep explain`` and ``sitrep eval``: the extractor from the command line."""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

__all__ = ["register"]

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PLOVER = "../shared/data/plover_gsr/PLOVER_GSR_CAMEO.txt"
DEFAULT_LABELLED = "tests/data/extraction/sentences.jsonl"


def register(subparsers: argparse._SubParsersAction) -> None:
    from .common import add_model_options

    ext = subparsers.add_parser("extract", help="print the events of articles (files, a directory or -)",
                                description="Extract PLOVER events from articles: a JSONL file, a JSON file "
                                            "(one article or a list), a plain-text file (first line may hold "
                                            "' date YYYY-MM-DD'), a directory of these, or - for stdin.")
    ext.add_argument("path", help="file, directory or - (stdin)")
    ext.add_argument("--json", action="store_true", help='one JSON line per article: {"article_id", "events"}')
    ext.add_argument("--batch", type=int, default=8, help="articles per model batch (default 8)")
    add_model_options(ext)
    ext.set_defaults(func=cmd_extract)

    exp = subparsers.add_parser("explain", help="why a sentence did or did not give an event",
                                description="Show the prefilter triggers, the senses accepted or rejected, "
                                            "the arguments and the context cues for each sentence.")
    exp.add_argument("text", nargs="?", help="sentence or text (or use --file)")
    exp.add_argument("--file", help="read the text from a file (- for stdin)")
    exp.add_argument("--date", help="publication date YYYY-MM-DD, to resolve 'on Thursday'")
    add_model_options(exp)
    exp.set_defaults(func=cmd_explain)

    ev = subparsers.add_parser("eval", help="precision/recall/F1 on PLOVER gold records and the labelled set",
                               description="Score the extractor; exits 1 when a target fails (see --no-targets).")
    ev.add_argument("--plover", default=None, help=f"PLOVER GSR file (default {DEFAULT_PLOVER} from the repo root)")
    ev.add_argument("--labelled", default=None, help=f"labelled JSONL (default {DEFAULT_LABELLED})")
    ev.add_argument("--json", action="store_true", help="print one JSON report")
    ev.add_argument("--no-targets", action="store_true", help="report targets but always exit 0")
    ev.add_argument("--errors", type=int, default=0, metavar="N", help="list up to N error ids per set")
    ev.add_argument("--seed-articles", type=int, default=8, metavar="N",
                    help="also time N articles from seeds/ (real news layout; 0 skips)")
    add_model_options(ev)
    ev.set_defaults(func=cmd_eval)


def _load(settings, batch: int = 8):
    from ..extract import Extractor

    return Extractor.load(model=settings.model, batch_size=batch)


# ---------------------------------------------------------------- extract
def _highlight(ev, evidence, tty: bool) -> str:
    s = evidence.sentence
    if evidence.trigger_start is None:
        return s
    a, b = evidence.trigger_start - evidence.start, evidence.trigger_end - evidence.start
    on, off = ("\033[1m", "\033[0m") if tty else ("[", "]")
    return f"{s[:a]}{on}{s[a:b]}{off}{s[b:]}"


def _actor(a) -> str:
    if a is None:
        return "-"
    code = "/".join(x for x in (a.country, a.sector) if x)
    return f"{a.text} ({code})" if code else a.text


def _print_article(article, events, tty: bool) -> None:
    title = f" \u2014 {article.title}" if article.title else ""
    print(f"== {article.id}{title}: {len(events)} event(s)")
    for e in events:
        flags = [k for k in ("negated", "hypothetical", "future", "historical", "caption") if getattr(e.context, k)]
        if e.context.reported:
            flags.append(f"reported by {e.context.reported_by}" if e.context.reported_by else "reported")
        where = f" @ {e.location.text} ({e.location.country or '?'})" if e.location else ""
        when = f" on {e.event_date}" if e.event_date else ""
        print(f"  {e.type}{'/' + e.mode if e.mode else ''}: {_actor(e.actor)} -> {_actor(e.recipient)}{where}{when}"
              f"  conf {e.confidence:.2f}{'  [' + ', '.join(flags) + ']' if flags else ''}")
        for ev in e.evidence:
            print(f"      {ev.start}-{ev.end}: {_highlight(e, ev, tty)}")


def cmd_extract(args: argparse.Namespace, settings) -> int:
    from ..extract import read_articles

    ex = _load(settings, args.batch)
    tty = sys.stdout.isatty()
    batch: list = []

    def flush() -> None:
        for article, events in zip(batch, ex.extract_batch(batch)):
            if args.json:
                print(json.dumps({"article_id": article.id, "events": [e.to_dict() for e in events]},
                                 ensure_ascii=False))
            else:
                _print_article(article, events, tty)
        batch.clear()

    for article in read_articles(args.path):
        batch.append(article)
        if len(batch) >= max(1, args.batch):
            flush()
    if batch:
        flush()
    return 0


# ---------------------------------------------------------------- explain
def cmd_explain(args: argparse.Namespace, settings) -> int:
    if args.file:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
    elif args.text:
        text = args.text
    else:
        print("sitrep explain: give a sentence or --file", file=sys.stderr)
        return 2
    published = datetime.fromisoformat(args.date).replace(tzinfo=timezone.utc) if args.date else None
    ex = _load(settings)
    print(ex.explain(text, published_at=published).render())
    return 0


# ---------------------------------------------------------------- eval
def _resolve(path: str | None, default: str) -> Path:
    p = Path(path) if path else REPO_ROOT / default
    return p if p.is_absolute() or path is None else Path.cwd() / p


def _predict(ex, sentences) -> dict:
    from ..extract.evaluation import pred_from_event
    from ..models import Article, parse_time

    articles = [Article(id=s.id, text=s.text, published_at=parse_time(s.published_at)) for s in sentences]
    out = {}
    for i in range(0, len(articles), ex.batch_size):
        chunk = articles[i:i + ex.batch_size]
        for a, events in zip(chunk, ex.extract_batch(chunk)):
            out[a.id] = [pred_from_event(e) for e in events]
    return out


def _throughput(ex, texts: list[str], label: str, chunk: int = 64) -> dict:
    """Articles/s of the whole extractor vs the full pipeline over every sentence of the same texts."""
    from ..models import Article

    articles = [Article(id=f"t{i}", text=t) for i, t in enumerate(texts)]
    t0 = time.perf_counter()
    for i in range(0, len(articles), chunk):
        ex.extract_batch(articles[i:i + chunk])
    ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in ex.nlp.pipe(texts, batch_size=ex.batch_size):
        pass
    full = time.perf_counter() - t0
    return {"texts": label, "articles": len(texts), "extractor_per_s": len(texts) / ours if ours else None,
            "full_model_per_s": len(texts) / full if full else None, "speedup": full / ours if ours else None}


def _seed_texts(repeat_to: int = 8) -> list[str]:
    """``repeat_to`` articles from seeds/ (real news layout), repeated so the timing is not noise."""
    from ..extract import read_articles

    seeds = REPO_ROOT / "seeds"
    texts = [a.text for a in read_articles(seeds)] if seeds.is_dir() else []
    return (texts * (repeat_to // len(texts) + 1))[:repeat_to] if texts else []


def _fmt(x) -> str:
    return "  n/a" if x is None else f"{x:5.2f}"


def _print_report(rep, targets, errors: int) -> None:
    print(f"\n{rep.name}: {rep.sentences} sentences")
    print(f"  {'type':<15}{'P':>7}{'R':>7}{'F1':>7}{'tp':>6}{'fp':>6}{'fn':>6}")
    for t, s in sorted(rep.types.items()):
        print(f"  {t:<15}{_fmt(s.precision):>7}{_fmt(s.recall):>7}{_fmt(s.f1):>7}{s.tp:>6}{s.fp:>6}{s.fn:>6}")
    for label, pair in (("actor accuracy", rep.actor), ("recipient accuracy", rep.recipient),
                        ("negated flag accuracy", rep.negated), ("hypothetical flag accuracy", rep.hypothetical),
                        ("false-event rate", rep.no_event)):
        if pair[1]:
            print(f"  {label:<28}{_fmt(rep.ratio(pair))}  ({pair[0]}/{pair[1]})")
    for what, value, target, ok in targets:
        print(f"  target {what:<30} {_fmt(value)} {'>=' if 'rate' not in what else '<='} {target:.2f}: "
              f"{'pass' if ok else 'FAIL'}")
    if errors:
        for e in rep.errors[:errors]:
            print(f"  error {e}")


def cmd_eval(args: argparse.Namespace, settings) -> int:
    from ..extract.evaluation import check_targets, load_labelled, load_plover, score

    ex = _load(settings, settings.batch_size if settings.batch_size <= 16 else 8)
    reports, notes, all_targets, texts = [], [], [], []
    plover = _resolve(args.plover, DEFAULT_PLOVER)
    if plover.exists():
        gold = load_plover(plover)
        rep = score(gold, _predict(ex, gold), "PLOVER gold-standard records", drop_unreal=True)
        reports.append((rep, check_targets(rep, labelled=False)))
        texts += [s.text for s in gold]
    else:
        notes.append(f"PLOVER file not found at {plover}: not evaluated")
    labelled = _resolve(args.labelled, DEFAULT_LABELLED)
    if labelled.exists():
        gold = load_labelled(labelled)
        rep = score(gold, _predict(ex, gold), "labelled sentences")
        reports.append((rep, check_targets(rep, labelled=True)))
        texts += [s.text for s in gold]
    else:
        notes.append(f"labelled set not found at {labelled}: not evaluated")
    speed = [_throughput(ex, texts, "evaluation sentences")] if texts else []
    seeds = _seed_texts(args.seed_articles) if args.seed_articles > 0 else []
    if seeds:
        speed.append(_throughput(ex, seeds, "seed articles (seeds/)"))
    for _, targets in reports:
        all_targets += targets
    failed = [t for t in all_targets if not t[3]]
    if args.json:
        print(json.dumps({"extractor": ex.info, "notes": notes, "throughput": speed,
                          "reports": [dict(r.to_dict(), targets=[{"what": w, "value": v, "target": t, "pass": ok}
                                                                 for w, v, t, ok in tg]) for r, tg in reports],
                          "targets_passed": not failed}, indent=2))
    else:
        print(f"extractor {ex.info['extractor_version']} on {ex.info['model']} {ex.info['model_version']}")
        for note in notes:
            print(f"note: {note}")
        for rep, targets in reports:
            _print_report(rep, targets, args.errors)
        for s in speed:
            print(f"\nthroughput on {s['articles']} {s['texts']}: extractor {s['extractor_per_s']:.1f} articles/s, "
                  f"full model on every sentence {s['full_model_per_s']:.1f} articles/s (x{s['speedup']:.2f})")
        print(f"\ntargets: {len(all_targets) - len(failed)} passed, {len(failed)} failed"
              + ("" if not failed else ": " + "; ".join(w for w, *_ in failed)))
    if not reports:
        return 0 if args.no_targets else 1
    return 0 if (args.no_targets or not failed) else 1
