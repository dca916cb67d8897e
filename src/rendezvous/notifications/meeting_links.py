"""What emails say about a booking's video meeting: the one place issue 4 plugs into.

Emails follow the reveal rule of DESIGN.md invariant 5: they carry our join link
(never the provider's raw URL), and only once the booking is confirmed and, where
payment is required, paid. Until a meeting exists (online meetings are not built
yet) every online booking gets a sentence saying when the link will come instead of
a link. `meeting_texts` is the only function that decides this; when meetings land,
it asks the meetings app for the join URLs and keeps the same shape.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import override

from rendezvous.bookings.models import Booking, BookingStatus, PaymentStatus


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
    with override(language):
        if booking.status == BookingStatus.REQUESTED:
            customer = _("Your personal video link will be sent once your booking is confirmed.")
        elif booking.payment_status == PaymentStatus.PENDING:
            customer = _("Your personal video link will be sent once your payment is received.")
        else:
            customer = _(
                "Your personal video link will appear on your booking page and be emailed "
                "to you before the start."
            )
        staff = _("The meeting link will appear in the back office once the meeting is created.")
    return MeetingTexts(customer_link=customer, staff_link=staff)


def online_location(language: str) -> str:
    with override(language):
        return _("Online video meeting")
