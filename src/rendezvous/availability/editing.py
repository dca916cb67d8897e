"""Back-office writes to a staff member's schedule: weekly hours, time off, date exceptions.

| function | writes | refuses (400, field errors) |
| --- | --- | --- |
| working_hours_replace | the whole week at once: every WorkingHours row of the staff member | an end before the start (00:00 means midnight), seconds, spans of one weekday that overlap (at any location: one person, one place), another company's location |
| working_hours_add / working_hours_change | one WorkingHours row (the admin's page of one span) | the same, checked against the staff member's other spans of that weekday |
| time_off_create / time_off_replace / time_off_update | one TimeOff | times without an offset or outside the calendar (core.calendar), an end before the start, more than MAX_TIME_OFF, a reason with control characters |
| date_exception_create / date_exception_replace / date_exception_update | one DateException | a date outside the calendar, hours on a "closed" day, no hours on a "different" or "extra" one, a date that is already closed or whose hours overlap (same location, or all locations) |
| working_hours_delete / time_off_delete / date_exception_delete | the row | - |

`*_replace` take every field (a PUT); `*_update` and working_hours_change take only
the fields that change (a PATCH, as the admin sends them) and check the row they make.

The week is replaced as a whole rather than edited row by row: a change of hours is
usually several rows at once (Monday 9-12 and 13-17), and checking overlaps against
rows that are about to change would refuse valid edits. The staff row is locked
first, so two replacements never interleave into an overlapping week.

Hours that now exclude existing bookings do not cancel them: the bookings stay, and
only new bookings see the new hours (the back office moves or cancels the others).
Saves and deletes go through the model, so availability.signals bump the version after
commit; bulk_create sends no signal, so working_hours_replace bumps it itself.
"""

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rendezvous.companies.editing import FieldErrors, clean_text, company_row
from rendezvous.companies.models import Location, StaffMember
from rendezvous.core.audit import field_changes, logged, row_values
from rendezvous.core.calendar import in_calendar, out_of_calendar
from rendezvous.core.errors import ValidationFailed

from .cache import availability_changed
from .models import DateException, ExceptionKind, TimeOff, WorkingHours

MIDNIGHT = time(0)
MAX_SPANS = 50
MAX_TIME_OFF = timedelta(days=3 * 366)
REASON_MAX = 200
# Schedule rows are recorded in the audit log on their staff member (entity "staff"),
# whose page shows them; `id` in the changes names the row.
STAFF = "staff"
HOURS_FIELDS = ("weekday", "start", "end", "location")
TIME_OFF_FIELDS = ("start", "end", "reason")
EXCEPTION_FIELDS = ("date", "kind", "start", "end", "location")


def _span(row: WorkingHours) -> str:
    """ "0 09:00-12:00" (weekday 0 is Monday), with the location's id where it has one."""
    where = f" @{row.location_id}" if row.location_id else ""
    return f"{row.weekday} {row.start:%H:%M}-{row.end:%H:%M}{where}"


def _clean_span(errors: FieldErrors, prefix: str, start: Any, end: Any) -> bool:
    """Checks a start and end wall time; True when both are usable."""
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
    return ok


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


def _clean_hours(
    errors: FieldErrors, prefix: str, staff: StaffMember, span: Mapping[str, Any]
) -> WorkingHours | None:
    """One span as an unsaved row of `staff`; None (and field errors) when unusable."""
    weekday = span.get("weekday")
    if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
        errors.add(f"{prefix}weekday", _("Enter a weekday from 0 (Monday) to 6 (Sunday)."))
        weekday = None
    start, end = span.get("start"), span.get("end")
    usable = _clean_span(errors, prefix, start, end)
    location = company_row(
        errors, f"{prefix}location", Location, staff.company, span.get("location")
    )
    if weekday is None or not usable or f"{prefix}location" in errors:
        return None
    return WorkingHours(staff=staff, location=location, weekday=weekday, start=start, end=end)


def working_hours_replace(
    *, staff: StaffMember, spans: Sequence[Mapping[str, Any]]
) -> list[WorkingHours]:
    """Replace a staff member's whole week with `spans`
    ({"weekday": 0-6, "start": time, "end": time, "location": id|None} each).

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
    others = WorkingHours.objects.filter(staff_id=row.staff_id, weekday=row.weekday).exclude(
        pk=exclude_id
    )
    for other in others.order_by("start"):
        if _overlaps(minutes, _minutes(other.start, other.end)):
            raise _conflict(
                "start",
                _("These hours overlap %(start)s-%(end)s on the same weekday.")
                % {"start": f"{other.start:%H:%M}", "end": f"{other.end:%H:%M}"},
            )


def working_hours_add(*, staff: StaffMember, values: Mapping[str, Any]) -> WorkingHours:
    """Add one span to a staff member's week
    ({"weekday": 0-6, "start": time, "end": time, "location": id|None}).

    Side effects, in order:
    1. validate: the span (as working_hours_replace checks each one)
    2. lock: the staff row (the lock working_hours_replace takes)
    3. re-check: no other span of that weekday overlaps it
    4. write: the WorkingHours row
    5. after commit: the availability version bumped (signals)
    Raises ValidationFailed; nothing is written then.
    """
    errors = FieldErrors()
    row = _clean_hours(errors, "", staff, values)
    errors.raise_if_any()
    assert row is not None
    with transaction.atomic():
        StaffMember.objects.select_for_update(of=("self",)).filter(pk=staff.pk).first()
        _check_weekday_free(row, exclude_id=None)
        row.save()
        logged(staff, STAFF, "hours_added", {"id": row.pk, "hours": (None, _span(row))})
    return row


def working_hours_change(*, hours: WorkingHours, values: Mapping[str, Any]) -> WorkingHours:
    """Change one span of a staff member's week: only the fields in `values` (a PATCH),
    the others stay.

    Side effects, in order: validate the span it becomes; lock the staff row; re-check
    the weekday's other spans; write the row; after commit the availability version
    bumped (signals). Raises ValidationFailed; nothing is written then.
    """
    merged = {
        "weekday": hours.weekday,
        "start": hours.start,
        "end": hours.end,
        "location": _ref(hours.location_id),
        **values,
    }
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


# -- time off ------------------------------------------------------------------------


def _clean_time_off(staff: StaffMember, values: Mapping[str, Any]) -> dict[str, Any]:
    errors = FieldErrors()
    cleaned: dict[str, Any] = {}
    for name in ("start", "end"):
        value = values.get(name)
        if not isinstance(value, datetime) or timezone.is_naive(value):
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
        errors, "reason", values.get("reason"), max_length=REASON_MAX, required=False
    )
    errors.raise_if_any()
    return cleaned


def time_off_create(*, staff: StaffMember, values: Mapping[str, Any]) -> TimeOff:
    """Add time off (holiday, sick leave). Existing bookings in it stay.

    Side effects: validate (start, end, reason); write the TimeOff; after commit the
    availability version bumped (signals). Raises ValidationFailed.
    """
    cleaned = _clean_time_off(staff, values)
    with transaction.atomic():
        row = TimeOff.objects.create(staff=staff, **cleaned)
        logged(staff, STAFF, "time_off_added", {"id": row.pk, **field_changes({}, cleaned)})
    return row


def time_off_replace(*, time_off: TimeOff, values: Mapping[str, Any]) -> TimeOff:
    """Replace a time off's start, end and reason (a PUT: every field as sent).

    Side effects: validate; write; after commit the availability version bumped.
    Raises ValidationFailed.
    """
    cleaned = _clean_time_off(time_off.staff, values)
    changes = field_changes(row_values(time_off, cleaned), cleaned)
    with transaction.atomic():
        for name, value in cleaned.items():
            setattr(time_off, name, value)
        time_off.save(update_fields=list(cleaned))
        if changes:
            logged(time_off.staff, STAFF, "time_off_changed", {"id": time_off.pk, **changes})
    return time_off


def time_off_update(*, time_off: TimeOff, values: Mapping[str, Any]) -> TimeOff:
    """Change only the fields of a time off in `values` (a PATCH); the result is checked
    as a whole, as time_off_replace checks it.

    Side effects: validate; write; after commit the availability version bumped.
    Raises ValidationFailed.
    """
    current = {"start": time_off.start, "end": time_off.end, "reason": time_off.reason}
    return time_off_replace(time_off=time_off, values={**current, **values})


def time_off_delete(*, time_off: TimeOff) -> None:
    """Remove time off; its hours are bookable again (version bumped by signals)."""
    _delete_logged(time_off, "time_off_deleted", TIME_OFF_FIELDS)


def _delete_logged(row: TimeOff | DateException, action: str, fields: Sequence[str]) -> None:
    """Delete a schedule row, its last values recorded on its staff member."""
    with transaction.atomic():
        before = row_values(row, fields)
        changes = field_changes(before, dict.fromkeys(fields))
        logged(row.staff, STAFF, action, {"id": row.pk, **changes})
        row.delete()


# -- date exceptions -----------------------------------------------------------------


def _clean_exception(
    staff: StaffMember, values: Mapping[str, Any], *, exclude_id: int | None
) -> dict[str, Any]:
    errors = FieldErrors()
    cleaned: dict[str, Any] = {}
    day = values.get("date")
    if not isinstance(day, date) or isinstance(day, datetime):
        errors.add("date", _("Enter a date such as 2026-12-24."))
    elif not in_calendar(day):
        errors.add("date", out_of_calendar())
    else:
        cleaned["date"] = day
    kind = values.get("kind")
    if kind not in ExceptionKind.values:
        errors.add("kind", _("Choose closed, hours or extra."))
    else:
        cleaned["kind"] = kind
    start, end = values.get("start"), values.get("end")
    if kind == ExceptionKind.CLOSED:
        if start is not None or end is not None:
            errors.add("start", _("A day closed all day has no hours; leave them empty."))
        cleaned["start"] = cleaned["end"] = None
    elif kind in (ExceptionKind.HOURS, ExceptionKind.EXTRA):
        if start is None or end is None:
            for name, value in (("start", start), ("end", end)):
                if value is None:
                    errors.add(name, _("Give the hours for this date."))
        elif _clean_span(errors, "", start, end):
            cleaned["start"], cleaned["end"] = start, end
    cleaned["location"] = company_row(
        errors, "location", Location, staff.company, values.get("location")
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
    others = DateException.objects.filter(staff=staff, date=cleaned["date"]).exclude(pk=exclude_id)
    if location_id is not None:
        others = others.filter(location_id__in=[location_id, None])
    others = list(others)
    closed = cleaned["kind"] == ExceptionKind.CLOSED
    for other in others:
        if closed or other.kind == ExceptionKind.CLOSED:
            raise _conflict("date", _("This date already has an exception that conflicts."))
        if _overlaps(_minutes(cleaned["start"], cleaned["end"]), _minutes(other.start, other.end)):
            raise _conflict("start", _("These hours overlap other hours of this date."))


def _conflict(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(fields={field: [message]})


def date_exception_create(*, staff: StaffMember, values: Mapping[str, Any]) -> DateException:
    """Add a date exception (closed, different hours, extra hours).

    Side effects: validate (fields, conflicts with the date's other exceptions); write the
    DateException; after commit the availability version bumped (signals).
    Raises ValidationFailed.
    """
    with transaction.atomic():
        StaffMember.objects.select_for_update(of=("self",)).filter(pk=staff.pk).first()
        cleaned = _clean_exception(staff, values, exclude_id=None)
        row = DateException.objects.create(staff=staff, **cleaned)
        logged(staff, STAFF, "exception_added", {"id": row.pk, **field_changes({}, cleaned)})
        return row


def date_exception_replace(*, exception: DateException, values: Mapping[str, Any]) -> DateException:
    """Replace a date exception with the fields sent (a PUT). Same checks as creating."""
    with transaction.atomic():
        StaffMember.objects.select_for_update(of=("self",)).filter(pk=exception.staff_id).first()
        cleaned = _clean_exception(exception.staff, values, exclude_id=exception.pk)
        changes = field_changes(row_values(exception, cleaned), cleaned)
        for name, value in cleaned.items():
            setattr(exception, name, value)
        exception.save()
        if changes:
            logged(exception.staff, STAFF, "exception_changed", {"id": exception.pk, **changes})
    return exception


def date_exception_update(*, exception: DateException, values: Mapping[str, Any]) -> DateException:
    """Change only the fields of a date exception in `values` (a PATCH); the result is
    checked as a whole, as date_exception_replace checks it.

    Side effects: validate; lock the staff row; re-check the date's other exceptions;
    write; after commit the availability version bumped (signals). Raises ValidationFailed.
    """
    current = {
        "date": exception.date,
        "kind": exception.kind,
        "start": exception.start,
        "end": exception.end,
        "location": _ref(exception.location_id),
    }
    return date_exception_replace(exception=exception, values={**current, **values})


def date_exception_delete(*, exception: DateException) -> None:
    """Remove a date exception; the weekly hours hold again (version bumped by signals)."""
    _delete_logged(exception, "exception_deleted", EXCEPTION_FIELDS)
