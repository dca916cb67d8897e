"""What the join section of a booking shows (manage page, confirmation, My bookings):
the customer's view from the one reveal rule, meetings.domain.meeting_view."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rendezvous.bookings.models import Booking
from rendezvous.meetings.domain import CustomerViewer, meeting_view


@dataclass(frozen=True)
class JoinInfo:
    opens_at: datetime
    closes_at: datetime
    url: str | None  # our /join/<token>/ link, None until it may be shown
    is_open: bool
    is_over: bool
    instructions: str | None = None
    password: str | None = None
    reason: str = ""  # why there is no link yet: unconfirmed, unpaid, pending ...


def join_info(booking: Booking, now: datetime) -> JoinInfo | None:
    """The join section of an online booking (None for in-person or inactive ones), as
    its customer may see it."""
    if not booking.online or not booking.is_active:
        return None
    view = meeting_view(booking=booking, viewer=CustomerViewer(booking.pk), now=now)
    if view is None:
        return None
    return JoinInfo(
        opens_at=view.opens_at,
        closes_at=view.closes_at,
        url=view.join_url,
        is_open=view.is_open,
        is_over=view.is_over,
        instructions=view.instructions,
        password=view.password,
        reason=view.reason,
    )
