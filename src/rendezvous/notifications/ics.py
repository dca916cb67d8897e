"""iCalendar invitations (iTIP, RFC 5546) and the staff feed, built with icalendar.

| property | value |
| --- | --- |
| UID | `booking-<booking id>@<host of BASE_URL>`: the same for every message about a booking |
| SEQUENCE | CalendarSequence of the booking, raised in the transaction of every change |
| METHOD | REQUEST for a new or changed booking, CANCEL (STATUS:CANCELLED) when cancelled |
| ORGANIZER | the company, at the sending address |
| ATTENDEE | the recipient: the customer (PARTSTAT=ACCEPTED, RSVP=FALSE: the booking is the answer) or the staff member |
| DTSTART/DTEND | in the recipient's zone, with its VTIMEZONE |
| LOCATION/URL | the join link for online bookings once it may be shown, else the address; URL otherwise the manage link |
"""

import functools
from datetime import date, datetime, timedelta
from email.utils import parseaddr
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from icalendar import STATUS, Calendar, Event, Timezone, vCalAddress

from rendezvous.bookings.models import Booking

from .events import CANCEL

PRODID = "-//Rendezvous//Bookings//EN"


def booking_uid(booking: Booking) -> str:
    host = urlsplit(settings.BASE_URL).hostname or "rendezvous"
    return f"booking-{booking.id}@{host}"


def organizer_address() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or "bookings@localhost"


@functools.lru_cache(maxsize=64)
def _vtimezone(tzid: str, year: int) -> str:
    # Building and folding the transitions is most of an invitation's cost, and this
    # runs inside the booking transaction: build each zone once per year, as text.
    first, last = date(year - 1, 1, 1), date(year + 2, 1, 1)
    return Timezone.from_tzid(tzid, first_date=first, last_date=last).to_ical().decode()


def _address(email: str, name: str, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    if name:
        address.params["CN"] = name
    address.params.update(params)
    return address


def invitation(
    *,
    booking: Booking,
    method: str,
    sequence: int,
    zone: ZoneInfo,
    summary: str,
    description: str,
    location: str,
    url: str,
    organizer_name: str,
    attendee_email: str,
    attendee_name: str,
    now: datetime | None = None,
) -> str:
    """One VEVENT for `booking` as an iTIP message (`method` REQUEST or CANCEL)."""
    now = now or timezone.now()
    cancelled = method == CANCEL
    event = Event.new(
        uid=booking_uid(booking),
        sequence=sequence,
        stamp=now,
        start=booking.start.astimezone(zone),
        end=booking.end.astimezone(zone),
        summary=summary,
        description=description or None,
        location=location or None,
        url=url or None,
        status=STATUS.CANCELLED if cancelled else STATUS.CONFIRMED,
        organizer=_address(organizer_address(), organizer_name),
        attendees=[
            _address(
                attendee_email,
                attendee_name,
                ROLE="REQ-PARTICIPANT",
                PARTSTAT="ACCEPTED",
                RSVP="FALSE",
            )
        ],
    )
    calendar = Calendar.new(method=method, prodid=PRODID, subcomponents=[event])
    return _with_timezone(calendar.to_ical().decode(), zone, booking.start)


def _with_timezone(text: str, zone: ZoneInfo, when: datetime) -> str:
    """The serialised calendar with the zone's cached VTIMEZONE before its first event."""
    if zone.key == "UTC":
        return text
    marker = "BEGIN:VEVENT\r\n"
    if marker not in text:
        return text
    head, tail = text.split(marker, 1)
    return f"{head}{_vtimezone(zone.key, when.year)}{marker}{tail}"


def staff_feed(*, name: str, events: list[dict], zone: ZoneInfo) -> str:
    """A subscribable calendar (no METHOD) of the given events, each a dict of
    uid, sequence, start, end, summary, description, status."""
    calendar = Calendar.new(prodid=PRODID, name=name)
    now = timezone.now()
    for item in events:
        calendar.add_component(
            Event.new(
                uid=item["uid"],
                sequence=item["sequence"],
                stamp=now,
                start=item["start"].astimezone(zone),
                end=item["end"].astimezone(zone),
                summary=item["summary"],
                description=item.get("description") or None,
                status=item["status"],
            )
        )
    text = calendar.to_ical().decode()
    if not events:
        return text
    return _with_timezone(text, zone, min(i["start"] for i in events) - timedelta(days=1))
