"""Alert delivery beyond the alerts topic: Alertmanager and a generic webhook.

Sinks depend on ``stream.models`` (and ``stream.config`` for ``Secret``),
never on the app. The worker builds one ``SinkSet`` and calls it::

    from stream.sinks import SinkSettings, build_sinks
    sinks = build_sinks(SinkSettings.from_env(), metrics=metrics)
    await sinks.start(); await sinks.deliver(alert); await sinks.stop()
"""

from .alertmanager import AlertmanagerSink, alertmanager_alert
from .base import Outcome, PermanentError, RetryableError, RetryPolicy, Sink, SinkError
from .group import SinkSet, build_sinks
from .settings import SINK_ENV, SinkSettings
from .webhook import WebhookSink, sign, verify_signature

__all__ = [
    "AlertmanagerSink",
    "Outcome",
    "PermanentError",
    "RetryPolicy",
    "RetryableError",
    "SINK_ENV",
    "Sink",
    "SinkError",
    "SinkSet",
    "SinkSettings",
    "WebhookSink",
    "alertmanager_alert",
    "build_sinks",
    "sign",
    "verify_signature",
]
