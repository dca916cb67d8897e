"""Writes to a staff member's weekly hours, and the checks of wall-time spans that
the date exceptions share (availability.domain.date_exceptions).

| function | writes | refuses (400, field errors) |
| --- | --- | --- |
| working_hours_replace | the whole week at once: every WorkingHours row of the staff member | an end before the start (00:00 means midnight), seconds, spans of one weekday that overlap (at any location: one person, one place), another company's location |
| working_hours_add / working_hours_change | one WorkingHours row (the admin's page of one span) | the same, checked against the staff member's other spans of that weekday |
| working_hours_delete | the row | - |

working_hours_change takes only the fields that change (a PATCH, as the admin sends
them) and checks the row it makes.

The week is replaced as a whole rather than edited row by row: a change of hours is
usually several rows at once (Monday 9-12 and 13-17), and checking overlaps against
rows that are about to change would refuse valid edits. The staff row is locked
first, so two replacements never interleave into an overlapping week.

Hours that now exclude existing bookings do not cancel them: the bookings stay, and
only new bookings see the new hours (the back office moves or cancels the others).
Saves and deletes go through the model, so availability.signals bump the version after
commit; bulk_create sends no signal, so working_hours_replace bumps it itself.
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import time
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
from rendezvous.core.errors import ValidationFailed

from ..cache import availability_changed
from ..models import DateException, TimeOff, WorkingHours

MIDNIGHT = time(0)
MAX_SPANS = 50
# Schedule rows are recorded in the audit log on their staff member (entity "staff"),
# whose page shows them; `id` in the changes names the row.
STAFF = "staff"
HOURS_FIELDS = ("weekday", "start", "end", "location")


def _span(row: WorkingHours) -> str:
    """ "0 09:00-12:00" (weekday 0 is Monday), with the location's id where it has one."""
    where = f" @{row.location_id}" if row.location_id else ""
    return f"{row.weekday} {row.start:%H:%M}-{row.end:%H:%M}{where}"


def _clean_span(errors: FieldErrors, prefix: str, start: Any, end: Any) -> tuple[time, time] | None:
    """Checks a start and end wall time; both, when they are usable. They are checked
    as values of any kind: the back office hands over a time it could not read as
    typed, for this message."""
    ok = True
    for name, value in (("start", start), ("end", end)):
        if not isinstance(value, time):
            errors.add(f"{prefix}{name}", _("Enter a time such as 09:30."))
            ok = False
        elif value.tzinfo is not None or value.second or value.microsecond:
            errors.add(f"{prefix}{name}", _("Give hours and minutes only, without a zone."))
            ok = False
    if ok and end != MIDNIGHT and end <= start:
        errors.add(f"{prefix}end", _("The end must be after the start (00:00 means midnight)."))
        ok = False
    return (start, end) if ok else None


def _minutes(start: time, end: time) -> tuple[int, int]:
    """A wall-time span as minutes of the day; an end of 00:00 is the day's end."""
    end_minutes = 24 * 60 if end == MIDNIGHT else end.hour * 60 + end.minute
    return start.hour * 60 + start.minute, end_minutes


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _ref(row_id: int | None) -> str | None:
    """A stored id as the API spells it, for a PATCH that leaves the field alone."""
    return None if row_id is None else str(row_id)


# -- weekly hours --------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class HoursFields:
    """One span of a staff member's week: the weekday (0 Monday ... 6 Sunday), the
    start and end wall times (an end of 00:00 is midnight), and the location (None:
    at every location). All but the location are required; working_hours_change takes
    only those that change."""

    weekday: Maybe[int | None] = UNSET
    start: Maybe[time | None] = UNSET
    end: Maybe[time | None] = UNSET
    location: Maybe[Ref | None] = UNSET


def _clean_hours(
    errors: FieldErrors, prefix: str, staff: StaffMember, span: HoursFields
) -> WorkingHours | None:
    """One span as an unsaved row of `staff`; None (and field errors) when unusable."""
    weekday = or_none(span.weekday)
    if weekday is None or not 0 <= weekday <= 6:
        errors.add(f"{prefix}weekday", _("Enter a weekday from 0 (Monday) to 6 (Sunday)."))
        weekday = None
    times = _clean_span(errors, prefix, or_none(span.start), or_none(span.end))
    location = company_row(
        errors, f"{prefix}location", Location, staff.company, or_none(span.location)
    )
    if weekday is None or times is None or f"{prefix}location" in errors:
        return None
    start, end = times
    return WorkingHours(staff=staff, location=location, weekday=weekday, start=start, end=end)


def working_hours_replace(
    *, staff: StaffMember, spans: Sequence[HoursFields]
) -> list[WorkingHours]:
    """Replace a staff member's whole week with `spans`.

    Side effects, in order:
    1. validate: each span (field names `hours.<n>.<field>`), no overlap within a weekday
    2. lock: the staff row
    3. write: the old rows deleted, the new ones inserted
    4. after commit: the availability version bumped
    Raises ValidationFailed; nothing is written then.
    """
    errors = FieldErrors()
    if len(spans) > MAX_SPANS:
        errors.add("hours", _("At most %(n)d spans.") % {"n": MAX_SPANS})
        errors.raise_if_any()
    rows: list[WorkingHours] = []
    by_day: dict[int, list[tuple[int, tuple[int, int]]]] = {}
    for n, span in enumerate(spans):
        prefix = f"hours.{n}."
        row = _clean_hours(errors, prefix, staff, span)
        if row is None:
            continue
        minutes = _minutes(row.start, row.end)
        for other_n, other in by_day.get(row.weekday, []):
            if _overlaps(minutes, other):
                errors.add(
                    f"{prefix}start",
                    _("Overlaps span %(n)d of the same weekday.") % {"n": other_n},
                )
                break
        by_day.setdefault(row.weekday, []).append((n, minutes))
        rows.append(row)
    errors.raise_if_any()
    with transaction.atomic():
        StaffMember.objects.select_for_update(of=("self",)).filter(pk=staff.pk).first()
        old = WorkingHours.objects.filter(staff=staff).order_by("weekday", "start", "id")
        before = [_span(row) for row in old]
        old.delete()
        created = WorkingHours.objects.bulk_create(rows)
        after = sorted(_span(row) for row in created)
        if sorted(before) != after:
            logged(staff, STAFF, "hours_replaced", {"hours": (before, after)})
        availability_changed(staff.company_id)
    return created


def _check_weekday_free(row: WorkingHours, *, exclude_id: int | None) -> None:
    """The staff member's other spans of that weekday, at any location (one person,
    one place), must not overlap `row`. Called with the staff row locked."""
    minutes = _minutes(row.start, row.end)
    others = WorkingHours.objects.filter(staff_id=row.staff_id, weekday=row.weekday)
    if exclude_id is not None:
        others = others.exclude(pk=exclude_id)
    for other in others.order_by("start"):
        if _overlaps(minutes, _minutes(other.start, other.end)):
            raise _conflict(
                "start",
                _("These hours overlap %(start)s-%(end)s on the same weekday.")
                % {"start": f"{other.start:%H:%M}", "end": f"{other.end:%H:%M}"},
            )


def working_hours_add(*, staff: StaffMember, fields: HoursFields) -> WorkingHours:
    """Add one span to a staff member's week.

    Side effects, in order:
    1. validate: the span (as working_hours_replace checks each one)
    2. lock: the staff row (the lock working_hours_replace takes)
    3. re-check: no other span of that weekday overlaps it
    4. write: the WorkingHours row
    5. after commit: the availability version bumped (signals)
    Raises ValidationFailed; nothing is written then.
    """
    errors = FieldErrors()
    row = _clean_hours(errors, "", staff, fields)
    errors.raise_if_any()
    assert row is not None
    with transaction.atomic():
        StaffMember.objects.select_for_update(of=("self",)).filter(pk=staff.pk).first()
        _check_weekday_free(row, exclude_id=None)
        row.save()
        logged(staff, STAFF, "hours_added", {"id": row.pk, "hours": (None, _span(row))})
    return row


def working_hours_change(*, hours: WorkingHours, fields: HoursFields) -> WorkingHours:
    """Change one span of a staff member's week: only the fields given (a PATCH), the
    others stay.

    Side effects, in order: validate the span it becomes; lock the staff row; re-check
    the weekday's other spans; write the row; after commit the availability version
    bumped (signals). Raises ValidationFailed; nothing is written then.
    """
    current = HoursFields(
        weekday=hours.weekday,
        start=hours.start,
        end=hours.end,
        location=_ref(hours.location_id),
    )
    merged = replace(current, **given(fields))
    errors = FieldErrors()
    row = _clean_hours(errors, "", hours.staff, merged)
    errors.raise_if_any()
    assert row is not None
    with transaction.atomic():
        StaffMember.objects.select_for_update(of=("self",)).filter(pk=hours.staff_id).first()
        _check_weekday_free(row, exclude_id=hours.pk)
        before = _span(hours)
        for name in HOURS_FIELDS:
            setattr(hours, name, getattr(row, name))
        hours.save()
        if before != _span(hours):
            logged(
                hours.staff,
                STAFF,
                "hours_changed",
                {"id": hours.pk, "hours": (before, _span(hours))},
            )
    return hours


def working_hours_delete(*, hours: WorkingHours) -> None:
    """Remove one span of a staff member's week (version bumped by signals)."""
    with transaction.atomic():
        logged(hours.staff, STAFF, "hours_deleted", {"id": hours.pk, "hours": (_span(hours), None)})
        hours.delete()


def _conflict(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(fields={field: [message]})


def _delete_logged(row: TimeOff | DateException, action: str, fields: Sequence[str]) -> None:
    """Delete a schedule row, its last values recorded on its staff member."""
    with transaction.atomic():
        before = row_values(row, fields)
        changes = field_changes(before, dict.fromkeys(fields))
        logged(row.staff, STAFF, action, {"id": row.pk, **changes})
        row.delete()
