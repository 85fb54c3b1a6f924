"""One HTTP POST attempt, with every failure turned into a retryable or permanent ``SinkError``."""

from __future__ import annotations

import asyncio
from typing import Mapping

import aiohttp

from .. import __version__
from .base import PermanentError, RetryableError, classify_status

__all__ = ["post", "USER_AGENT"]

USER_AGENT = f"sitrep/{__version__}"


async def post(
    session: aiohttp.ClientSession,
    url: str,
    body: bytes,
    *,
    headers: Mapping[str, str],
    timeout: float,
) -> None:
    """POST ``body``; return on 2xx, raise ``RetryableError``/``PermanentError`` otherwise.

    Redirects are not followed (a POST must not turn into a GET elsewhere):
    a 3xx is a configuration error, so permanent.
    """
    all_headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers}
    try:
        async with session.post(
            url, data=body, headers=all_headers, allow_redirects=False,
            timeout=aiohttp.ClientTimeout(total=timeout),
        ) as response:
            detail = ""
            if not 200 <= response.status < 300:
                detail = (await response.content.read(512)).decode("utf-8", "replace").strip()
            classify_status(response.status, detail, response.headers.get("Retry-After"))
    except (asyncio.TimeoutError, aiohttp.ServerTimeoutError) as exc:
        raise RetryableError(f"timed out after {timeout:g}s") from exc
    except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError) as exc:
        raise RetryableError(f"{type(exc).__name__}: {exc}") from exc
    except aiohttp.ClientError as exc:  # invalid URL, bad response framing from a non-HTTP server...
        raise PermanentError(f"{type(exc).__name__}: {exc}") from exc
