"""``sitrep bench``: which runs to do, in which order, and the result dict they make."""

from __future__ import annotations

import asyncio
import importlib.metadata
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from .. import __version__
from ..broker import EmbeddedBroker
from ..config import Settings
from ..errors import SitrepError
from .corpus import Corpus, corpus_stats
from . import profile
from .pipeline import Context, Phase, run_phase
from .report import SCHEMA, evaluate_targets
from .scrape import load_average
from .stats import ratio, slope

__all__ = ["Options", "run_bench", "machine_info"]

REPO = Path(__file__).resolve().parents[2]
NO_WAIT = 0.001  # seconds: the latency reference's batch wait (0 would mean "wait for a full batch")


@dataclass
class Options:
    articles: int = 600
    workers: int = 1
    partitions: int | None = None
    rate: float | None = None
    throughput: bool = False
    latency: bool = False
    scale: bool = False
    duration: float | None = None
    rules: bool = False
    baselines: bool = True
    seed: int = 7
    naive_sample: int = 120
    latency_seconds: float = 40.0
    warmup: int = 16
    profile_dir: str | None = None
    keep_logs: bool = False
    hash_keys: bool = False

    @property
    def full(self) -> bool:
        """No mode chosen: the representative full report."""
        return not (self.throughput or self.latency or self.scale or self.duration or self.rules)


def machine_info(model: str) -> dict:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass

    def version(dist: str) -> str | None:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            return None

    commit = None
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                                text=True, timeout=5).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        pass
    load = load_average()
    return {"cpu_model": cpu, "cores": os.cpu_count(), "memory_gb": mem, "python": platform.python_version(),
            "spacy": version("spacy"), "faust": version("faust-streaming"), "model": model,
            "model_version": version(model.replace("_", "-")) or version(model), "sitrep_version": __version__,
            "commit": commit, "load_average": [round(x, 2) for x in load] if load else None}


def _baselines(opts: Options, settings: Settings, say: Callable[[str], None]) -> dict:
    say(f"baselines: naive full model on {min(opts.naive_sample, opts.articles)} sampled articles, "
        f"extractor alone on {opts.articles} (no Kafka)")
    cmd = [sys.executable, "-m", "stream.bench.baselines", "--articles", str(opts.articles), "--seed", str(opts.seed),
           "--naive-sample", str(opts.naive_sample), "--batch-size", str(settings.batch_size),
           "--model", settings.model]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    if proc.returncode != 0:
        raise SitrepError(f"the baselines failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _scale_summary(one: dict, two: dict) -> dict:
    c1, c2 = one["cpu"], two["cpu"]
    workers = [k for k in c2["cores_used"] if k not in ("broker", "bench")]
    w1 = sum(v for k, v in c1["cores_used"].items() if k not in ("broker", "bench"))
    w2 = sum(c2["cores_used"][k] for k in workers)
    cores = c2.get("cores") or 2
    busy = c2.get("machine_cores_busy")
    r = ratio(two["articles_per_s"], one["articles_per_s"])
    cpu_ratio = ratio(w2, w1)
    per1, per2 = one.get("worker_cpu_ms_per_article"), two.get("worker_cpu_ms_per_article")
    eff = ratio(ratio(two["articles_per_s"], w2), ratio(one["articles_per_s"], w1))
    other = c2.get("other_processes_cores") or 0.0
    others = f", other processes {other:.2f}" if other >= 0.05 else ""
    if busy is not None and busy >= 0.9 * cores:
        scales = (f"per core of worker CPU the 2 workers did {_x(eff)} what one did"
                  + (" (the software scales)" if eff is not None and eff >= 0.9 else
                     " (coordination costs: more hops between the workers, smaller batches)"))
        verdict = (f"the machine is the limit: {busy:.2f} of {cores} cores were busy (broker "
                   f"{c2['cores_used'].get('broker') or 0:.2f}, producer and follower "
                   f"{c2['cores_used'].get('bench') or 0:.2f}{others}); the workers got {w2:.2f} cores against "
                   f"{w1:.2f} with one worker ({_x(cpu_ratio)} the CPU); {scales}; CPU per article "
                   f"{per1 or 0:.0f} -> {per2 or 0:.0f} ms.")
    else:
        verdict = (f"the machine was not saturated ({busy if busy is not None else float('nan'):.2f} of {cores} "
                   f"cores busy): the workers were waiting, not computing, so the limit is in the software.")
    return {"one_per_s": one["articles_per_s"], "two_per_s": two["articles_per_s"], "ratio": r,
            "partitions": two["partitions"], "cores": cores, "one_cpu_ms": per1, "two_cpu_ms": per2,
            "one_workers_cores": w1, "two_workers_cores": w2, "cpu_ratio": cpu_ratio, "per_core_efficiency": eff,
            "two_machine_busy": busy, "two_broker_cores": c2["cores_used"].get("broker"),
            "two_bench_cores": c2["cores_used"].get("bench"), "two_other_cores": c2.get("other_processes_cores"),
            "verdict": verdict}


def _x(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.2f}x"


def _latency_summary(batched: dict, single: dict, max_rate: float | None) -> dict:
    a = batched["latency_s"]["record_timestamps"]
    b = single["latency_s"]["record_timestamps"]
    extra = {q: (a[q] - b[q]) if a[q] is not None and b[q] is not None else None for q in ("p50", "p95", "p99")}
    return {"rate": batched["target_rate"], "max_rate": max_rate, "articles": batched["articles"],
            "alerts": a["count"], "p50": a["p50"], "p95": a["p95"], "p99": a["p99"], "max": a["max"],
            "batch_size": batched["batch_size"], "batch_wait": batched["batch_wait"],
            "reference": {"batch_size": single["batch_size"], "batch_wait": single["batch_wait"],
                          "p50": b["p50"], "p95": b["p95"], "p99": b["p99"]},
            "batching_extra_s": extra,
            "mean_batch": batched.get("mean_batch"),
            "decomposition_s": _batching_parts(batched, single)}


def _batching_parts(batched: dict, single: dict) -> dict:
    """Mean time an article waits before its batch is extracted, and its batch's extraction time,
    in both runs (worker histograms); their differences split what batching adds."""
    def parts(run: dict) -> tuple[float | None, float | None]:
        lat, ext = run.get("mean_processing_latency_s"), run.get("mean_batch_extraction_s")
        return (lat - ext if lat is not None and ext is not None else None), ext

    (wait_a, ext_a), (wait_b, ext_b) = parts(batched), parts(single)
    diff = lambda a, b: a - b if a is not None and b is not None else None  # noqa: E731
    return {"wait_before_extraction": wait_a, "reference_wait_before_extraction": wait_b,
            "batch_extraction": ext_a, "reference_batch_extraction": ext_b,
            "added_wait": diff(wait_a, wait_b), "added_extraction": diff(ext_a, ext_b)}


def _memory_summary(run: dict) -> dict:
    """Max RSS and the worst slope; also the slope of each half, to tell growth that levels off
    (caches and bounded state filling up) from growth that does not."""
    workers = run["rss_mb"]
    slopes = [w["slope_mb_per_min"] for w in workers.values() if w["slope_mb_per_min"] is not None]
    halves: dict[str, list[float | None]] = {}
    for name, w in workers.items():
        series = w.get("series") or []
        mid = len(series) // 2
        halves[name] = [slope([(t / 60.0, mb) for t, mb in part]) for part in (series[:mid], series[mid:])]
    second = [b for _, b in halves.values() if b is not None]
    # RSS may alternate between two levels (the allocator returning and taking back memory), which
    # moves a least-squares slope by where the low phases fall; growth also lifts the peaks.
    peaks = [p for p in (_peak_slope(w.get("series") or []) for w in workers.values()) if p is not None]
    return {"duration_s": run["seconds"], "articles": run["articles"], "workers": workers,
            "max_mb": max((w["max_mb"] for w in workers.values() if w["max_mb"] is not None), default=None),
            # steady state: the second half (the first minutes fill caches and the bounded rule state)
            "slope_mb_per_min": max(second) if second else (max(slopes) if slopes else None),
            "slope_last_80_mb_per_min": max(slopes) if slopes else None, "slope_by_half_mb_per_min": halves,
            "peak_slope_mb_per_min": max(peaks) if peaks else None}


def _peak_slope(series: list) -> float | None:
    """Slope (MB/min) of the highest RSS of each minute over the second half of the series."""
    if not series:
        return None
    by_minute: dict[int, float] = {}
    for t, mb in series:
        minute = int(t // 60)
        by_minute[minute] = max(mb, by_minute.get(minute, mb))
    minutes = sorted(by_minute)
    half = minutes[len(minutes) // 2:]
    return slope([(m + 0.5, by_minute[m]) for m in half])


async def _pipeline_parts(opts: Options, settings: Settings, ctx: Context, result: dict) -> None:
    P = opts.partitions or settings.partitions
    bs, bw = settings.batch_size, settings.batch_wait

    def phase(name: str, **kw) -> Phase:
        values = dict(name=name, workers=opts.workers, partitions=P, articles=opts.articles, batch_size=bs,
                      batch_wait=bw, warmup=opts.warmup, spread=not opts.hash_keys)
        values.update(kw)
        return Phase(**values)

    need_tp = opts.full or opts.throughput or opts.scale or (opts.latency and not opts.rate)
    if need_tp:
        # --rate paces the throughput run; --scale and --latency need the maximum.
        paced = opts.full or (opts.throughput and not (opts.scale or opts.latency))
        result["throughput"] = await run_phase(ctx, phase("throughput", rate=opts.rate if paced else None))
    if opts.full or opts.scale:  # right after the 1-worker run: both see the same machine
        sp = max(P, 4)
        tp = result["throughput"]
        one = tp if (tp["workers"] == 1 and tp["partitions"] >= 4) else \
            await run_phase(ctx, phase("scale-1", workers=1, partitions=sp))
        two = await run_phase(ctx, phase("scale-2", workers=2, partitions=sp))
        result["scale_one"] = one if one is not tp else None
        result["scale_two"] = two
        result["scale"] = _scale_summary(one, two)
    if opts.full or opts.latency:
        max_rate = (result.get("throughput") or {}).get("articles_per_s")
        r = opts.rate if (opts.rate and opts.latency) else 0.5 * (max_rate or 1.0)
        n = max(50, round(r * opts.latency_seconds))
        batched = await run_phase(ctx, phase("latency", rate=r, articles=n))
        # The reference closes a batch as soon as the agent is free (no waiting to fill it) and
        # keeps the batch size, so it still catches up in batches when records queue up.
        single = await run_phase(ctx, phase("latency-nowait", rate=r, articles=n, batch_wait=NO_WAIT))
        result["latency_run"], result["latency_nobatch_run"] = batched, single
        result["latency"] = _latency_summary(batched, single, max_rate)
    if opts.duration:
        run = await run_phase(ctx, phase("memory", duration=opts.duration, rate=opts.rate, sample_every=5.0))
        result["memory_run"] = run
        result["memory"] = _memory_summary(run)


def run_bench(opts: Options, settings: Settings, say: Callable[[str], None], command: str = "sitrep bench") -> dict:
    started = datetime.now(timezone.utc)
    result: dict = {"schema": SCHEMA, "started_at": started.strftime("%Y-%m-%d %H:%MZ"), "command": command,
                    "machine": machine_info(settings.model),
                    "settings": {"articles": opts.articles, "workers": opts.workers,
                                 "partitions": opts.partitions or settings.partitions, "rate": opts.rate,
                                 "batch_size": settings.batch_size, "batch_wait": settings.batch_wait,
                                 "seed": opts.seed, "naive_sample": opts.naive_sample,
                                 "latency_seconds": opts.latency_seconds, "duration": opts.duration,
                                 "modes": [m for m in ("throughput", "latency", "scale", "duration", "rules")
                                           if getattr(opts, m)] or ["full"]}}
    pipeline = opts.full or opts.throughput or opts.latency or opts.scale or bool(opts.duration)
    with_baselines = opts.baselines and (opts.full or opts.throughput)
    if pipeline or with_baselines:
        corpus = Corpus(opts.seed)
        result["corpus"] = corpus_stats([corpus.spec(i) for i in range(opts.articles)])
    if with_baselines:
        base = _baselines(opts, settings, say)
        result["baselines"] = base
        result["machine"].update({k: base["info"].get(k) for k in ("model_version", "extractor_version")})
    if pipeline:
        state = Path(settings.state_dir) / "bench"
        broker = None
        if not settings.broker:
            broker = EmbeddedBroker(log_dir=state).start()
            settings = settings.replace(broker=broker.address)
            say(f"bundled broker on {broker.address}")
        try:
            ctx = Context(settings=settings, article=lambda i, prefix: corpus.article(i, prefix),
                          log_dir=state, broker_pid=broker.process.pid if broker and broker.process else None,
                          say=say, profile_dir=Path(opts.profile_dir) if opts.profile_dir else None)
            ctx.log_dir = state / ctx.tag
            if ctx.profile_dir is not None and not profile.available():
                say("--profile: py-spy is not installed (pip install py-spy); running without profiles")
                ctx.profile_dir = None
            try:
                asyncio.run(_pipeline_parts(opts, settings, ctx, result))
            except BaseException:
                say(f"worker logs kept under {ctx.log_dir}")
                raise
            if not opts.keep_logs:
                shutil.rmtree(ctx.log_dir, ignore_errors=True)
        finally:
            if broker is not None:
                broker.stop()
    info = next((r["worker_info"] for r in (result.get(k) for k in ("throughput", "latency_run", "scale_two",
                                                                      "memory_run")) if r and r.get("worker_info")), {})
    for key in ("model_version", "extractor_version"):
        if not result["machine"].get(key) and info.get(key):
            result["machine"][key] = info[key]
    if opts.full or opts.rules:
        from .rules import run_rules

        say("rules: 10 vs 1,000 rules, per event")
        result["rules"] = run_rules()
    result["targets"] = evaluate_targets(result)
    result["elapsed_s"] = round(time.time() - started.timestamp(), 1)
    return result
