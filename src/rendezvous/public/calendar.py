"""'Add to calendar': an .ics file (icalendar) and links to Google and Outlook."""

from __future__ import annotations

from datetime import UTC
from urllib.parse import urlencode

from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from rendezvous.bookings.models import Booking


def _title(booking: Booking) -> str:
    return f"{booking.service.local_name} – {booking.company.name}"


def _where(booking: Booking) -> str:
    if booking.online:
        return _("Online")
    location = booking.service.location
    if location is None:
        return ""
    return ", ".join(p for p in (location.name, location.address.replace("\n", ", ")) if p)


def booking_ics(booking: Booking, manage_url: str) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Rendezvous//booking//EN")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"{booking.id}@rendezvous")
    event.add("dtstamp", booking.updated_at.astimezone(UTC))
    event.add("dtstart", booking.start.astimezone(UTC))
    event.add("dtend", booking.end.astimezone(UTC))
    event.add("summary", _title(booking))
    event.add("description", _("Manage your booking: %(url)s") % {"url": manage_url})
    if where := _where(booking):
        event.add("location", where)
    event.add("url", manage_url)
    cal.add_component(event)
    return cal.to_ical()


def google_url(booking: Booking, manage_url: str) -> str:
    fmt = "%Y%m%dT%H%M%SZ"
    dates = f"{booking.start.astimezone(UTC):{fmt}}/{booking.end.astimezone(UTC):{fmt}}"
    query = {
        "action": "TEMPLATE",
        "text": _title(booking),
        "dates": dates,
        "details": _("Manage your booking: %(url)s") % {"url": manage_url},
        "location": _where(booking),
    }
    return "https://calendar.google.com/calendar/render?" + urlencode(query)


def outlook_url(booking: Booking, manage_url: str) -> str:
    query = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": _title(booking),
        "startdt": booking.start.astimezone(UTC).isoformat(),
        "enddt": booking.end.astimezone(UTC).isoformat(),
        "body": _("Manage your booking: %(url)s") % {"url": manage_url},
        "location": _where(booking),
    }
    return "https://outlook.live.com/calendar/0/deeplink/compose?" + urlencode(query)
