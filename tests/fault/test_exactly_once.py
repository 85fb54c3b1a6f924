"""``processing_guarantee=exactly_once`` against a broker without transactions.

Faust's exactly-once mode runs transactional producers; the bundled broker
(Tansu) answers InitProducerId with an error, so it cannot work there. The
worker must refuse at startup with a plain error that says why and what to
use instead, not crash with a client traceback or run with a weaker
guarantee than asked.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from aiokafka import AIOKafkaProducer

from faultkit import report, wait_for
from stream.config import Settings
from stream.errors import ConfigError
from stream.kafka import require_transactions

pytestmark = [pytest.mark.integration]


def test_the_bundled_broker_cannot_start_idempotent_or_transactional_producers(own_broker):
    async def start(**kwargs) -> str:
        producer = AIOKafkaProducer(bootstrap_servers=own_broker.address, request_timeout_ms=10_000, **kwargs)
        try:
            await asyncio.wait_for(producer.start(), 20)
            return "started"
        except Exception as exc:  # noqa: BLE001 - the refusal is what we check
            return type(exc).__name__
        finally:
            await producer.stop()

    idempotent = asyncio.run(start(enable_idempotence=True))
    transactional = asyncio.run(start(transactional_id="probe-1"))
    report("exactly-once-probe", {"idempotent_producer": idempotent, "transactional_producer": transactional})
    assert idempotent != "started" and transactional != "started"


def test_require_transactions_explains_the_refusal(own_broker):
    settings = Settings(broker=own_broker.address, app_id="eos-probe")
    with pytest.raises(ConfigError) as info:
        require_transactions(settings, timeout=10)
    message = str(info.value)
    assert "exactly_once" in message and "transactions" in message and own_broker.address in message
    assert "at_least_once" in message


def test_worker_with_exactly_once_refuses_to_start_with_a_clear_error(fleet_for):
    fleet = fleet_for()
    started = time.monotonic()
    worker = fleet.start("eos", wait=False, SITREP_PROCESSING_GUARANTEE="exactly_once")
    wait_for(lambda: not worker.alive(), 90, f"the worker refuses and exits\n{worker.log_tail()}")
    log_text = worker.log_path.read_text(errors="replace")
    report("exactly-once-worker", {"exit_code": worker.process.returncode,
                                   "seconds": round(time.monotonic() - started, 1)})
    assert worker.process.returncode == 2
    assert "sitrep: error: processing_guarantee=exactly_once needs a Kafka cluster with transactions" in log_text
    assert "Traceback" not in log_text
