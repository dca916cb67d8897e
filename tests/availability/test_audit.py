"""Writes to a staff member's schedule leave one audit entry each on the staff member
(whose page shows them), with who acted and the old and new hours; a refused write
leaves none."""

from datetime import date, time, timedelta

import pytest

from rendezvous.availability import domain as schedule
from rendezvous.availability.domain import DateExceptionFields, HoursFields, TimeOffFields
from rendezvous.availability.models import TimeOff, WorkingHours
from rendezvous.companies.models import Role
from rendezvous.core.errors import ValidationFailed
from tests.audit import as_staff, entries
from tests.conftest import NOW
from tests.dashboard.conftest import member

pytestmark = pytest.mark.integration


def test_replacing_the_week_records_the_old_and_new_spans(practice):
    boss = member(practice.company, "boss", Role.ADMIN)
    ada = practice.staff[0]
    with as_staff(boss):
        schedule.working_hours_replace(
            staff=ada, spans=[HoursFields(weekday=0, start=time(8), end=time(12), location=None)]
        )
    (entry,) = entries()
    assert (entry.entity, entry.entity_id, entry.action) == ("staff", str(ada.pk), "hours_replaced")
    assert entry.changes == {"hours": [[f"{d} 09:00-17:00" for d in range(7)], ["0 08:00-12:00"]]}
    assert (entry.user, entry.company_id) == (boss, practice.company.pk)


def test_time_off_and_date_exceptions_are_recorded_with_their_row(practice):
    ada = practice.staff[0]
    off = schedule.time_off_create(
        staff=ada, fields=TimeOffFields(start=NOW, end=NOW + timedelta(days=2), reason="Holiday")
    )
    schedule.time_off_update(time_off=off, fields=TimeOffFields(reason="Sick"))
    day = schedule.date_exception_create(
        staff=ada, fields=DateExceptionFields(date=date(2026, 12, 24), kind="closed")
    )
    schedule.date_exception_delete(exception=day)
    added, changed, closed, reopened = entries()
    assert added.changes == {
        "id": off.pk,
        "start": [None, NOW.isoformat()],
        "end": [None, (NOW + timedelta(days=2)).isoformat()],
        "reason": [None, "Holiday"],
    }
    assert (changed.action, changed.changes) == (
        "time_off_changed",
        {"id": off.pk, "reason": ["Holiday", "Sick"]},
    )
    assert closed.action == "exception_added" and closed.changes["date"] == [None, "2026-12-24"]
    assert reopened.action == "exception_deleted"
    assert reopened.changes["kind"] == ["closed", None]
    assert {e.entity_id for e in entries()} == {str(ada.pk)}


def test_a_refused_schedule_change_records_nothing(practice):
    ada = practice.staff[0]
    week = list(WorkingHours.objects.values())
    with pytest.raises(ValidationFailed):
        schedule.working_hours_replace(
            staff=ada,
            spans=[
                HoursFields(weekday=0, start=time(8), end=time(12), location=None),
                HoursFields(weekday=0, start=time(11), end=time(14), location=None),
            ],
        )
    with pytest.raises(ValidationFailed):
        schedule.time_off_create(
            staff=ada, fields=TimeOffFields(start=NOW, end=NOW - timedelta(hours=1))
        )
    assert entries() == []
    assert list(WorkingHours.objects.values()) == week and not TimeOff.objects.exists()
