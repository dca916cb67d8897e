"""The one HTTP client every remote provider uses (docs/providers.md).

Timeouts on every call; transport errors, 429 and 5xx become temporary ProviderErrors
(429/503 carry Retry-After); other 4xx are permanent unless the adapter knows better
(a 401 it can fix by refreshing a token). Messages name the provider and the status,
never a URL with credentials or a body that may echo a secret.
"""

from __future__ import annotations

import email.utils
import time
from datetime import UTC, datetime
from urllib.parse import quote

import httpx

from . import ProviderError

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
_client = httpx.Client(
    timeout=TIMEOUT, follow_redirects=False, headers={"User-Agent": "Rendezvous"}
)


def request(provider: str, method: str, url: str, *, ok_statuses=(), **kwargs) -> httpx.Response:
    """Send one request; return the response when it is 2xx or in `ok_statuses`."""
    try:
        response = _client.request(method, url, **kwargs)
    except httpx.TimeoutException as exc:
        raise ProviderError(f"{provider}: timed out") from exc
    except httpx.TransportError as exc:
        raise ProviderError(f"{provider}: {type(exc).__name__}") from exc
    if response.is_success or response.status_code in ok_statuses:
        return response
    status = response.status_code
    if status == 429 or status >= 500:
        raise ProviderError(f"{provider}: HTTP {status}", retry_after=retry_after(response))
    raise ProviderError(f"{provider}: HTTP {status}", permanent=True)


def retry_after(response: httpx.Response) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), or None."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def utc_stamp(moment: datetime) -> str:
    """`2026-05-04T08:00:00Z`: the UTC form Graph and the Calendar API both take."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def path_segment(value: str) -> str:
    """A provider's id as one URL path segment (a `/` in it cannot reach another path)."""
    return quote(value, safe="")
