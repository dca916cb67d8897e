"""Changes to a whole class session: cancelling it with every booking in it.

What a cancelled session leaves behind, and who sees it:

| row | after session_cancel |
| --- | --- |
| ClassSession | `cancelled`, `cancelled_at`; gone from open_sessions, refused by seat_reserve and booking_reschedule |
| each active Booking | `cancelled` (cancelled_at), its seats free; the customer gets "cancelled by staff" in their language with METHOD:CANCEL, the staff member a copy; reminders removed |
| a paid Booking | as above, `payment_status` stays `paid`: a refund is due |
| the session's Meeting | `revoked` with every join token; the provider's meeting deleted after commit, retried by the meeting sweep |

"Refund due" is not a column of its own: a cancelled booking whose payment is still
`paid` is one (REFUND_DUE below). It is the honest state, since the money has not gone
back yet, and staff clear it the way they record any refund: booking_record_payment
`paid -> refunded` (the bookings admin's "record payment" action, or the staff API).
The meetings report lists such bookings as a problem.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from rendezvous.bookings.models import ACTIVE_STATUSES, Booking, BookingStatus, PaymentStatus
from rendezvous.catalog.models import ClassSession
from rendezvous.core.errors import InvalidState, NotFound
from rendezvous.meetings.domain import meeting_booking_changed, meeting_session_cancelled
from rendezvous.notifications.domain import notify_booking_cancelled

from .change import STAFF
from .history import booking_logged
from .locking import booking_transaction

# Bookings whose money must go back: cancelled while paid.
REFUND_DUE = Q(status=BookingStatus.CANCELLED, payment_status=PaymentStatus.PAID)


@dataclass(frozen=True)
class SessionCancelled:
    session: ClassSession
    cancelled: list[Booking]  # the bookings this call cancelled
    refunds_due: list[Booking]  # of those, the paid ones


def session_cancel(*, session: ClassSession, now: datetime | None = None) -> SessionCancelled:
    """Cancel a class session and every active booking in it (staff only; callers check
    the actor's permission first).

    Side effects, in order:
    1. lock: the session row (the lock seat_reserve and booking_reschedule take, so no
       booking slips in between), then its active booking rows
    2. re-check: the session exists and is not cancelled yet
    3. write: the session `cancelled`; each booking `cancelled` with its tokens revoked
       and its emails queued (outbox: the customer in their language, the staff member;
       reminders removed); the session's meeting and host token revoked
    4. after commit: emails delivered; the provider's meeting deleted (meetings task)
    Raises NotFound or InvalidState; nothing is written then.
    """
    now = now or timezone.now()
    with booking_transaction():
        locked = (
            ClassSession.objects.select_for_update(of=("self",))
            .select_related("company", "service")
            .filter(pk=session.pk)
            .first()
        )
        if locked is None:
            raise NotFound(_("This class session does not exist."))
        if locked.cancelled:
            raise InvalidState(_("This class session is already cancelled."))
        bookings = list(
            Booking.objects.select_for_update(of=("self",))
            .select_related("company", "service", "staff", "session")
            .filter(session=locked, status__in=ACTIVE_STATUSES)
            .order_by("created_at", "id")
        )
        locked.cancelled, locked.cancelled_at = True, now
        locked.save(update_fields=["cancelled", "cancelled_at"])
        for booking in bookings:
            booking_logged(
                booking,
                "session_cancelled",
                kind=STAFF,
                status=(booking.status, "cancelled"),
            )
            booking.status = BookingStatus.CANCELLED
            booking.cancelled_at = now
            booking.save(update_fields=["status", "cancelled_at", "updated_at"])
            meeting_booking_changed(booking=booking, now=now)
            notify_booking_cancelled(booking=booking, actor=STAFF)
        meeting_session_cancelled(session=locked, now=now)
    refunds = [b for b in bookings if b.payment_status == PaymentStatus.PAID]
    return SessionCancelled(session=locked, cancelled=bookings, refunds_due=refunds)
