"""Sink configuration: one frozen ``SinkSettings`` read from ``SITREP_*`` variables.

Nothing reads the environment at import time. ``SinkSettings.from_env()``
reads it when a worker starts; ``SinkSettings.replace(**flags)`` applies
CLI flags on top (``None`` means: flag not given), like ``stream.config``.

An empty URL disables that sink, so a worker with no sink variables set
delivers alerts to the alerts topic only.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field, fields
from typing import Any, Mapping
from urllib.parse import urlsplit

from ..config import Secret, coerce
from ..errors import ConfigError

__all__ = ["SinkSettings", "SINK_ENV"]

# Field -> environment variable, for every sink setting (also the doc's table).
SINK_ENV: dict[str, str] = {
    "alertmanager_url": "SITREP_ALERTMANAGER_URL",
    "alertmanager_timeout": "SITREP_ALERTMANAGER_TIMEOUT",
    "alertmanager_resolve_timeout": "SITREP_ALERTMANAGER_RESOLVE_TIMEOUT",
    "webhook_url": "SITREP_WEBHOOK_URL",
    "webhook_timeout": "SITREP_WEBHOOK_TIMEOUT",
    "webhook_secret": "SITREP_WEBHOOK_SECRET",
    "retries": "SITREP_SINK_RETRIES",
    "backoff_initial": "SITREP_SINK_BACKOFF_INITIAL",
    "backoff_max": "SITREP_SINK_BACKOFF_MAX",
    "backoff_jitter": "SITREP_SINK_BACKOFF_JITTER",
    "queue_size": "SITREP_SINK_QUEUE_SIZE",
    "stop_timeout": "SITREP_SINK_STOP_TIMEOUT",
}


@dataclass(frozen=True)
class SinkSettings:
    """Where alerts go besides the alerts topic, and how hard to try.

    ``alertmanager_url`` is the base URL of an Alertmanager (``/api/v2/alerts``
    is appended); several comma-separated URLs send every alert to each
    instance of an HA pair, as Alertmanager expects. ``webhook_url`` receives
    ``Alert.to_dict()`` as JSON; with ``webhook_secret`` set, every request is
    signed (see ``stream.sinks.webhook``). ``retries`` counts attempts after
    the first; the wait before retry *n* is ``backoff_initial * 2**n`` capped
    at ``backoff_max``, of which a random fraction up to ``backoff_jitter``
    is taken off.
    """

    alertmanager_url: str = ""
    alertmanager_timeout: float = 5.0
    alertmanager_resolve_timeout: float = 3600.0
    webhook_url: str = ""
    webhook_timeout: float = 5.0
    webhook_secret: Secret = field(default_factory=lambda: Secret(""))
    retries: int = 3
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    backoff_jitter: float = 0.5
    queue_size: int = 1000
    stop_timeout: float = 10.0

    # ---------------------------------------------------------------- loading
    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "SinkSettings":
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            name = SINK_ENV[f.name]
            raw = env.get(name)
            if raw is not None:
                values[f.name] = coerce(f, raw, source=name)
        return cls(**values).validated()

    @classmethod
    def from_object(cls, obj: Any) -> "SinkSettings":
        """Take every field ``obj`` has an attribute for (e.g. a ``Settings`` that grew sink fields)."""
        values = {f.name: getattr(obj, f.name) for f in fields(cls) if hasattr(obj, f.name)}
        if isinstance(values.get("webhook_secret"), str):
            values["webhook_secret"] = Secret(values["webhook_secret"])
        return cls(**values).validated()

    def replace(self, **overrides: Any) -> "SinkSettings":
        by_name = {f.name: f for f in fields(self)}
        values: dict[str, Any] = {}
        for name, value in overrides.items():
            if value is None:
                continue
            if name not in by_name:
                raise ConfigError(f"unknown sink setting {name!r}")
            if isinstance(value, str):
                value = coerce(by_name[name], value, source=f"--{name.replace('_', '-')}")
            values[name] = value
        return dataclasses.replace(self, **values).validated()

    def validated(self) -> "SinkSettings":
        for url in (*self.alertmanager_urls, *([self.webhook_url] if self.webhook_url else [])):
            parts = urlsplit(url)
            if parts.scheme not in {"http", "https"} or not parts.netloc:
                raise ConfigError(f"sink URL must be http(s)://host[:port][/path] (got {url!r})")
        positive = ("alertmanager_timeout", "alertmanager_resolve_timeout", "webhook_timeout", "queue_size")
        for name in positive:
            if getattr(self, name) <= 0:
                raise ConfigError(f"{SINK_ENV[name]} must be > 0 (got {getattr(self, name)})")
        for name in ("retries", "backoff_initial", "backoff_max", "stop_timeout"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{SINK_ENV[name]} must be >= 0 (got {getattr(self, name)})")
        if not 0 <= self.backoff_jitter <= 1:
            raise ConfigError(f"SITREP_SINK_BACKOFF_JITTER must be within [0, 1] (got {self.backoff_jitter})")
        return self

    # ---------------------------------------------------------------- helpers
    @property
    def alertmanager_urls(self) -> list[str]:
        return [u.strip().rstrip("/") for u in self.alertmanager_url.split(",") if u.strip()]

    @property
    def enabled(self) -> bool:
        return bool(self.alertmanager_urls or self.webhook_url)

    def public(self) -> dict[str, Any]:
        """Settings safe to log: the secret masked."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["webhook_secret"] = "**********" if self.webhook_secret else ""
        return out
