"""From a booking and an event to the words of one message: template choice and values."""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from django.db.models import Q
from django.utils.html import escape
from django.utils.translation import override

from rendezvous.bookings.models import Booking
from rendezvous.companies.models import Company

from ..defaults import default_template
from ..links import manage_link
from ..meeting_links import meeting_texts, online_location
from ..models import MessageTemplate
from ..payment_texts import payment_texts
from ..variables import BUTTON, for_audience, render_html, render_subject, render_text

BODY_STYLE = "font-family: sans-serif; line-height: 1.5; overflow-wrap: anywhere"
# Every style attribute an email's HTML carries (mail programs ignore style sheets): a
# page that shows an email allows exactly these in its Content-Security-Policy.
INLINE_STYLES = (BODY_STYLE, BUTTON)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def customer_zone(booking: Booking) -> ZoneInfo:
    # Customers' own zone comes with My bookings (issue 3): prefer it once Booking has one.
    own = getattr(booking, "timezone", "") or ""
    return ZoneInfo(own) if own else booking.company.zone


def format_when(value: datetime, zone: ZoneInfo, language: str) -> str:
    """ "Wednesday, December 2, 2026 10:00 CET" in `language` (CLDR via babel)."""
    local = value.astimezone(zone)
    day = format_date(local.date(), "full", locale=language)
    return f"{day} {format_time(local.time(), 'short', locale=language)} {local.tzname()}"


def format_end(start: datetime, end: datetime, zone: ZoneInfo, language: str) -> str:
    if start.astimezone(zone).date() == end.astimezone(zone).date():
        return format_time(end.astimezone(zone).time(), "short", locale=language)
    return format_when(end, zone, language)


def place(booking: Booking, language: str) -> str:
    # An online booking's link has a variable of its own ([online_meeting_link], shown
    # as a link in HTML): repeating it here printed it twice in every default email.
    if booking.online:
        return online_location(language)
    location = booking.session.location if booking.session else None
    location = location or booking.service.location
    if location is None:
        return booking.company.name
    address = ", ".join(line.strip() for line in location.address.splitlines() if line.strip())
    return f"{location.name}, {address}" if address else location.name


def booking_values(
    booking: Booking, *, language: str, zone: ZoneInfo, to_customer: bool = True
) -> dict[str, str]:
    """Every booking variable's value for one recipient (their language and zone).

    A staff recipient gets their own host link wherever a link appears: the customer's
    personal join link would let them in under the customer's name. A customer never
    gets the host link, whatever the template asks for: it can end the meeting for all.
    """
    meeting = meeting_texts(booking, language=language)
    payment = payment_texts(booking, language=language)
    link = meeting.customer_link if to_customer else meeting.staff_link
    return {
        "customer_first_name": booking.first_name,
        "customer_last_name": booking.last_name,
        "service_name": booking.service.text_in("name", language, company=booking.company),
        "staff_name": booking.staff.name if booking.staff else "",
        "company_name": booking.company.name,
        "booking_start": format_when(booking.start, zone, language),
        "booking_end": format_end(booking.start, booking.end, zone, language),
        "location": place(booking, language),
        "staff_message": booking.staff_message,
        "manage_link": manage_link(booking),
        "cancel_link": manage_link(booking, "cancel"),
        "reschedule_link": manage_link(booking, "reschedule"),
        "online_meeting_link": link,
        "online_meeting_provider_link": "" if to_customer else meeting.staff_link,
        "online_meeting_instructions": meeting.instructions,
        "payment_instructions": payment.instructions,
        "amount_due": payment.amount_due,
        "payment_reference": payment.reference,
    }


def template_for(
    *,
    company: Company,
    event: str,
    language: str,
    service_id: int | None = None,
    staff_id: int | None = None,
) -> tuple[str, str]:
    """(subject, body): service and staff, then staff, then service, then the
    company's, then the built-in default; always in `language`."""
    rows = (
        MessageTemplate.objects.filter(company=company, event=event, language=language)
        .filter(Q(service__isnull=True) | Q(service_id=service_id))
        .filter(Q(staff__isnull=True) | Q(staff_id=staff_id))
        .only("subject", "body", "service_id", "staff_id")
    )
    best = max(
        rows,
        key=lambda t: (
            t.service_id is not None and t.staff_id is not None,
            t.staff_id is not None,
            t.service_id is not None,
        ),
        default=None,
    )
    if best is not None:
        return best.subject, best.body
    return default_template(event, language)


def render(
    *, subject: str, body: str, values: dict[str, str], language: str, audience: str
) -> Rendered:
    """The message for a recipient of `audience`: variables not meant for them are
    empty, even in a template saved before the rule (or past it)."""
    values = for_audience(values, audience)
    with override(language):  # the buttons' labels
        paragraphs = render_html(body, values)
    html = (
        f'<!DOCTYPE html>\n<html lang="{escape(language)}"><head><meta charset="utf-8"></head>'
        f'<body style="{BODY_STYLE}">\n'
        f"{paragraphs}\n</body></html>\n"
    )
    return Rendered(render_subject(subject, values), render_text(body, values), html)
