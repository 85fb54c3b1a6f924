"""Generic webhook: POST ``Alert.to_dict()`` as JSON, optionally signed with HMAC-SHA256.

Headers of every request:

- ``Content-Type: application/json``, ``User-Agent: sitrep/<version>``
- ``X-Sitrep-Alert-Id``: the alert id; ``Idempotency-Key``: ``<alert id>:<revision>``,
  the same on every retry, so a receiver can drop repeats
- with a secret: ``X-Sitrep-Timestamp`` (Unix seconds) and
  ``X-Sitrep-Signature: sha256=<hex>``, the HMAC-SHA256 of
  ``<timestamp>.<body>`` under the secret. Receivers recompute it with
  ``verify_signature`` and reject old timestamps to stop replays.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Sequence

import aiohttp

from ..config import Secret
from ..models import Alert, to_json
from .base import Sink
from .http import post

__all__ = ["WebhookSink", "sign", "verify_signature", "SIGNATURE_HEADER", "TIMESTAMP_HEADER"]

SIGNATURE_HEADER = "X-Sitrep-Signature"
TIMESTAMP_HEADER = "X-Sitrep-Timestamp"


def sign(secret: str | bytes, timestamp: str, body: bytes) -> str:
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    digest = hmac.new(key, timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(
    secret: str | bytes,
    body: bytes,
    timestamp: str,
    signature: str,
    *,
    tolerance: float = 300.0,
    now: float | None = None,
) -> bool:
    """True if ``signature`` is ours for this body and timestamp, and the timestamp is recent."""
    try:
        age = abs((time.time() if now is None else now) - float(timestamp))
    except ValueError:
        return False
    return age <= tolerance and hmac.compare_digest(sign(secret, timestamp, body), signature)


class WebhookSink(Sink):
    name = "webhook"
    max_batch = 1

    def __init__(self, url: str, *, timeout: float = 5.0, secret: Secret | str | None = None):
        self.url = url
        self.timeout = timeout
        if isinstance(secret, Secret):
            secret = secret.reveal()
        self._secret = secret or None

    def describe(self) -> str:
        return f"webhook {self.url}"

    async def send(self, session: aiohttp.ClientSession, alerts: Sequence[Alert]) -> None:
        (alert,) = alerts
        body = to_json(alert)
        headers = {"X-Sitrep-Alert-Id": alert.id, "Idempotency-Key": f"{alert.id}:{alert.revision}"}
        if self._secret:
            timestamp = str(int(time.time()))
            headers[TIMESTAMP_HEADER] = timestamp
            headers[SIGNATURE_HEADER] = sign(self._secret, timestamp, body)
        await post(session, self.url, body, headers=headers, timeout=self.timeout)
