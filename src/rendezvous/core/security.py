"""The Content-Security-Policy header of the pages that set their own.

Every page gets the strict policy of settings.CONTENT_SECURITY_POLICY: our own scripts
and styles only, no inline code. The pages that set the header themselves (the booking
site and its embeds in public.security, the join page in public.join, the video
room in rooms.page) start from BASE_POLICY and change only who may frame them or, for
the room, which media it may play. It lives here, below all of them, so that each app
builds its page's header from the same policy.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.utils.csp import CSP, build_policy

# One policy for the whole site (settings.CONTENT_SECURITY_POLICY); the pages that
# set their own header start from it.
BASE_POLICY: dict[str, Any] = {
    k: v for k, v in settings.CONTENT_SECURITY_POLICY.items() if k != "frame-ancestors"
}


def apply_policy(response: HttpResponse, *, frame_ancestors: list[str] | None = None):
    """Give the response our policy, framed by no one ('none'), or, for an embed, by
    the `frame_ancestors` sources (public.security.frame_ancestors says whose)."""
    policy = dict(BASE_POLICY)
    if frame_ancestors is not None:
        policy["frame-ancestors"] = frame_ancestors
        # The embed is framed by another site: the clickjacking middleware must not
        # answer DENY for it (the CSP above says who may frame it instead).
        response.xframe_options_exempt = True
    else:
        policy["frame-ancestors"] = [CSP.NONE]
    response.headers[str(CSP.HEADER_ENFORCE)] = build_policy(policy)
    return response
