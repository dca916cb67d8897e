"""A booking's entries in the audit log (core.audit), written by the domain functions."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from rendezvous.bookings.models import Booking
from rendezvous.core.audit import audit_trail, logged
from rendezvous.core.models import AuditEntry

ENTITY = "booking"

ACTIONS = {
    "created": _("booked"),
    "cancelled": _("cancelled"),
    "rescheduled": _("moved"),
    "confirmed": _("confirmed"),
    "declined": _("declined"),
    "payment_recorded": _("payment recorded"),
    "marked": _("outcome recorded"),
    "notes_changed": _("notes changed"),
    "online_changed": _("video meeting switched on or off"),
    "session_cancelled": _("cancelled with its class session"),
    "confirmation_resent": _("confirmation sent again"),
}


def action_label(entry: AuditEntry) -> str:
    if entry.action == "cancelled" and entry.changes.get("customer_asked") == [False, True]:
        return str(_("cancelled at the customer's request"))
    return str(ACTIONS.get(entry.action, entry.action))


def booking_logged(
    booking: Booking, action: str, *, kind: str | None = None, **changes: tuple[Any, Any]
) -> None:
    """One entry for `booking`: `changes` maps a field to its (old, new) values."""
    logged(booking, ENTITY, action, changes, kind=kind)


def booking_history(booking: Booking) -> list[AuditEntry]:
    """Who created, confirmed, moved, cancelled ... the booking, oldest first."""
    return audit_trail(ENTITY, booking.pk)
