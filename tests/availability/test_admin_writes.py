"""The admin writes weekly hours, date exceptions and time off through
availability.domain, the functions the staff API calls: it refuses what they refuse,
shows why on the page, and then leaves the database as it was."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.contrib.auth import get_user_model

from rendezvous.availability import domain as schedule
from rendezvous.availability.domain import DateExceptionFields, TimeOffFields
from rendezvous.availability.models import DateException, ExceptionKind, TimeOff, WorkingHours
from rendezvous.companies.models import StaffMember
from rendezvous.core.errors import ValidationFailed
from tests.admin_pages import admin_url, page_form
from tests.conftest import NOW, availability_version
from tests.factories import LocationFactory, StaffFactory

pytestmark = pytest.mark.integration

DAY = date(2026, 12, 24)


@pytest.fixture
def root(client, db):
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com"))
    return client


@pytest.fixture
def dora(practice):
    """Monday 09-12 and 13-17, a closed Christmas Eve, a week off in January."""
    staff = StaffFactory(
        company=practice.company, name="Dora", hours=[(0, "09:00", "12:00"), (0, "13:00", "17:00")]
    )
    DateException.objects.create(staff=staff, date=DAY, kind=ExceptionKind.CLOSED)
    TimeOff.objects.create(
        staff=staff, start=NOW + timedelta(days=40), end=NOW + timedelta(days=47), reason="Ski"
    )
    return staff


def rows(staff: StaffMember) -> tuple:
    """Every schedule row of `staff`, to show a refusal changed nothing."""
    return (
        list(WorkingHours.objects.filter(staff=staff).order_by("id").values_list()),
        list(DateException.objects.filter(staff=staff).order_by("id").values_list()),
        list(TimeOff.objects.filter(staff=staff).order_by("id").values_list()),
    )


def errors_of(response) -> dict:
    return response.context["adminform"].form.errors


# -- one span of weekly hours --------------------------------------------------------------


def test_adding_hours_that_overlap_the_weekday_is_refused_and_changes_nothing(root, dora):
    before, version = rows(dora), availability_version(dora.company_id)
    data = {"staff": dora.pk, "weekday": "0", "start": "11:00", "end": "14:00"}
    response = root.post(admin_url(WorkingHours, "add"), data)
    assert response.status_code == 200
    assert errors_of(response)["start"] == ["These hours overlap 09:00-12:00 on the same weekday."]
    assert "These hours overlap 09:00-12:00 on the same weekday." in response.content.decode()
    assert rows(dora) == before and availability_version(dora.company_id) == version


def test_adding_and_changing_hours_goes_through_the_domain(
    root, dora, django_capture_on_commit_callbacks
):
    version = availability_version(dora.company_id)
    data = {"staff": dora.pk, "weekday": "0", "start": "17:00", "end": "00:00"}
    with django_capture_on_commit_callbacks(execute=True):
        assert root.post(admin_url(WorkingHours, "add"), data).status_code == 302
    evening = WorkingHours.objects.get(staff=dora, start=time(17))
    assert evening.end == time(0) and availability_version(dora.company_id) > version

    change = admin_url(WorkingHours, "change", evening.pk)
    # Moving it into the afternoon span is refused, as the API's week check refuses it.
    before = rows(dora)
    response = root.post(change, {"weekday": "0", "start": "16:00", "end": "18:00"})
    assert response.status_code == 200
    assert errors_of(response)["start"] == ["These hours overlap 13:00-17:00 on the same weekday."]
    assert rows(dora) == before
    # The staff member is fixed once the span exists; another weekday is free.
    assert root.post(change, {"weekday": "1", "start": "16:00", "end": "18:00"}).status_code == 302
    evening.refresh_from_db()
    assert (evening.weekday, evening.start, evening.end, evening.staff) == (
        1,
        time(16),
        time(18),
        dora,
    )


def test_hours_ending_before_they_start_are_refused_with_the_domains_message(root, dora):
    before = rows(dora)
    data = {"staff": dora.pk, "weekday": "2", "start": "18:00", "end": "09:00"}
    response = root.post(admin_url(WorkingHours, "add"), data)
    assert response.status_code == 200
    assert errors_of(response)["end"] == ["The end must be after the start (00:00 means midnight)."]
    assert rows(dora) == before


def test_hours_at_another_companys_location_are_refused(root, dora):
    elsewhere = LocationFactory(name="Elsewhere")
    before = rows(dora)
    data = {
        "staff": dora.pk,
        "weekday": "3",
        "start": "09:00",
        "end": "10:00",
        "location": elsewhere.pk,
    }
    response = root.post(admin_url(WorkingHours, "add"), data)
    assert response.status_code == 200 and "location" in errors_of(response)
    assert rows(dora) == before


def test_deleting_hours_from_the_admin(root, dora):
    morning = WorkingHours.objects.get(staff=dora, start=time(9))
    response = root.post(admin_url(WorkingHours, "delete", morning.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not WorkingHours.objects.filter(pk=morning.pk).exists()


# -- date exceptions and time off ---------------------------------------------------------


def test_a_date_exception_that_conflicts_is_refused_and_changes_nothing(root, dora):
    before = rows(dora)
    data = {
        "staff": dora.pk,
        "date": "2026-12-24",
        "kind": "hours",
        "start": "10:00",
        "end": "12:00",
    }
    response = root.post(admin_url(DateException, "add"), data)
    assert response.status_code == 200
    assert errors_of(response)["date"] == ["This date already has an exception that conflicts."]
    # "Different hours" without hours: the domain's rule, on the field.
    response = root.post(admin_url(DateException, "add"), {**data, "date": "2026-12-28", "end": ""})
    assert errors_of(response)["end"] == ["Give the hours for this date."]
    assert rows(dora) == before


def test_date_exceptions_are_added_and_changed_through_the_domain(root, dora):
    data = {
        "staff": dora.pk,
        "date": "2026-12-28",
        "kind": "extra",
        "start": "18:00",
        "end": "20:00",
    }
    assert root.post(admin_url(DateException, "add"), data).status_code == 302
    extra = DateException.objects.get(staff=dora, date=date(2026, 12, 28))
    change = admin_url(DateException, "change", extra.pk)
    before = rows(dora)
    # Onto the closed Christmas Eve: refused.
    response = root.post(change, {**data, "date": "2026-12-24"})
    assert errors_of(response)["date"] == ["This date already has an exception that conflicts."]
    assert rows(dora) == before
    # Closed all day, hours cleared: accepted.
    closed = {**data, "kind": "closed", "start": "", "end": ""}
    assert root.post(change, closed).status_code == 302
    extra.refresh_from_db()
    assert (extra.kind, extra.start, extra.end) == (ExceptionKind.CLOSED, None, None)


def test_time_off_ending_before_it_starts_is_refused_and_valid_time_off_lands(root, dora):
    before = rows(dora)
    data = {
        "staff": dora.pk,
        "start_0": "2027-02-10",
        "start_1": "09:00:00",
        "end_0": "2027-02-09",
        "end_1": "09:00:00",
        "reason": "Course",
    }
    response = root.post(admin_url(TimeOff, "add"), data)
    assert response.status_code == 200
    assert errors_of(response)["end"] == ["The end must be after the start."]
    assert rows(dora) == before

    assert root.post(admin_url(TimeOff, "add"), {**data, "end_0": "2027-02-12"}).status_code == 302
    course = TimeOff.objects.get(staff=dora, reason="Course")
    assert course.end - course.start == timedelta(days=2)
    change = admin_url(TimeOff, "change", course.pk)
    response = root.post(change, {**data, "end_0": "2027-02-12", "reason": "Course\x07"})
    assert response.status_code == 200 and "reason" in errors_of(response)
    assert TimeOff.objects.get(pk=course.pk).reason == "Course"


# -- the inlines on the staff member's page -------------------------------------------------


def staff_page(root, staff: StaffMember) -> tuple[str, dict]:
    url = admin_url(StaffMember, "change", staff.pk)
    return url, page_form(root, url)


def test_the_staff_page_refuses_an_overlapping_week_and_changes_nothing(root, dora):
    url, data = staff_page(root, dora)
    before = rows(dora)
    assert data["working_hours-TOTAL_FORMS"] == ["2"]
    # The afternoon span starts at 11:00 now: it overlaps the morning.
    morning, afternoon = (0, 1) if data["working_hours-0-start"][0].startswith("09:00") else (1, 0)
    data[f"working_hours-{afternoon}-start"] = "11:00"
    response = root.post(url, data)
    assert response.status_code == 200
    assert f"Overlaps span {morning} of the same weekday." in response.content.decode()
    assert rows(dora) == before


def test_the_staff_page_saves_the_week_through_the_domain(
    root, dora, django_capture_on_commit_callbacks
):
    url, data = staff_page(root, dora)
    version = availability_version(dora.company_id)
    # The two spans swap their hours, which one row at a time would refuse, and a
    # Tuesday is added.
    first, second = data["working_hours-0-start"][0], data["working_hours-1-start"][0]
    ends = data["working_hours-0-end"], data["working_hours-1-end"]
    data["working_hours-0-start"], data["working_hours-1-start"] = second, first
    data["working_hours-0-end"], data["working_hours-1-end"] = ends[1], ends[0]
    data.update(
        {
            "working_hours-TOTAL_FORMS": "3",
            "working_hours-2-weekday": "1",
            "working_hours-2-start": "10:00",
            "working_hours-2-end": "11:00",
            "working_hours-2-staff": str(dora.pk),
        }
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = root.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    week = list(
        WorkingHours.objects.filter(staff=dora)
        .order_by("weekday", "start")
        .values_list("weekday", "start", "end")
    )
    assert week == [(0, time(9), time(12)), (0, time(13), time(17)), (1, time(10), time(11))]
    assert availability_version(dora.company_id) > version


def test_the_staff_page_refuses_a_conflicting_date_and_bad_time_off(root, dora):
    url, data = staff_page(root, dora)
    before = rows(dora)
    data.update(
        {
            "date_exceptions-TOTAL_FORMS": "2",
            "date_exceptions-1-date": "2026-12-24",
            "date_exceptions-1-kind": "extra",
            "date_exceptions-1-start": "18:00",
            "date_exceptions-1-end": "19:00",
            "date_exceptions-1-staff": str(dora.pk),
        }
    )
    response = root.post(url, data)
    assert response.status_code == 200
    assert "This date already has an exception that conflicts." in response.content.decode()
    assert rows(dora) == before

    url, data = staff_page(root, dora)
    data["time_off-0-reason"] = "Ski\x00"
    response = root.post(url, data)
    assert response.status_code == 200
    assert rows(dora) == before


def test_the_staff_page_changes_and_deletes_dates_and_time_off(root, dora):
    url, data = staff_page(root, dora)
    data["date_exceptions-0-DELETE"] = "on"
    data.update(
        {
            "date_exceptions-TOTAL_FORMS": "2",
            # The date the deleted row frees is taken by a new one in the same save.
            "date_exceptions-1-date": "2026-12-24",
            "date_exceptions-1-kind": "hours",
            "date_exceptions-1-start": "09:00",
            "date_exceptions-1-end": "12:00",
            "date_exceptions-1-staff": str(dora.pk),
        }
    )
    data["time_off-0-reason"] = "Skiing"
    response = root.post(url, data)
    assert response.status_code == 302
    exception = DateException.objects.get(staff=dora)
    assert (exception.date, exception.kind, exception.start) == (DAY, "hours", time(9))
    assert TimeOff.objects.get(staff=dora).reason == "Skiing"


def test_rows_are_not_written_when_another_part_of_the_page_is_refused(root, dora):
    url, data = staff_page(root, dora)
    before = rows(dora)
    data["time_off-0-reason"] = "Skiing"
    data.update(
        {
            "working_hours-TOTAL_FORMS": "3",
            "working_hours-2-weekday": "4",
            "working_hours-2-start": "10:00",
            "working_hours-2-end": "09:00",  # refused
            "working_hours-2-staff": str(dora.pk),
        }
    )
    response = root.post(url, data)
    assert response.status_code == 200
    assert "The end must be after the start (00:00 means midnight)." in response.content.decode()
    assert rows(dora) == before


def test_the_staff_add_page_offers_no_rows_before_the_staff_member_exists(root, practice):
    page = page_form(root, admin_url(StaffMember, "add"))
    for prefix in ("working_hours", "date_exceptions", "time_off"):
        assert page[f"{prefix}-MAX_NUM_FORMS"] == ["0"]


# -- dates outside the calendar (core.calendar) --------------------------------------------


@pytest.mark.parametrize(
    "edge", [datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, tzinfo=UTC)]
)
def test_the_domain_refuses_time_off_and_dates_outside_the_calendar(dora, edge):
    off = TimeOff.objects.get(staff=dora)
    closed = DateException.objects.get(staff=dora)
    before = rows(dora)
    range_error = ["Dates must lie between 2000-01-01 and 2200-12-31."]
    for field, write in (
        (
            "start",
            lambda: schedule.time_off_create(staff=dora, fields=TimeOffFields(start=edge, end=NOW)),
        ),
        ("end", lambda: schedule.time_off_update(time_off=off, fields=TimeOffFields(end=edge))),
        (
            "date",
            lambda: schedule.date_exception_create(
                staff=dora, fields=DateExceptionFields(date=edge.date(), kind=ExceptionKind.CLOSED)
            ),
        ),
        (
            "date",
            lambda: schedule.date_exception_update(
                exception=closed, fields=DateExceptionFields(date=edge.date())
            ),
        ),
    ):
        with pytest.raises(ValidationFailed) as refused:
            write()
        assert refused.value.fields[field] == range_error
    assert rows(dora) == before
