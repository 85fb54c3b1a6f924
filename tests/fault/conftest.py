"""Fault suite: real broker, real worker processes, failures injected (see faultkit)."""

from faultfixtures import fleet_for, own_broker, print_reports, templates_ok  # noqa: F401


def pytest_terminal_summary(terminalreporter):
    print_reports(terminalreporter)
