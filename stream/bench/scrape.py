"""Reading a worker's /metrics text and the CPU time of processes (for deltas over a run)."""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass, field
from typing import Mapping

from prometheus_client.parser import text_string_to_metric_families

__all__ = ["Samples", "parse_metrics", "CpuSnapshot", "cpu_snapshot", "cpu_delta", "load_average"]


@dataclass(frozen=True)
class Samples:
    """Every sample of one scrape: (name, sorted label pairs) -> value."""

    values: Mapping[tuple[str, tuple[tuple[str, str], ...]], float] = field(default_factory=dict)
    at: float = 0.0  # wall time of the scrape

    def get(self, name: str, **labels: str) -> float:
        """Sum of the samples named ``name`` whose labels include ``labels`` (0 if none)."""
        want = set(labels.items())
        return sum(v for (n, ls), v in self.values.items() if n == name and want <= set(ls))

    def label_values(self, name: str, label: str, **labels: str) -> set[str]:
        want = set(labels.items())
        out = set()
        for (n, ls), _ in self.values.items():
            d = dict(ls)
            if n == name and want <= set(ls) and label in d:
                out.add(d[label])
        return out

    def by_label(self, name: str, label: str) -> dict[str, float]:
        out: dict[str, float] = {}
        for (n, ls), v in self.values.items():
            d = dict(ls)
            if n == name and label in d:
                out[d[label]] = out.get(d[label], 0.0) + v
        return out


def parse_metrics(text: str, at: float | None = None) -> Samples:
    values: dict = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            values[(s.name, tuple(sorted(s.labels.items())))] = float(s.value)
    return Samples(values, time.time() if at is None else at)


# ------------------------------------------------------------------ CPU accounting
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class CpuSnapshot:
    at: float
    machine_busy: float | None           # CPU seconds all cores spent not idle since boot
    processes: dict[str, float]          # name -> CPU seconds (user + system)


def _machine_busy() -> float | None:
    try:
        with open("/proc/stat") as f:
            parts = f.readline().split()
    except OSError:
        return None
    ticks = [int(x) for x in parts[1:]]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
    steal = ticks[7] if len(ticks) > 7 else 0
    return (sum(ticks[:8]) - idle - steal) / _TICK


def _process_cpu(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            data = f.read()
    except OSError:
        return None
    fields = data[data.rfind(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime


def cpu_snapshot(pids: Mapping[str, int | None]) -> CpuSnapshot:
    """CPU seconds of the machine and of the named processes ("self" is this process)."""
    procs: dict[str, float] = {}
    for name, pid in pids.items():
        if pid is None:
            continue
        value = _process_cpu(pid)
        if value is not None:
            procs[name] = value
    ru = resource.getrusage(resource.RUSAGE_SELF)
    procs["bench"] = ru.ru_utime + ru.ru_stime
    return CpuSnapshot(time.time(), _machine_busy(), procs)


def cpu_delta(after: CpuSnapshot, before: CpuSnapshot, cores: int | None = None) -> dict:
    """CPU seconds and cores used per process and for the whole machine between two snapshots."""
    wall = max(after.at - before.at, 1e-9)
    procs = {name: after.processes[name] - before.processes[name]
             for name in after.processes if name in before.processes}
    machine = (after.machine_busy - before.machine_busy
               if after.machine_busy is not None and before.machine_busy is not None else None)
    known = sum(procs.values())
    return {
        "wall_seconds": wall,
        "cores": cores or os.cpu_count(),
        "cpu_seconds": {k: round(v, 3) for k, v in sorted(procs.items())},
        "cores_used": {k: round(v / wall, 3) for k, v in sorted(procs.items())},
        "machine_cores_busy": round(machine / wall, 3) if machine is not None else None,
        "other_processes_cores": round(max(machine - known, 0.0) / wall, 3) if machine is not None else None,
    }


def load_average() -> tuple[float, float, float] | None:
    try:
        return os.getloadavg()
    except OSError:
        return None
