"""Rate limits: django-ratelimit's counters, each limit switched by its own setting.

A limit is a rate such as `30/m` or `5/15m`; `off` switches that limit off and leaves
every other one counting (settings: BOOKING_RATE_LIMIT, SIGNIN_RATE_LIMIT,
ADMIN_LOGIN_RATE_LIMIT).
"""

from collections.abc import Callable

from django.http import HttpRequest
from django_ratelimit.core import get_usage

Key = str | Callable[[str, HttpRequest], str]


def usage(
    request: HttpRequest,
    group: str,
    rate: str,
    *,
    key: Key = "ip",
    method: str | None = None,
    increment: bool = False,
) -> dict | None:
    """The client's count against `rate` (None when the limit is off); `increment`
    counts this request first."""
    rate = rate.strip().lower()
    if rate == "off":
        return None
    return get_usage(
        request,
        group=group,
        key=key,
        rate=rate,
        method=get_usage.ALL if method is None else method,
        increment=increment,
    )


def client_ip(request: HttpRequest) -> str:
    # REMOTE_ADDR, as django-ratelimit's "ip" key reads it: behind a proxy uvicorn sets
    # it from the forwarded header (rendezvous serve, proxy_headers).
    return request.META.get("REMOTE_ADDR", "")
