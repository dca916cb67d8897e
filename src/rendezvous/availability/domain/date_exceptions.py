"""Writes to a staff member's date exceptions: a day closed, different hours, extra hours.

| function | writes | refuses (400, field errors) |
| --- | --- | --- |
| date_exception_create / date_exception_replace / date_exception_update | one DateException | a date outside the calendar, hours on a "closed" day, no hours on a "different" or "extra" one, a date that is already closed or whose hours overlap (same location, or all locations) |
| date_exception_delete | the row | - |

`date_exception_replace` takes every field (a PUT); `date_exception_update` only the
fields that change (a PATCH, as the admin sends them) and checks the row it makes.
Saves and deletes go through the model, so availability.signals bump the version
after commit.
"""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from rendezvous.companies.domain.cleaning import (
    UNSET,
    FieldErrors,
    Maybe,
    Ref,
    company_row,
    given,
    or_none,
)
from rendezvous.companies.models import Location, StaffMember
from rendezvous.core.audit import field_changes, logged, row_values
from rendezvous.core.calendar import in_calendar, out_of_calendar

from ..models import DateException, ExceptionKind
from .schedules import STAFF, _clean_span, _conflict, _delete_logged, _minutes, _overlaps, _ref

EXCEPTION_FIELDS = ("date", "kind", "start", "end", "location")
# The field `date` below hides the type inside the class.
type Day = date


@dataclass(frozen=True, kw_only=True)
class DateExceptionFields:
    """A date exception: the date and kind (closed, hours, extra; both required), the
    start and end wall times (none on a closed day, both otherwise), the location (None:
    at every location). date_exception_update takes only those that change."""

    date: Maybe[Day | None] = UNSET
    kind: Maybe[str | None] = UNSET
    start: Maybe[time | None] = UNSET
    end: Maybe[time | None] = UNSET
    location: Maybe[Ref | None] = UNSET


def _clean_exception(
    staff: StaffMember, fields: DateExceptionFields, *, exclude_id: int | None
) -> dict[str, Any]:
    errors = FieldErrors()
    cleaned: dict[str, Any] = {}
    day = or_none(fields.date)
    # A datetime is a date too: refused, its time would be dropped silently.
    if day is None or isinstance(day, datetime):
        errors.add("date", _("Enter a date such as 2026-12-24."))
    elif not in_calendar(day):
        errors.add("date", out_of_calendar())
    else:
        cleaned["date"] = day
    kind = or_none(fields.kind)
    if kind not in ExceptionKind.values:
        errors.add("kind", _("Choose closed, hours or extra."))
    else:
        cleaned["kind"] = kind
    start, end = or_none(fields.start), or_none(fields.end)
    if kind == ExceptionKind.CLOSED:
        if start is not None or end is not None:
            errors.add("start", _("A day closed all day has no hours; leave them empty."))
        cleaned["start"] = cleaned["end"] = None
    elif kind in (ExceptionKind.HOURS, ExceptionKind.EXTRA):
        if start is None or end is None:
            for name, value in (("start", start), ("end", end)):
                if value is None:
                    errors.add(name, _("Give the hours for this date."))
        elif times := _clean_span(errors, "", start, end):
            cleaned["start"], cleaned["end"] = times
    cleaned["location"] = company_row(
        errors, "location", Location, staff.company, or_none(fields.location)
    )
    errors.raise_if_any()
    _check_exception_conflicts(staff, cleaned, exclude_id=exclude_id)
    return cleaned


def _check_exception_conflicts(
    staff: StaffMember, cleaned: Mapping[str, Any], *, exclude_id: int | None
) -> None:
    """A date is closed, or has hours; hours of one date must not overlap. A row
    without a location applies at every location, so it meets them all; rows at two
    different locations are separate schedules."""
    location_id = cleaned["location"].pk if cleaned["location"] else None
    others = DateException.objects.filter(staff=staff, date=cleaned["date"])
    if exclude_id is not None:
        others = others.exclude(pk=exclude_id)
    if location_id is not None:
        others = others.filter(location_id__in=[location_id, None])
    closed = cleaned["kind"] == ExceptionKind.CLOSED
    for other in list(others):
        if closed or other.kind == ExceptionKind.CLOSED:
            raise _conflict("date", _("This date already has an exception that conflicts."))
        if other.start is None or other.end is None:
            continue  # only a closed day has no hours
        if _overlaps(_minutes(cleaned["start"], cleaned["end"]), _minutes(other.start, other.end)):
            raise _conflict("start", _("These hours overlap other hours of this date."))


def date_exception_create(*, staff: StaffMember, fields: DateExceptionFields) -> DateException:
    """Add a date exception (closed, different hours, extra hours).

    Side effects: validate (fields, conflicts with the date's other exceptions); write the
    DateException; after commit the availability version bumped (signals).
    Raises ValidationFailed.
    """
    with transaction.atomic():
        StaffMember.objects.select_for_update(of=("self",)).filter(pk=staff.pk).first()
        cleaned = _clean_exception(staff, fields, exclude_id=None)
        row = DateException.objects.create(staff=staff, **cleaned)
        logged(staff, STAFF, "exception_added", {"id": row.pk, **field_changes({}, cleaned)})
        return row


def date_exception_replace(
    *, exception: DateException, fields: DateExceptionFields
) -> DateException:
    """Replace a date exception with the fields sent (a PUT). Same checks as creating."""
    with transaction.atomic():
        StaffMember.objects.select_for_update(of=("self",)).filter(pk=exception.staff_id).first()
        cleaned = _clean_exception(exception.staff, fields, exclude_id=exception.pk)
        changes = field_changes(row_values(exception, cleaned), cleaned)
        for name, value in cleaned.items():
            setattr(exception, name, value)
        exception.save()
        if changes:
            logged(exception.staff, STAFF, "exception_changed", {"id": exception.pk, **changes})
    return exception


def date_exception_update(
    *, exception: DateException, fields: DateExceptionFields
) -> DateException:
    """Change only the fields of a date exception given (a PATCH); the result is
    checked as a whole, as date_exception_replace checks it.

    Side effects: validate; lock the staff row; re-check the date's other exceptions;
    write; after commit the availability version bumped (signals). Raises ValidationFailed.
    """
    current = DateExceptionFields(
        date=exception.date,
        kind=exception.kind,
        start=exception.start,
        end=exception.end,
        location=_ref(exception.location_id),
    )
    merged = replace(current, **given(fields))
    return date_exception_replace(exception=exception, fields=merged)


def date_exception_delete(*, exception: DateException) -> None:
    """Remove a date exception; the weekly hours hold again (version bumped by signals)."""
    _delete_logged(exception, "exception_deleted", EXCEPTION_FIELDS)
