"""README's first command: `sitrep demo` prints the seed's alerts and stops everything."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from pipeline_kit import REPO

pytestmark = pytest.mark.integration


def test_demo_prints_seed_alerts_and_stops_cleanly(tmp_path):
    env = dict(os.environ, SITREP_STATE_DIR=str(tmp_path / "state"))
    env.pop("SITREP_BROKER", None)
    done = subprocess.run([sys.executable, "-m", "stream.cli", "demo", "--timeout", "240"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "troop-buildup" in out and "sanctions" in out, out
    assert "MOBILIZE" in out and "RUS" in out
    assert "article(s) processed" in done.stderr
    # The broker and the worker are gone: nothing listens on the demo's broker port any more.
    broker_line = next(line for line in done.stderr.splitlines() if "bundled broker on" in line)
    address = broker_line.split("bundled broker on ")[1].split()[0]
    host, port = address.rsplit(":", 1)
    import socket
    with pytest.raises(OSError):
        socket.create_connection((host, int(port)), timeout=1).close()
