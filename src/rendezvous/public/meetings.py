"""What the join section of a booking shows. Issue 4 (online meetings) plugs the real
reveal rule in here: until then there is no link, only the window it will open in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from rendezvous.bookings.models import Booking


@dataclass(frozen=True)
class JoinInfo:
    opens_at: datetime
    closes_at: datetime
    url: str | None  # the link the customer may follow now, None until it may be shown
    is_open: bool
    is_over: bool


def join_info(booking: Booking, now: datetime) -> JoinInfo | None:
    """The join section of an online booking (None for in-person or inactive ones)."""
    if not booking.online or not booking.is_active:
        return None
    opens = booking.start - timedelta(minutes=booking.company.join_window_minutes)
    return JoinInfo(
        opens_at=opens,
        closes_at=booking.end,
        url=None,
        is_open=opens <= now < booking.end,
        is_over=now >= booking.end,
    )
