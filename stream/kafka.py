"""Kafka client settings and topic administration, shared by every client sitrep opens.

TLS and SASL settings are turned into keyword arguments once here, so the
Faust app, the producer, the alert reader and the admin client all connect
the same way. Secrets are revealed only when building those arguments.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from typing import Any

from .config import Settings
from .errors import ConfigError, SitrepError

__all__ = [
    "KafkaUnavailable",
    "ssl_context",
    "client_kwargs",
    "faust_credentials",
    "ensure_topics",
    "topic_specs",
    "require_transactions",
]

log = logging.getLogger(__name__)


class KafkaUnavailable(SitrepError):
    """The Kafka cluster cannot be reached or refused a request."""


def ssl_context(settings: Settings) -> ssl.SSLContext | None:
    if not settings.security_protocol.upper().endswith("SSL"):
        return None
    ctx = ssl.create_default_context(cafile=settings.ssl_cafile or None)
    if settings.ssl_certfile:
        ctx.load_cert_chain(
            settings.ssl_certfile,
            keyfile=settings.ssl_keyfile or None,
            password=settings.ssl_password.reveal() or None,
        )
    return ctx


def client_kwargs(settings: Settings) -> dict[str, Any]:
    """Connection keyword arguments for aiokafka clients (producer, consumer, admin)."""
    protocol = settings.security_protocol.upper()
    kwargs: dict[str, Any] = {
        "bootstrap_servers": settings.bootstrap_servers,
        "security_protocol": protocol,
    }
    ctx = ssl_context(settings)
    if ctx is not None:
        kwargs["ssl_context"] = ctx
    if protocol.startswith("SASL"):
        kwargs["sasl_mechanism"] = settings.sasl_mechanism.upper()
        kwargs["sasl_plain_username"] = settings.sasl_username
        kwargs["sasl_plain_password"] = settings.sasl_password.reveal()
    return kwargs


def faust_credentials(settings: Settings) -> Any:
    """``broker_credentials`` for faust.App (None for PLAINTEXT)."""
    import faust

    protocol = settings.security_protocol.upper()
    ctx = ssl_context(settings)
    if protocol.startswith("SASL"):
        return faust.SASLCredentials(
            username=settings.sasl_username,
            password=settings.sasl_password.reveal(),
            mechanism=settings.sasl_mechanism.upper(),
            ssl_context=ctx,
        )
    if ctx is not None:
        return faust.SSLCredentials(ctx)
    return None


def topic_specs(settings: Settings) -> dict[str, dict[str, Any]]:
    """Topics sitrep needs, with partitions and config."""
    n = settings.partitions
    return {
        settings.articles_topic: {"partitions": n},
        settings.events_topic: {"partitions": n},
        settings.alerts_topic: {"partitions": n},
        settings.dlq_topic: {"partitions": n},
        settings.matches_topic: {"partitions": n},
        # Every worker reads all silences: one partition, compacted by silence id.
        settings.silences_topic: {"partitions": 1, "config": {"cleanup.policy": "compact"}},
    }


async def ensure_topics(settings: Settings, names: list[str] | None = None, timeout: float = 30.0) -> list[str]:
    """Create missing topics with the configured partition count; returns those created.

    Existing topics are left as they are (their partition count is the
    operator's choice on a real cluster).
    """
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    specs = topic_specs(settings)
    wanted = {k: v for k, v in specs.items() if names is None or k in names}
    admin = AIOKafkaAdminClient(request_timeout_ms=int(timeout * 1000), **client_kwargs(settings))
    try:
        await asyncio.wait_for(admin.start(), timeout)
    except Exception as exc:  # noqa: BLE001 - reported with the address
        raise KafkaUnavailable(f"cannot reach Kafka at {settings.broker}: {exc!r}") from exc
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(name, num_partitions=spec["partitions"],
                     replication_factor=settings.replication_factor,
                     topic_configs=spec.get("config", {}))
            for name, spec in wanted.items() if name not in existing
        ]
        if missing:
            response = await admin.create_topics(missing, timeout_ms=int(timeout * 1000))
            for name, code, *_ in getattr(response, "topic_errors", []) or []:
                if code not in (0, 36):  # 36: already exists (a racing worker made it)
                    raise KafkaUnavailable(f"could not create topic {name!r}: error code {code}")
            log.info("created topics: %s", ", ".join(t.name for t in missing))
        return [t.name for t in missing]
    finally:
        await admin.close()


async def _transactions_refused(settings: Settings, timeout: float) -> str | None:
    """Why the cluster cannot start a transactional producer (None if it can)."""
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(transactional_id=f"{settings.app_id}-transactions-probe",
                                request_timeout_ms=int(timeout * 1000), **client_kwargs(settings))
    try:
        await asyncio.wait_for(producer.start(), timeout)
    except Exception as exc:  # noqa: BLE001 - any failure is the answer
        return f"{type(exc).__name__}: {exc}".rstrip(": ") or type(exc).__name__
    finally:
        try:
            await producer.stop()
        except Exception:  # noqa: BLE001
            pass
    return None


def require_transactions(settings: Settings, timeout: float = 20.0) -> None:
    """Refuse ``exactly_once`` on a cluster that cannot run transactional producers.

    Faust's exactly-once mode needs idempotent, transactional producers
    (InitProducerId, and on Kafka a transaction log replicated to 3 brokers).
    Without them the worker would crash at startup with a client traceback;
    this says why in plain words instead. Runs on its own thread and loop so
    it may be called with or without a running event loop.
    """
    import threading

    result: list[str | None] = []
    thread = threading.Thread(target=lambda: result.append(asyncio.run(_transactions_refused(settings, timeout))),
                              name="transactions-probe", daemon=True)
    thread.start()
    thread.join(timeout + 10)
    reason = result[0] if result else "no answer"
    if reason is not None:
        raise ConfigError(
            f"processing_guarantee=exactly_once needs a Kafka cluster with transactions, and the cluster "
            f"at {settings.broker} cannot start a transactional producer ({reason}). Use at_least_once "
            "(the default): every record is processed at least once and alert and event ids are "
            "deterministic, so consumers drop redelivered copies by id (README, Guarantees)."
        )
