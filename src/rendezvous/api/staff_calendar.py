"""Back office: the calendar feed (GET /companies/{company}/manage/calendar).

One answer holds the columns (staff members or resources), their events and the staff's
working hours for up to CALENDAR_MAX_DAYS days, for the back office's calendar page
(the browser's session) and for clients with an API token alike. What each role sees
is decided in companies.access; the rows are read by bookings.domain.calendar.
"""

import gzip
import hashlib
import json
from datetime import datetime
from typing import Literal

from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from ninja import Query

from rendezvous.availability.cache import cached_answer
from rendezvous.bookings.domain.calendar import CALENDAR_MAX_DAYS, Feed, calendar_feed
from rendezvous.companies.access import Actor, access_company
from rendezvous.core.errors import ValidationFailed

from .common import parse_id, parse_zone
from .errors import STAFF_ERRORS, answers
from .routing import router
from .schemas import ApiDate, CalendarOut, date_range_days
from .staff import BACK_OFFICE


@router.get(
    "/companies/{company}/manage/calendar",
    **BACK_OFFICE,
    response=answers(CalendarOut, *STAFF_ERRORS),
)
def calendar(
    request: HttpRequest,
    company: str,
    from_: ApiDate = Query(..., alias="from"),
    to: ApiDate = Query(...),
    view: Literal["staff", "resource"] = "staff",
    location: str | None = None,
    staff: str | None = None,
    service: str | None = None,
    tz: str | None = None,
):
    """The calendar of the dates `from`..`to` (inclusive, at most 42 days, in `tz` or the
    company's zone): one column per staff member (`view=staff`) or resource
    (`view=resource`), their bookings, class sessions, time off and closed days, and the
    staff's working hours. A junior employee sees only their own column and events;
    the reason of a time off shows only to admins and to its own staff member.
    `location`, `staff` and `service` narrow the columns and events."""
    actor: Actor = request.auth  # type: ignore[attr-defined]  # set by the auth classes
    c = access_company(actor, company)
    zone = parse_zone(tz, c.zone)
    if to < from_:
        raise ValidationFailed(fields={"to": [_("The end date is before the start date.")]})
    if date_range_days(from_, to) > CALENDAR_MAX_DAYS:
        raise ValidationFailed(
            fields={"to": [_("At most %(n)d days at once.") % {"n": CALENDAR_MAX_DAYS}]}
        )
    location_id = parse_id(location, "location")
    staff_id = parse_id(staff, "staff")
    service_id = parse_id(service, "service")
    # What the answer depends on besides the data: who asks (a junior's column, the
    # private reasons), the question, and the language of the titles. The data is
    # covered by the company's availability version, which every write to a booking,
    # session, schedule, staff member, service or resource moves (availability.cache):
    # a back office polling the calendar costs one cache read until something changes.
    key = (
        f"calendar:{c.id}:{actor.role}:{actor.staff_id}:{view}:{from_}:{to}:{zone.key}:"
        f"{location_id}:{staff_id}:{service_id}:{translation.get_language()}"
    )

    # The answer's name: the question and the data's version. A calendar polling with
    # it (browsers send it back by themselves: Cache-Control no-cache) gets 304 and no
    # body until something changes; weak, as the packed and unpacked bodies share it.
    tag = 'W/"' + hashlib.sha256(f"{key}:{c.availability_version}".encode()).hexdigest()[:32] + '"'
    if tag in request.headers.get("If-None-Match", ""):
        unchanged = HttpResponseNotModified()
        unchanged["ETag"] = tag
        unchanged["Cache-Control"] = "private, no-cache"
        patch_vary_headers(unchanged, ("Accept-Encoding",))
        return unchanged

    def compute() -> bytes:
        return compressed(
            calendar_feed(
                actor=actor,
                first=from_,
                last=to,
                zone=zone,
                view=view,
                location_id=location_id,
                staff_id=staff_id,
                service_id=service_id,
            )
        )

    body = cached_answer(key, c.availability_version, compute, keep_local=True)
    # Stored compressed: a week of 2,000 bookings is about 590 KiB of JSON and 78 KiB
    # of gzip, so every poll of an open calendar copies and sends an eighth of it.
    # Browsers all take gzip; a client that does not gets the JSON unpacked.
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        response = HttpResponse(body, content_type="application/json")
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(gzip.decompress(body), content_type="application/json")
    response["ETag"] = tag
    response["Cache-Control"] = "private, no-cache"
    patch_vary_headers(response, ("Accept-Encoding",))
    return response


def compressed(feed: Feed) -> bytes:
    # Level 1: nearly the size of level 6 on this repetitive JSON, at a third of the time.
    return gzip.compress(render(feed).encode(), compresslevel=1, mtime=0)


def render(feed: Feed) -> str:
    """The answer as JSON, written here rather than through the response schema: a
    week of 2,000 bookings spends about 150 ms in the schema's validation and 40 ms in
    the default encoder's calls for each datetime, more than everything else together
    (bench/calendar_feed.py). It has exactly the shape of CalendarOut (the OpenAPI
    contract test holds it to it), times with their offset, UTC as "Z", as the schema
    would write them."""
    body = {
        "timezone": feed.timezone,
        "resources": [{"id": c.id, "title": c.title, "kind": c.kind} for c in feed.resources],
        "events": [
            {
                "id": e.id,
                "kind": e.kind,
                "resource_ids": e.resource_ids,
                "start": _iso(e.start),
                "end": _iso(e.end),
                "title": e.title,
                "status": e.status,
                "online": e.online,
                "payment_status": e.payment_status,
                "seats_taken": e.seats_taken,
                "capacity": e.capacity,
            }
            for e in feed.events
        ],
        "hours": [
            {"resource_id": h.resource_id, "start": _iso(h.start), "end": _iso(h.end)}
            for h in feed.hours
        ],
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def _iso(value: datetime) -> str:
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text
