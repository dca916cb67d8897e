"""Headers and limits of the public pages.

| page | X-Frame-Options | CSP frame-ancestors |
| --- | --- | --- |
| booking site, manage, My bookings, error pages | DENY (global setting) | 'none' |
| /embed/ booking pages | none | 'self' and the company's `frame_ancestors` (only 'none' when it says so) |
| admin, API docs, everything else | DENY | 'none' (settings.SECURE_CSP) |

Every public page gets the strict Content-Security-Policy of settings.SECURE_CSP
(core.security.apply_policy): our own scripts and styles only, no inline code (htmx is
configured not to inject its indicator styles); embeds only change who may frame them.
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.http import HttpRequest

from rendezvous.companies.models import Company
from rendezvous.companies.validators import frame_ancestor_sources
from rendezvous.core.ratelimit import usage
from rendezvous.core.security import apply_policy


def frame_ancestors(company: Company | None) -> list[str]:
    """The company's allowed framing origins, keeping only well-formed sources, and this
    site itself unless the company switched embedding off ('none'): the back office's
    live preview frames the embed from this origin, and no other site can place a page
    on it, so allowing it lets no one else frame the booking page."""
    sources = frame_ancestor_sources(company.frame_ancestors if company else "")
    if sources == ["'none'"] or "'self'" in sources or "*" in sources:
        return sources
    return ["'self'", *sources]


def public_page(view):
    """Give a non-embeddable public view our CSP (frame-ancestors 'none')."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        return apply_policy(view(request, *args, **kwargs))

    return wrapped


def rate_limited(
    request: HttpRequest, group: str, rate: str | None = None, method: str = "POST"
) -> bool:
    """Count this request against the client's limit; True when it is over.

    `rate` defaults to the booking limit (settings.BOOKING_RATE_LIMIT); `off` disables
    the one limit it is given (rendezvous.core.ratelimit).
    """
    counted = usage(
        request, group, rate or settings.BOOKING_RATE_LIMIT, method=method, increment=True
    )
    return bool(counted and counted["should_limit"])
