"""Whether an online class fits the video room that will serve it.

The built-in room carries at most `builtin_room_seats()` customers besides the host
(rendezvous.core.rooms). Its limit is enforced once, when a class session is written
(bookings.domain.session_create and session_update publish ClassSessionChecked, which
meetings.subscribers answer with meeting_session_fits): a class
the room could not hold is refused there, with the way out, instead of turning
customers away at the door of a full room. Jitsi, BigBlueButton and the other providers
have no such limit here.
"""

from django.conf import settings
from django.utils.translation import gettext as _

from rendezvous.catalog.models import ClassSession
from rendezvous.core.errors import ValidationFailed
from rendezvous.core.rooms import builtin_room_seats

from .lifecycle import DEFAULT_PROVIDER, account_for

BUILTIN = "builtin"


def session_provider(session: ClassSession) -> str:
    """The provider a meeting for this session would get now (as lifecycle picks it)."""
    account = account_for(session.company, session.staff_id)
    return account.provider if account is not None else DEFAULT_PROVIDER


def meeting_session_fits(*, session: ClassSession) -> None:
    """Refuse an online class session whose capacity the built-in room cannot carry.

    Side effects: none (reads the company's meeting accounts). Raises ValidationFailed
    on `capacity`: the caller's transaction is undone.
    """
    company = session.company
    online = session.online and company.online_meetings_enabled and session.service.online_meeting
    if not online or session_provider(session) != BUILTIN:
        return
    seats = builtin_room_seats()
    if session.capacity > seats:
        raise ValidationFailed(
            fields={
                "capacity": [
                    _(
                        "The built-in video room holds at most %(max)s people, the host "
                        "included, so this online class can have a capacity of at most "
                        "%(seats)s. For a larger class, connect Jitsi, BigBlueButton or "
                        "Zoom under Meetings in the admin."
                    )
                    % {"max": settings.ROOM_MAX_PARTICIPANTS, "seats": seats}
                ]
            }
        )
