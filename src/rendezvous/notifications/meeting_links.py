"""What emails say about a booking's video meeting: the one place issue 4 plugs into.

Emails follow the reveal rule of docs/architecture.md invariant 5: they carry our join link
(never the provider's raw URL), and only once the booking is confirmed and, where
payment is required, paid. `meeting_texts` asks the one reveal rule
(meetings.domain.meeting_view) for the customer's and the staff member's join links;
while a link may not be shown, the text says when it will come instead.

The rule lives in meetings, a peer of notifications that neither may import: it is
asked through bookings.reveal, where meetings registers it when the apps load.
"""

from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from rendezvous.bookings.models import Booking
from rendezvous.bookings.reveal import revealed


@dataclass(frozen=True)
class MeetingTexts:
    """Values of the meeting variables; all empty for an in-person booking."""

    customer_link: str = ""  # [online_meeting_link]: our join URL or when it will come
    staff_link: str = ""  # [online_meeting_provider_link]: the staff member's join URL or when
    instructions: str = ""  # [online_meeting_instructions]
    link_available: bool = False  # True when customer_link is a URL


def meeting_texts(booking: Booking, *, language: str) -> MeetingTexts:
    """The meeting variables for `booking`, worded in `language`."""
    if not booking.online:
        return MeetingTexts()
    now = timezone.now()
    view = revealed(booking, "customer", now)
    staff_view = revealed(booking, "staff", now) if booking.staff_id else None
    hold = booking.link_hold()
    with override(language):
        if view is not None and view.join_url:
            customer = view.join_url
        elif hold == "unconfirmed":
            customer = _("Your personal video link will be sent once your booking is confirmed.")
        elif hold == "unpaid":
            customer = _("Your personal video link will be sent once your payment is received.")
        else:
            customer = _(
                "Your personal video link will appear on your booking page and be emailed "
                "to you before the start."
            )
        if staff_view is not None and staff_view.join_url:
            staff = staff_view.join_url
        else:
            # A created meeting held back by the booking (unpaid, unconfirmed) says so:
            # "once the meeting is created" sent staff looking for a fault.
            staff = ""
            if staff_view is not None and staff_view.ready:
                staff = _waiting_for_booking(hold)
            staff = staff or _(
                "The meeting link will appear in the back office once the meeting is created."
            )
        instructions = ""
        if view is not None and view.join_url:
            lines = [view.instructions or ""]
            if view.password:
                lines.append(_("Password: %(password)s") % {"password": view.password})
            instructions = "\n".join(line for line in lines if line)
    return MeetingTexts(
        customer_link=customer,
        staff_link=staff,
        instructions=instructions,
        link_available=bool(view is not None and view.join_url),
    )


def _waiting_for_booking(hold: str) -> str:
    if hold == "unpaid":
        return _(
            "The meeting is ready: its link will appear in the back office once the "
            "booking is paid."
        )
    if hold == "unconfirmed":
        return _(
            "The meeting is ready: its link will appear in the back office once the "
            "booking is confirmed."
        )
    return ""


def online_location(language: str) -> str:
    with override(language):
        return _("Online video meeting")
