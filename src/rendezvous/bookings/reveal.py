"""The booking's video meeting as one viewer may see it: a hook the meetings app fills.

The reveal rule itself lives in meetings (meetings.domain.meeting_view). Notifications,
a peer of meetings that may not import it, ask for the links here; meetings registers
the rule when the apps load (meetings.subscribers.register_reveal), as it subscribes
to this app's events. Both sit above bookings, so both may import this module.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from .models import Booking


class RevealedMeeting(Protocol):
    """What the reveal rule answers for one viewer (meetings.domain.MeetingView)."""

    @property
    def join_url(self) -> str | None: ...
    @property
    def instructions(self) -> str | None: ...
    @property
    def password(self) -> str | None: ...
    @property
    def ready(self) -> bool: ...


Viewer = Literal["customer", "staff"]
Reveal = Callable[["Booking", Viewer, datetime], "RevealedMeeting | None"]
_reveal: Reveal | None = None


def register_reveal(reveal: Reveal) -> None:
    """`reveal(booking, viewer, now)`: the meeting as the booking's customer, or its own
    staff member, may see it now, or None (no meeting, or nothing to show)."""
    global _reveal
    _reveal = reveal


def revealed(booking: Booking, viewer: Viewer, now: datetime) -> RevealedMeeting | None:
    """The registered rule's answer; None while no meetings app has registered one."""
    return _reveal(booking, viewer, now) if _reveal is not None else None
