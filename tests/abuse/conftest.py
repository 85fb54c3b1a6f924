"""Abuse suite: hostile input, hostile rules, security settings. Shares the fault suite's kit."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "fault"))

from faultfixtures import fleet_for, own_broker, print_reports, templates_ok  # noqa: E402,F401


def pytest_terminal_summary(terminalreporter):
    print_reports(terminalreporter)
