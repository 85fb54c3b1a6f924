"""Helpers for the monitoring tests: real servers as subprocesses, polling, PromQL over HTTP.

Nothing here knows about sitrep's metrics; the fixtures in conftest.py do.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import pytest

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"

INSTALL_HINT = "apt-get install prometheus prometheus-alertmanager"


def binary(name: str) -> str:
    """The path of a required binary; fail (not skip) with an install hint when it is missing."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} not found on PATH: {INSTALL_HINT} (or deselect with -m 'not prometheus')")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition: Callable[[], Any], *, timeout: float, interval: float = 0.2, what: str = "condition",
             diagnostics: Callable[[], str] | None = None) -> Any:
    """Poll ``condition`` until it returns a truthy value; fail with ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            value = condition()
            if value:
                return value
        except Exception as exc:  # keep polling; report the last error
            last_error = exc
        if time.monotonic() >= deadline:
            extra = f"; last error: {last_error!r}" if last_error else ""
            more = f"\n{diagnostics()}" if diagnostics else ""
            pytest.fail(f"timed out after {timeout:g}s waiting for {what}{extra}{more}")
        time.sleep(interval)


def http(method: str, url: str, body: Any = None, timeout: float = 5.0) -> tuple[int, Any]:
    """One request; JSON in and out when there is a body. Returns (status, parsed body or text)."""
    data = None if body is None else json.dumps(body).encode("utf-8")
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    text = raw.decode("utf-8", "replace")
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


class ServerProcess:
    """A server binary started on 127.0.0.1 with its log in a file; stopped by ``stop()``."""

    def __init__(self, name: str, argv: list[str], log_path: Path, *, ready_url: str, cwd: Path | None = None):
        self.name = name
        self.argv = argv
        self.log_path = log_path
        self.ready_url = ready_url
        self._log = open(log_path, "wb")
        self.proc = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT, cwd=cwd)

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return f"--- {self.name} log ({self.log_path}) ---\n" + "\n".join(text[-lines:])

    def wait_ready(self, timeout: float = 30.0) -> None:
        def ready() -> bool:
            if self.proc.poll() is not None:
                pytest.fail(f"{self.name} exited with {self.proc.returncode}\n{self.log_tail()}")
            status, _ = http("GET", self.ready_url, timeout=2.0)
            return status == 200

        wait_for(ready, timeout=timeout, what=f"{self.name} at {self.ready_url}", diagnostics=self.log_tail)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()


# ------------------------------------------------------------------ PromQL
def query(prom_url: str, expr: str, *, at: float | None = None) -> dict[str, Any]:
    params = {"query": expr}
    if at is not None:
        params["time"] = f"{at:.3f}"
    _, body = http("GET", f"{prom_url}/api/v1/query?{urllib.parse.urlencode(params)}", timeout=10.0)
    if not isinstance(body, dict):
        return {"status": "error", "error": f"not JSON: {str(body)[:200]}"}
    return body


def run_all_expressions(prom_url: str, expressions: Iterable[str]) -> list[tuple[str, str, int]]:
    """Run every expression through ``/api/v1/query``: ``(expr, status, number of series)``.

    ``status`` is ``"success"`` or ``"error: <Prometheus's message>"``.
    """
    results = []
    for expr in expressions:
        body = query(prom_url, expr)
        if body.get("status") == "success":
            data = body["data"]
            n = len(data["result"]) if data["resultType"] in {"vector", "matrix"} else 1
            results.append((expr, "success", n))
        else:
            results.append((expr, f"error: {body.get('errorType', '')} {body.get('error', '')}".strip(), 0))
    return results


# ------------------------------------------------------------------ Grafana
_LABEL_VALUES = re.compile(r"^\s*label_values\(\s*(?:(?P<metric>.+?)\s*,\s*)?(?P<label>\w+)\s*\)\s*$")
_QUERY_RESULT = re.compile(r"^\s*query_result\((?P<expr>.+)\)\s*$", re.S)


def iter_panels(panels: list[dict]) -> Iterator[dict]:
    for panel in panels:
        yield panel
        yield from iter_panels(panel.get("panels") or [])  # collapsed rows hold their panels


def dashboard_expressions(dashboard: dict) -> list[tuple[str, str]]:
    """``(where, expr)`` for every panel target and every query variable, as written."""
    out = []
    for panel in iter_panels(dashboard.get("panels") or []):
        for target in panel.get("targets") or []:
            if target.get("expr"):
                out.append((f"panel {panel.get('title')!r} ref {target.get('refId')}", target["expr"]))
    for var in (dashboard.get("templating") or {}).get("list") or []:
        if var.get("type") != "query":
            continue
        q = var.get("query")
        q = q.get("query") if isinstance(q, dict) else q
        out.append((f"variable {var['name']}", q))
    return out


def grafana_to_promql(expr: str, values: dict[str, str]) -> str:
    """Substitute Grafana variables with concrete values and turn variable functions into PromQL.

    ``label_values(m, l)`` becomes ``m`` (or ``up`` with no metric), ``query_result(e)`` becomes ``e``.
    """
    m = _LABEL_VALUES.match(expr)
    if m:
        expr = m.group("metric") or "up"
    m = _QUERY_RESULT.match(expr)
    if m:
        expr = m.group("expr")
    # longest names first, so $__rate_interval is not read as $__rate
    for name in sorted(values, key=len, reverse=True):
        expr = expr.replace("${" + name + "}", values[name]).replace("${" + name + ":regex}", values[name])
        expr = expr.replace("$" + name, values[name])
    leftover = re.findall(r"\$\{?\w+", expr)
    assert not leftover, f"unsubstituted Grafana variables {leftover} in {expr!r}"
    return expr


# ------------------------------------------------------------------ rules
def rule_expressions(rules_file: Path) -> list[tuple[str, str]]:
    import yaml

    doc = yaml.safe_load(rules_file.read_text())
    out = []
    for group in doc["groups"]:
        for rule in group["rules"]:
            name = rule.get("alert") or rule.get("record")
            out.append((f"{group['name']}/{name}", rule["expr"]))
    return out
