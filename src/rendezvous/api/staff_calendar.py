"""Back office: the calendar feed (GET /companies/{company}/manage/calendar).

One answer holds the columns (staff members or resources), their events and the staff's
working hours for up to CALENDAR_MAX_DAYS days, for the back office's calendar page
(the browser's session) and for clients with an API token alike. What each role sees
is decided in companies.access; the rows are read by bookings.domain.calendar.
"""

from typing import Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query

from rendezvous.bookings.domain.calendar import CALENDAR_MAX_DAYS, calendar_feed
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
    feed = calendar_feed(
        actor=actor,
        first=from_,
        last=to,
        zone=zone,
        view=view,
        location_id=parse_id(location, "location"),
        staff_id=parse_id(staff, "staff"),
        service_id=parse_id(service, "service"),
    )
    return feed
