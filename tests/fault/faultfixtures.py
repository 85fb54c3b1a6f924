"""Fixtures shared by the fault and abuse suites (imported by both conftest files)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

from faultkit import REPORTS, Fleet, check_templates, fault_settings, write_rules
from stream.broker import EmbeddedBroker

__all__ = ["own_broker", "templates_ok", "fleet_for", "print_reports"]


@pytest.fixture
def own_broker(tmp_path: Path):
    """A broker process for this test alone: a freeze or a flood never touches another test."""
    with EmbeddedBroker(log_dir=tmp_path / "broker") as broker:
        yield broker


@pytest.fixture(scope="session")
def templates_ok() -> None:
    """The synthetic articles still yield exactly their one event with the installed extractor."""
    check_templates()


@pytest.fixture
def fleet_for(own_broker: EmbeddedBroker, tmp_path: Path) -> Callable[..., Fleet]:
    """``fleet_for(rules_text=None, **settings)``: fresh topics and group on this test's broker,
    rules in a directory of their own; every worker is stopped at teardown."""
    fleets: list[Fleet] = []

    def make(rules_text: str | None = None, env: dict[str, str] | None = None, **overrides: Any) -> Fleet:
        rules = tmp_path / f"rules-{len(fleets)}"
        write_rules(rules) if rules_text is None else write_rules(rules, rules_text)
        fleet = Fleet(fault_settings(own_broker.address, rules, **overrides), tmp_path, env=dict(env or {}))
        fleet.rules_dir = rules  # type: ignore[attr-defined]
        fleets.append(fleet)
        return fleet

    yield make
    for fleet in fleets:
        fleet.close()


def print_reports(terminalreporter: Any) -> None:
    """The counts of every fault and abuse run, once, at the end of the session."""
    if not REPORTS:
        return
    terminalreporter.section("fault and abuse counts")
    for name, counts in REPORTS:
        terminalreporter.write_line(f"{name}: " + " ".join(f"{k}={v}" for k, v in counts.items()))
    REPORTS.clear()
