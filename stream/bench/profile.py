"""Optional profiles of the workers during a measured run (``sitrep bench --profile DIR``).

Uses py-spy when it is installed (``pip install py-spy``; it is not a
dependency of sitrep): one sampling profiler per worker for the measured
window, written as collapsed stacks (``DIR/<run>-<worker>.txt``, readable by
flame-graph tools), and a summary of where the samples fall: by thread, by
function (inclusive and self), and by sitrep stage.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Iterable

__all__ = ["available", "start", "stop", "summarise", "format_summary"]

# Frames that name a stage, most specific first (matched against "function (file)").
STAGES = (
    ("model", re.compile(r"\(spacy/|\(thinc/|pipe \(spacy|spacy/language\.py")),
    ("prefilter", re.compile(r"prefilter\.py")),
    ("preprocess", re.compile(r"preprocess\.py")),
    ("patterns", re.compile(r"stream/extract/(patterns|arguments|context|merge|gazetteer|lexicon)\.py")),
    ("rules", re.compile(r"stream/alerting/")),
    ("decode", re.compile(r"stream/decode\.py")),
    ("json", re.compile(r"\(json/|models\.py")),
    ("kafka client", re.compile(r"aiokafka/|kafka/")),
    ("faust", re.compile(r"faust/|mode/")),
    ("metrics", re.compile(r"prometheus_client/")),
    ("event loop", re.compile(r"asyncio/|selectors\.py")),
)


_IDLE = re.compile(r"\bselect \(selectors\.py|\bpoll \(selectors\.py|_wait_for_tstate_lock|\bwait \(threading\.py")


def available() -> str | None:
    """py-spy on PATH, or installed next to this Python (a virtualenv that is not activated)."""
    beside = Path(sys.executable).parent / "py-spy"
    return shutil.which("py-spy") or (str(beside) if beside.is_file() else None)


def start(pid: int, out: Path, rate: int = 100) -> subprocess.Popen | None:
    exe = available()
    if exe is None:
        return None
    out.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen([exe, "record", "--pid", str(pid), "--rate", str(rate), "--format", "raw",
                             "--threads", "--output", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)


def stop(procs: Iterable[subprocess.Popen | None], timeout: float = 30.0) -> None:
    procs = [p for p in procs if p is not None]
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGINT)
    for p in procs:
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def _parse(lines: Iterable[str]) -> Iterable[tuple[list[str], int]]:
    for line in lines:
        line = line.rstrip()
        if not line:
            continue
        stack, _, count = line.rpartition(" ")
        try:
            n = int(count)
        except ValueError:
            continue
        yield stack.split(";"), n


def _stage(frames: list[str]) -> str:
    for name, pattern in STAGES:
        if any(pattern.search(f) for f in frames):
            return name
    return "other"


def _short(frame: str) -> str:
    """``func (path/to/module.py:12)`` -> ``func (module.py)``: lines merged, paths shortened."""
    m = re.match(r"(.*) \((.*?)(?::\d+)?\)$", frame)
    if not m:
        return frame
    path = m.group(2)
    for marker in ("site-packages/", "lib/python3.11/", "/stream/"):
        if marker in path:
            path = ("stream/" if marker == "/stream/" else "") + path.split(marker, 1)[1]
            break
    return f"{m.group(1)} ({path})"


def summarise(path: Path, top: int = 15) -> dict:
    """Samples by thread, by stage, and the top functions (inclusive and self)."""
    total = idle = 0
    threads: Counter = Counter()
    stages: Counter = Counter()
    inclusive: Counter = Counter()
    self_: Counter = Counter()
    with open(path, encoding="utf-8", errors="replace") as f:
        for frames, n in _parse(f):
            if frames and _IDLE.search(frames[-1]):
                idle += n  # a thread waiting in epoll: py-spy samples it, but it uses no CPU
                continue
            total += n
            thread = next((x for x in frames[:2] if x.startswith("thread")), frames[0] if frames else "?")
            threads[re.sub(r" \(0x[0-9a-f]+\)", "", thread)] += n
            calls = [_short(x) for x in frames if x.endswith(")") and not x.startswith(("process", "thread"))]
            stages[_stage(frames)] += n
            for c in set(calls):
                inclusive[c] += n
            if calls:
                self_[calls[-1]] += n
    return {"samples": total, "idle_samples": idle, "threads": dict(threads.most_common()), "stages": dict(stages.most_common()),
            "inclusive": inclusive.most_common(top), "self": self_.most_common(top)}


def format_summary(name: str, s: dict) -> str:
    total = max(s["samples"], 1)
    lines = [f"profile {name}: {s['samples']} CPU samples (+{s.get('idle_samples', 0)} waiting in epoll, left out)"]
    lines.append("  by stage:  " + ", ".join(f"{k} {100 * v / total:.1f}%" for k, v in s["stages"].items()))
    lines.append("  by thread: " + ", ".join(f"{k} {100 * v / total:.1f}%" for k, v in s["threads"].items()))
    lines.append("  top functions (self):")
    lines += [f"    {100 * v / total:5.1f}%  {k}" for k, v in s["self"]]
    lines.append("  top functions (inclusive):")
    lines += [f"    {100 * v / total:5.1f}%  {k}" for k, v in s["inclusive"]]
    return "\n".join(lines)
