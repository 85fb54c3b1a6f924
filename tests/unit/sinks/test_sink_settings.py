import pytest

from stream.config import Secret
from stream.errors import ConfigError
from stream.sinks import SINK_ENV, SinkSettings, build_sinks


def test_nothing_configured_means_no_sinks():
    settings = SinkSettings.from_env({})
    assert not settings.enabled
    sinks = build_sinks({})
    assert not sinks.enabled and sinks.names == []


def test_every_variable_is_read():
    env = {
        "SITREP_ALERTMANAGER_URL": "http://am-a:9093/, http://am-b:9093",
        "SITREP_ALERTMANAGER_TIMEOUT": "2.5",
        "SITREP_ALERTMANAGER_RESOLVE_TIMEOUT": "600",
        "SITREP_WEBHOOK_URL": "https://hooks.example.org/sitrep",
        "SITREP_WEBHOOK_TIMEOUT": "3",
        "SITREP_WEBHOOK_SECRET": "s3cret",
        "SITREP_SINK_RETRIES": "5",
        "SITREP_SINK_BACKOFF_INITIAL": "0.1",
        "SITREP_SINK_BACKOFF_MAX": "4",
        "SITREP_SINK_BACKOFF_JITTER": "0.2",
        "SITREP_SINK_QUEUE_SIZE": "10",
        "SITREP_SINK_STOP_TIMEOUT": "1",
    }
    assert set(env) == set(SINK_ENV.values())
    s = SinkSettings.from_env(env)
    assert s.alertmanager_urls == ["http://am-a:9093", "http://am-b:9093"]
    assert (s.alertmanager_timeout, s.alertmanager_resolve_timeout) == (2.5, 600.0)
    assert (s.webhook_url, s.webhook_timeout, s.webhook_secret) == (
        "https://hooks.example.org/sitrep", 3.0, Secret("s3cret"))
    assert (s.retries, s.backoff_initial, s.backoff_max, s.backoff_jitter) == (5, 0.1, 4.0, 0.2)
    assert (s.queue_size, s.stop_timeout) == (10, 1.0)
    sinks = build_sinks(env)
    assert sinks.names == ["alertmanager http://am-a:9093", "alertmanager http://am-b:9093",
                           "webhook https://hooks.example.org/sitrep"]
    assert sinks.policy.retries == 5


def test_secret_never_shows():
    s = SinkSettings.from_env({"SITREP_WEBHOOK_URL": "http://h/x", "SITREP_WEBHOOK_SECRET": "s3cret"})
    assert "s3cret" not in repr(s)
    assert s.public()["webhook_secret"] == "**********"


@pytest.mark.parametrize("env, names", [
    ({"SITREP_WEBHOOK_URL": "ftp://example.org/x"}, "http(s)"),
    ({"SITREP_ALERTMANAGER_URL": "am:9093"}, "http(s)"),
    ({"SITREP_SINK_RETRIES": "three"}, "SITREP_SINK_RETRIES"),
    ({"SITREP_WEBHOOK_TIMEOUT": "0"}, "SITREP_WEBHOOK_TIMEOUT"),
    ({"SITREP_SINK_BACKOFF_JITTER": "1.5"}, "SITREP_SINK_BACKOFF_JITTER"),
    ({"SITREP_SINK_QUEUE_SIZE": "-1"}, "SITREP_SINK_QUEUE_SIZE"),
])
def test_bad_values_name_the_variable(env, names):
    with pytest.raises(ConfigError, match=names.replace("(", r"\(").replace(")", r"\)")):
        SinkSettings.from_env(env)


def test_flags_and_objects_on_top():
    s = SinkSettings.from_env({"SITREP_WEBHOOK_URL": "http://h/x"})
    s2 = s.replace(webhook_url=None, retries="1", alertmanager_url="http://am:9093")
    assert (s2.webhook_url, s2.retries, s2.alertmanager_urls) == ("http://h/x", 1, ["http://am:9093"])
    with pytest.raises(ConfigError, match="unknown"):
        s.replace(nope=1)

    class AppSettings:  # e.g. stream.config.Settings once it carries sink fields
        webhook_url = "http://h/y"
        webhook_secret = "k"
        broker = "kafka:9092"

    s3 = SinkSettings.from_object(AppSettings())
    assert s3.webhook_url == "http://h/y" and s3.webhook_secret == Secret("k")
    assert build_sinks(AppSettings()).names == ["webhook http://h/y"]
