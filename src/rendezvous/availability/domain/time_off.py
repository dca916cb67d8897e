"""Writes to a staff member's time off (holidays, sick leave).

| function | writes | refuses (400, field errors) |
| --- | --- | --- |
| time_off_create / time_off_replace / time_off_update | one TimeOff | times without an offset or outside the calendar (core.calendar), an end before the start, more than MAX_TIME_OFF, a reason with control characters |
| time_off_delete | the row | - |

`time_off_replace` takes every field (a PUT); `time_off_update` only the fields that
change (a PATCH, as the admin sends them) and checks the row it makes. Existing
bookings in a time off stay (the back office moves or cancels them). Saves and deletes
go through the model, so availability.signals bump the version after commit.
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rendezvous.companies.domain.cleaning import (
    UNSET,
    FieldErrors,
    Maybe,
    clean_text,
    given,
    or_none,
)
from rendezvous.companies.models import StaffMember
from rendezvous.core.audit import field_changes, logged, row_values
from rendezvous.core.calendar import in_calendar, out_of_calendar

from ..models import TimeOff
from .schedules import STAFF, _delete_logged

MAX_TIME_OFF = timedelta(days=3 * 366)
REASON_MAX = 200
TIME_OFF_FIELDS = ("start", "end", "reason")


@dataclass(frozen=True, kw_only=True)
class TimeOffFields:
    """A time off: its start and end (aware, both required) and the reason (private to
    the staff member and the admins; None: none). time_off_update takes only those that
    change."""

    start: Maybe[datetime | None] = UNSET
    end: Maybe[datetime | None] = UNSET
    reason: Maybe[str | None] = UNSET


def _clean_time_off(fields: TimeOffFields) -> dict[str, Any]:
    errors = FieldErrors()
    cleaned: dict[str, Any] = {}
    for name, value in (("start", or_none(fields.start)), ("end", or_none(fields.end))):
        if value is None or timezone.is_naive(value):
            errors.add(name, _("A date and time with a UTC offset is required."))
        elif not in_calendar(value):
            errors.add(name, out_of_calendar())
        else:
            cleaned[name] = value
    if "start" in cleaned and "end" in cleaned:
        if cleaned["end"] <= cleaned["start"]:
            errors.add("end", _("The end must be after the start."))
        elif cleaned["end"] - cleaned["start"] > MAX_TIME_OFF:
            errors.add("end", _("At most three years at once."))
    cleaned["reason"] = clean_text(
        errors, "reason", or_none(fields.reason), max_length=REASON_MAX, required=False
    )
    errors.raise_if_any()
    return cleaned


def time_off_create(*, staff: StaffMember, fields: TimeOffFields) -> TimeOff:
    """Add time off (holiday, sick leave). Existing bookings in it stay.

    Side effects: validate (start, end, reason); write the TimeOff; after commit the
    availability version bumped (signals). Raises ValidationFailed.
    """
    cleaned = _clean_time_off(fields)
    with transaction.atomic():
        row = TimeOff.objects.create(staff=staff, **cleaned)
        logged(staff, STAFF, "time_off_added", {"id": row.pk, **field_changes({}, cleaned)})
    return row


def time_off_replace(*, time_off: TimeOff, fields: TimeOffFields) -> TimeOff:
    """Replace a time off's start, end and reason (a PUT: every field as sent).

    Side effects: validate; write; after commit the availability version bumped.
    Raises ValidationFailed.
    """
    cleaned = _clean_time_off(fields)
    changes = field_changes(row_values(time_off, cleaned), cleaned)
    with transaction.atomic():
        for name, value in cleaned.items():
            setattr(time_off, name, value)
        time_off.save(update_fields=list(cleaned))
        if changes:
            logged(time_off.staff, STAFF, "time_off_changed", {"id": time_off.pk, **changes})
    return time_off


def time_off_update(*, time_off: TimeOff, fields: TimeOffFields) -> TimeOff:
    """Change only the fields of a time off given (a PATCH); the result is checked
    as a whole, as time_off_replace checks it.

    Side effects: validate; write; after commit the availability version bumped.
    Raises ValidationFailed.
    """
    current = TimeOffFields(start=time_off.start, end=time_off.end, reason=time_off.reason)
    return time_off_replace(time_off=time_off, fields=replace(current, **given(fields)))


def time_off_delete(*, time_off: TimeOff) -> None:
    """Remove time off; its hours are bookable again (version bumped by signals)."""
    _delete_logged(time_off, "time_off_deleted", TIME_OFF_FIELDS)
