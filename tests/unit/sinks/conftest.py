"""Fixtures for the sink tests (helpers live in sinkkit.py)."""

import pytest
from prometheus_client import CollectorRegistry
from sinkkit import make_alert

from stream.metrics import Metrics
from stream.models import Alert


@pytest.fixture
def alert() -> Alert:
    return make_alert()


@pytest.fixture
def metrics() -> Metrics:
    return Metrics(CollectorRegistry(), process=False)


