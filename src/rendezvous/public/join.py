"""/join/<token>/: the only meeting link we hand out (core.tokens, meetings.links).

A public page (docs/architecture.md): it shows what meetings' rule reveals
(meetings.domain.meeting_view) and, inside the window, the built-in room (rooms.page).

| the viewer's meeting view | answer |
| --- | --- |
| unknown token | 404 |
| revoked (booking cancelled) | 410, "this link was cancelled" |
| in the window, link known | 302 to the provider's URL (the host's for the staff token); a page with the link when there are instructions or a password to read first |
| in the window, the `builtin` provider | the video room itself, on this page (rendezvous.rooms; its WebSocket checks the token and the window again) |
| a `builtin` meeting its host ended | "this meeting has ended" |
| before the window | the time in the viewer's zone, a countdown, the page reloads itself when the window opens |
| after the end | "this meeting has ended" |
| unconfirmed / unpaid / pending | why there is no link yet |

Never framed, never cached, and no Referer leaves the page (the token is in the URL).
"""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone, translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from rendezvous.core import formats
from rendezvous.core.security import apply_policy
from rendezvous.meetings.domain import meeting_view, token_lookup
from rendezvous.meetings.models import JoinRole, MeetingState
from rendezvous.rooms.page import room_context, room_policy


@never_cache
@require_http_methods(["GET", "HEAD"])
def join(request, token: str):
    row = token_lookup(token)
    if row is None:
        raise Http404
    meeting = row.meeting
    booking = row.booking if row.role == JoinRole.CUSTOMER else meeting.booking
    company = meeting.company
    codes = {code for code, _name in settings.LANGUAGES}
    if row.role == JoinRole.CUSTOMER and booking is not None:
        language = booking.language
        zone = ZoneInfo(booking.timezone) if booking.timezone else company.zone
    else:
        language = company.default_language
        zone = company.zone
    language = language if language in codes else settings.LANGUAGE_CODE
    now = timezone.now()
    view = meeting_view(booking=booking, viewer=row, now=now, meeting=meeting)
    if view is None:
        raise Http404
    builtin = view.provider == "builtin"
    ended = view.is_over or (builtin and meeting.state == MeetingState.ENDED)
    in_room = builtin and view.is_open and not view.reason and not ended
    if view.raw_url and not builtin and not (view.instructions or view.password):
        response: HttpResponse = HttpResponseRedirect(view.raw_url)
        return _headers(response)
    owner = booking or meeting.session
    if owner is None:  # a meeting is for a booking or a class session
        raise Http404
    with translation.override(language):
        context = {
            "company": company,
            "view": view,
            "title": owner.service.text_in("name", language, company=company),
            "staff_name": owner.staff.name if owner.staff else "",
            "when": formats.datetime_label(view.opens_at if view.host else owner.start, zone),
            "start": formats.datetime_label(owner.start, zone),
            "opens": formats.datetime_label(view.opens_at, zone),
            "zone_label": formats.zone_label(zone),
            "opens_ms": int(view.opens_at.timestamp() * 1000),
            "now_ms": int(now.timestamp() * 1000),
            "waiting": not ended and view.reason in ("", "pending") and not view.raw_url,
            "ended": ended,
            "room": room_context(token=token, meeting=meeting, host=view.host) if in_room else None,
        }
        status = 410 if view.reason == "revoked" else 200
        response = render(request, "meetings/join.html", context, status=status)
    if in_room:
        return _headers(room_policy(response))
    return _headers(response)


def _headers(response):
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    if "Content-Security-Policy" in response.headers:
        return response  # the room's own policy (rooms.page.room_policy)
    return apply_policy(response)
