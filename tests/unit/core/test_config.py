"""Settings: environment first, flags on top, secrets never shown."""

from __future__ import annotations

import pytest

from stream.config import Settings
from stream.errors import ConfigError
from stream.kafka import client_kwargs


def test_environment_then_flags():
    s = Settings.from_env({"SITREP_BROKER": "k1:9092,kafka://k2:9092", "SITREP_PARTITIONS": "12",
                           "SITREP_BATCH_WAIT": "0.5"})
    assert s.bootstrap_servers == ["k1:9092", "k2:9092"]
    assert (s.partitions, s.batch_wait) == (12, 0.5)
    s2 = s.replace(partitions=3, broker=None)
    assert s2.partitions == 3 and s2.broker == s.broker


@pytest.mark.parametrize("env, message", [
    ({"SITREP_PARTITIONS": "many"}, "SITREP_PARTITIONS: expected int"),
    ({"SITREP_PARTITIONS": "0"}, "partitions must be >= 1"),
    ({"SITREP_SECURITY_PROTOCOL": "TLS"}, "security_protocol must be one of"),
    ({"SITREP_SECURITY_PROTOCOL": "SASL_SSL", "SITREP_SASL_MECHANISM": "GSSAPI"}, "sasl_mechanism must be"),
    ({"SITREP_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "SITREP_SASL_MECHANISM": "PLAIN"}, "sasl_username"),
])
def test_bad_settings_are_named(env, message):
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


def test_secrets_are_masked_everywhere_but_the_client():
    s = Settings.from_env({"SITREP_BROKER": "k:9092", "SITREP_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
                           "SITREP_SASL_MECHANISM": "SCRAM-SHA-512", "SITREP_SASL_USERNAME": "u",
                           "SITREP_SASL_PASSWORD": "hunter2"})
    assert "hunter2" not in repr(s) and "hunter2" not in str(s.public())
    kwargs = client_kwargs(s)
    assert kwargs["sasl_plain_password"] == "hunter2"
    assert kwargs["sasl_mechanism"] == "SCRAM-SHA-512" and kwargs["security_protocol"] == "SASL_PLAINTEXT"
