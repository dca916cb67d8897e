"""A booking's entries in the audit log (core.audit), written by the domain functions."""

from datetime import datetime
from typing import Any

from django.utils.translation import gettext_lazy as _

from rendezvous.bookings.models import Booking
from rendezvous.core.audit import audit_log, audit_trail
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
    return str(ACTIONS.get(entry.action, entry.action))


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def booking_logged(
    booking: Booking, action: str, *, kind: str | None = None, **changes: tuple[Any, Any]
) -> None:
    """One entry for `booking`: `changes` maps a field to its (old, new) values."""
    audit_log(
        company_id=booking.company_id,
        entity=ENTITY,
        entity_id=booking.pk,
        action=action,
        kind=kind,
        changes={field: [_plain(old), _plain(new)] for field, (old, new) in changes.items()},
    )


def booking_history(booking: Booking) -> list[AuditEntry]:
    """Who created, confirmed, moved, cancelled ... the booking, oldest first."""
    return audit_trail(ENTITY, booking.pk)
