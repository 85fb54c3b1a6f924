"""Fixtures of the rule engine tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def run():
    """Feed (event, now) pairs through engine.process with one shared state dict."""
    def _run(engine, items, states=None):
        states = {} if states is None else states
        out = []
        for event, now in items:
            out.extend(engine.process(event, states, now))
        return out, states
    return _run
