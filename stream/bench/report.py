"""The terminal report and the Markdown table of a benchmark result.

The result is one JSON-able dict (``SCHEMA``) with a section per part that
ran: ``machine``, ``settings``, ``corpus``, ``baselines``, ``throughput``,
``latency``, ``scale``, ``memory``, ``rules``, and ``targets``: a list of
``{"id", "name", "value", "op", "target", "unit", "pass"}`` where ``pass`` is
``None`` when the part that measures it did not run.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .stats import ratio
from .targets import SCHEMA, TARGETS, evaluate_targets

__all__ = ["SCHEMA", "TARGETS", "evaluate_targets", "render_text", "render_markdown", "update_docs"]


# ------------------------------------------------------------------ formatting
def _num(v: Any, unit: str = "", digits: int = 2) -> str:
    if v is None:
        return "n/a"
    if unit == "%":
        return f"{v * 100:+.1f}%"
    if unit == "x":
        return f"{v:.{digits}f}x"
    return f"{v:,.{digits}f}{(' ' + unit) if unit else ''}"


def _target_text(t: dict) -> str:
    if t["target"] is None:
        return "-"
    return f"{t['op']} {_num(t['target'], t['unit'])}"


def _verdict(t: dict) -> str:
    return "n/a" if t["pass"] is None else ("PASS" if t["pass"] else "FAIL")


def _ms(v: float | None) -> str:
    return "n/a" if v is None else f"{v:8.1f}"


def machine_line(m: dict) -> str:
    return (f"{m.get('cpu_model', '?')}, {m.get('cores', '?')} cores, {m.get('memory_gb', '?')} GB, "
            f"Python {m.get('python', '?')}, spaCy {m.get('spacy', '?')}, {m.get('model', '?')} "
            f"{m.get('model_version', '')}, {m.get('extractor_version', '')}")


def _run_lines(run: dict, title: str) -> list[str]:
    lat = run["latency_s"]["record_timestamps"]
    spread = {True: " (articles in turn)", False: " (by key hash)"}.get(run.get("spread"), "")
    lines = [f"{title}: {run['workers']} worker(s), {run['partitions']} partitions{spread}, "
             f"batch {run['batch_size']} / {run['batch_wait']} s, "
             + (f"produced at {run['target_rate']:.1f}/s" if run.get("target_rate") else "as fast as possible"),
             f"  {run['articles']} articles in {run['seconds']:.1f} s: {_num(run['articles_per_s'])} articles/s, "
             f"{_num(run['events_per_s'])} events/s, {_num(run['alerts_per_s'])} alerts/s "
             f"({run['events']:.0f} events, {run['alerts']} alerts, mean batch {_num(run.get('mean_batch'), '', 1)}, "
             f"{run['dead_letters']:.0f} dead letters)",
             f"  latency produce -> alert (record times): p50 {_num(lat['p50'], 's', 3)}  p95 {_num(lat['p95'], 's', 3)}"
             f"  p99 {_num(lat['p99'], 's', 3)}  max {_num(lat['max'], 's', 3)}  ({lat['count']} alerts)"]
    obs = run["latency_s"]["observed"]
    lines.append(f"  latency as seen by a consumer:      p50 {_num(obs['p50'], 's', 3)}  p95 {_num(obs['p95'], 's', 3)}"
                 f"  p99 {_num(obs['p99'], 's', 3)}")
    for name, m in run["rss_mb"].items():
        lines.append(f"  RSS {name}: min {_num(m['min_mb'], 'MB', 0)}  max {_num(m['max_mb'], 'MB', 0)}  "
                     f"last {_num(m['last_mb'], 'MB', 0)}  ({m['samples']} samples)")
    cpu = run["cpu"]
    used = ", ".join(f"{k} {v:.2f}" for k, v in cpu["cores_used"].items())
    lines.append(f"  CPU cores used: {used}; other processes {_num(cpu.get('other_processes_cores'))}; "
                 f"machine busy {_num(cpu.get('machine_cores_busy'))} of {cpu.get('cores')}")
    lines.append(f"  worker CPU per article: {_num(run.get('worker_cpu_ms_per_article'), 'ms', 1)}")
    return lines


def _stage_lines(run: dict, base: dict) -> list[str]:
    """Per-stage time: the worker's timers and CPU, next to the extractor alone (baseline b)."""
    n = run["articles"] or 1
    per = run.get("stage_ms_per_article") or {}
    cpu = run.get("worker_cpu_ms_per_article")
    ex = base.get("extractor") or {}
    ex_stage = {k: 1000 * v / ex["articles"] for k, v in (ex.get("stage_seconds") or {}).items()} if ex else {}
    ex_cpu = ex.get("cpu_ms_per_article")
    codec = base.get("codec") or {}
    events_per_article = run["events"] / n
    decode = codec.get("decode_ms_per_article")
    event_json = (codec.get("event_json_ms_per_event") or 0) * events_per_article if codec else None
    rules = per.get("rules_route")
    overhead = (cpu - ex_cpu) if cpu is not None and ex_cpu is not None else None
    rows = [("parse/decode (offline, same payloads)", None, decode),
            ("preprocess", per.get("preprocess"), ex_stage.get("preprocess")),
            ("prefilter (tokenizer + PhraseMatcher)", per.get("prefilter"), ex_stage.get("prefilter")),
            ("model (nlp.pipe on candidate sentences)", per.get("model"), ex_stage.get("model")),
            ("patterns (senses, arguments, merge)", per.get("patterns"), ex_stage.get("patterns")),
            ("rules (route; worker histogram)", rules, None),
            ("event JSON, 2 hops (offline)", None, event_json),
            ("CPU total", cpu, ex_cpu)]
    lines = ["per-stage time, ms per article      pipeline worker    extractor alone (b)",
             "  (worker: stage timers are wall time in the extraction thread, GIL waits included)"]
    for name, a, b in rows:
        lines.append(f"  {name:<42}{_ms(a)}       {_ms(b)}")
    if overhead is not None and cpu:
        lines.append(f"  pipeline overhead = worker CPU - extractor CPU: {overhead:.1f} ms/article "
                     f"({100 * overhead / cpu:.0f}% of the worker's CPU): decode, Faust, Kafka client, "
                     f"produce, JSON, rules, metrics")
    return lines


def render_text(result: dict) -> str:
    out: list[str] = []
    s = result.get("settings", {})
    c = result.get("corpus") or {}
    out.append(f"sitrep bench {result.get('started_at', '')}  seed {s.get('seed')}  "
               f"batch {s.get('batch_size')} / {s.get('batch_wait')} s")
    out.append("machine: " + machine_line(result.get("machine", {})))
    if result.get("machine", {}).get("load_average"):
        out.append(f"load average before the run: {result['machine']['load_average']}")
    if c:
        out.append(f"corpus: {c['articles']} articles, {c['words']['min']}-{c['words']['max']} words "
                   f"(mean {c['words']['mean']:.0f}); {c['kinds']}; {c['planted_events']} event sentences planted")
    base = result.get("baselines") or {}
    if base:
        n, e, es = base["naive"], base["extractor"], base["extractor_sample"]
        out += ["", "baselines (same texts, one process, no Kafka)",
                f"  (a) naive full model, nlp.pipe batch {n['batch_size']}: {_num(n['articles_per_s'])} articles/s on "
                f"{n['articles']} sampled articles ({n['words_per_s']:,.0f} words/s) -> "
                f"{_num(base['naive_estimated_articles_per_s'])} articles/s on the whole corpus",
                f"  (b) extractor alone, batch {e['batch_size']}: {_num(e['articles_per_s'])} articles/s, "
                f"{_num(e['events_per_s'])} events/s ({e['articles']} articles; on the sample "
                f"{_num(es['articles_per_s'])}/s = {_num(ratio(es['articles_per_s'], n['articles_per_s']))} naive)",
                f"  RSS: naive {_num(n.get('rss_mb'), 'MB', 0)}, extractor process {_num(e.get('rss_mb'), 'MB', 0)}"]
    for key, title in (("throughput", "throughput"), ("latency_run", "latency run"),
                       ("latency_nobatch_run", "latency reference (no batch wait)"),
                       ("scale_two", "scale-out run"), ("memory_run", "steady-state memory run")):
        if result.get(key):
            out += [""] + _run_lines(result[key], title)
    if result.get("throughput"):
        out += [""] + _stage_lines(result["throughput"], base)
        tp, ex_cpu = result["throughput"], (base.get("extractor") or {}).get("cpu_ms_per_article")
        cpu = tp.get("worker_cpu_ms_per_article")
        if cpu and ex_cpu and tp["workers"] == 1:
            out.append(f"  with a whole core per worker the pipeline would do {1000 / cpu:.1f} articles/s = "
                       f"{ex_cpu / cpu:.2f}x the extractor alone (CPU per article {ex_cpu:.1f} -> {cpu:.1f} ms); "
                       f"measured: {tp['articles_per_s']:.1f} articles/s on "
                       f"{sum(v for k, v in tp['cpu']['cores_used'].items() if k not in ('broker', 'bench')):.2f} cores")
    lat = result.get("latency") or {}
    if lat:
        ex = lat.get("batching_extra_s") or {}
        how = f"half of {lat['max_rate']:.2f}" if lat.get("max_rate") else "given with --rate"
        out += ["", f"latency at {lat['rate']:.1f} articles/s ({how}): "
                    f"p50 {_num(lat['p50'], 's', 3)}  p95 {_num(lat['p95'], 's', 3)}  p99 {_num(lat['p99'], 's', 3)}",
                f"  batching (batch {lat['batch_size']}, wait {lat['batch_wait']} s) adds: p50 {_num(ex.get('p50'), 's', 3)}"
                f"  p95 {_num(ex.get('p95'), 's', 3)}  p99 {_num(ex.get('p99'), 's', 3)} versus the same run without "
                f"waiting to fill batches (batch wait {(lat.get('reference') or {}).get('batch_wait')} s)"]
        d = lat.get("decomposition_s") or {}
        if d.get("added_wait") is not None:
            out.append(f"  of which (means, worker histograms): waiting for the batch to close "
                       f"{_num(d['added_wait'], 's', 3)}, extracting the larger batch "
                       f"{_num(d.get('added_extraction'), 's', 3)} (mean batch {_num(lat.get('mean_batch'), '', 1)})")
    sc = result.get("scale") or {}
    if sc:
        out += ["", f"scale-out: 1 worker {_num(sc['one_per_s'])}/s, 2 workers {_num(sc['two_per_s'])}/s: "
                    f"{_num(sc['ratio'], 'x')} ({sc['partitions']} partitions)",
                f"  worker CPU per article: 1 worker {_num(sc['one_cpu_ms'], 'ms', 1)}, 2 workers "
                f"{_num(sc['two_cpu_ms'], 'ms', 1)}; machine busy {_num(sc['two_machine_busy'])} of {sc['cores']} cores "
                f"(workers {_num(sc['two_workers_cores'])}, broker {_num(sc['two_broker_cores'])}, "
                f"bench {_num(sc['two_bench_cores'])}, other processes {_num(sc['two_other_cores'])})",
                f"  {sc['verdict']}"]
    mem = result.get("memory") or {}
    if mem:
        halves = "; ".join(f"{name}: first half {_num(a, 'MB/min')}, second half {_num(b, 'MB/min')}"
                           for name, (a, b) in (mem.get("slope_by_half_mb_per_min") or {}).items())
        out += ["", f"memory over {mem['duration_s'] / 60:.1f} min: max {_num(mem['max_mb'], 'MB', 0)}, "
                    f"slope {_num(mem['slope_mb_per_min'], 'MB/min')} over the second half (worst worker; "
                    f"{_num(mem.get('slope_last_80_mb_per_min'), 'MB/min')} over the last 80%)",
                f"  {halves}",
                f"  peak of each minute: {_num(mem.get('peak_slope_mb_per_min'), 'MB/min')} over the second half "
                f"(growth lifts the peaks; the allocator's level changes move only the slope above)"]
    rules = result.get("rules") or {}
    if rules:
        out += ["", f"rules: {rules['rules_small']} rules {rules['us_per_event_small']:.1f} us/event, "
                    f"{rules['rules_large']} rules {rules['us_per_event_large']:.1f} us/event "
                    f"({_num(rules['overhead'], '%')}, {rules['candidates_per_event']:.1f} candidate rules/event)"]
    for key in ("throughput", "scale_two", "memory_run"):
        for name, prof in ((result.get(key) or {}).get("profile") or {}).items():
            from .profile import format_summary

            out += ["", format_summary(f"{key} {name} ({prof.get('file')})", prof)]
    out += ["", f"{'target':<50}{'value':>14}  {'target':>12}  result"]
    for t in result.get("targets", []):
        note = f"  ({t['note']})" if t.get("note") else ""
        out.append(f"{t['name']:<50}{_num(t['value'], t['unit']):>14}  {_target_text(t):>12}  {_verdict(t)}{note}")
    out.append("extraction quality is not measured here: `sitrep eval` scores the extractor on the labelled sets.")
    return "\n".join(out)


def render_markdown(result: dict) -> str:
    """The results table for docs/benchmarks.md."""
    m = result.get("machine", {})
    command = _PATH_ARGS.sub(lambda g: g.group(1) + Path(g.group(2)).name, result.get("command", "sitrep bench"))
    lines = [f"Run {result.get('started_at', '')} with `{command}` "
             f"(sitrep {m.get('sitrep_version', '?')}, commit {m.get('commit') or '?'}).",
             "",
             f"Machine: {machine_line(m)}.",
             "",
             "| measure | value | target | result |",
             "|---|---|---|---|"]
    tp = result.get("throughput") or {}
    base = result.get("baselines") or {}
    if tp:
        lines.append(f"| end-to-end throughput ({tp['workers']} worker, {tp['partitions']} partitions) | "
                     f"{_num(tp['articles_per_s'])} articles/s, {_num(tp['events_per_s'])} events/s, "
                     f"{_num(tp['alerts_per_s'])} alerts/s | | |")
    if base:
        lines.append(f"| (a) naive full model, one process | {_num(base['naive_estimated_articles_per_s'])} articles/s | | |")
        lines.append(f"| (b) extractor alone, one process | {_num(base['extractor']['articles_per_s'])} articles/s | | |")
    lat = result.get("latency") or {}
    if lat:
        lines.append(f"| latency produce -> alert at {lat['rate']:.1f} articles/s | p50 {_num(lat['p50'], 's')}, "
                     f"p95 {_num(lat['p95'], 's')}, p99 {_num(lat['p99'], 's')} ({lat['alerts']} alerts) | | |")
    sc = result.get("scale") or {}
    if sc:
        lines.append(f"| 1 worker / 2 workers | {_num(sc['one_per_s'])} / {_num(sc['two_per_s'])} articles/s; "
                     f"2-worker run: machine busy {_num(sc['two_machine_busy'])} of {sc['cores']} cores (workers "
                     f"{_num(sc['two_workers_cores'])}, broker {_num(sc['two_broker_cores'])}, producer "
                     f"{_num(sc['two_bench_cores'])}, other processes {_num(sc['two_other_cores'])}) | | |")
    for t in result.get("targets", []):
        note = f" ({t['note']})" if t.get("note") else ""
        lines.append(f"| {t['name']}{note} | {_num(t['value'], t['unit'])} | {_target_text(t)} | {_verdict(t)} |")
    others = [(k, r["cpu"].get("other_processes_cores")) for k in ("throughput", "latency_run", "scale_two")
              if (r := result.get(k)) and r.get("cpu")]
    if others:
        lines += ["", "CPU used by other processes on the machine during the runs (cores): "
                  + ", ".join(f"{k} {_num(v)}" for k, v in others) + "."]
    if tp:
        lines += ["", "Per-stage time (ms per article):", "", "```"] + _stage_lines(tp, base) + ["```"]
    return "\n".join(lines)


# Options whose values are paths: only the file name goes into the docs.
_PATH_ARGS = re.compile(r"(--(?:json-out|docs|profile)[ =])(\S+)")


_MARKERS = ("<!-- bench:results:start -->", "<!-- bench:results:end -->")


def update_docs(text: str, table: str) -> str:
    """Replace the text between the results markers of docs/benchmarks.md with ``table``."""
    start, end = _MARKERS
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    block = f"{start}\n{table}\n{end}"
    if not pattern.search(text):
        return text.rstrip() + "\n\n" + block + "\n"
    return pattern.sub(lambda _: block, text)
