"""Dates at the edges of the calendar in the back office (issue #17, item 6): a start in
year 1 or 9999 is refused on its field (core.calendar's range, the domain's refusal),
a week that far away shows this week, and nothing is written; no input of any date is
a 5xx."""

from datetime import date, datetime

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from rendezvous.availability.models import DateException, TimeOff
from rendezvous.catalog.models import ClassSession
from tests.conftest import TOMORROW_10, book, snapshot

from .test_office_bookings import signed_in

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

RANGE = "Dates must lie between 2000-01-01 and 2200-12-31."
EDGES = ["9999-12-31T23:59", "0001-01-01T00:00"]
THIS_MONDAY = date(2026, 11, 30)  # the frozen clock's week


def state() -> tuple:
    """Every row an office date could write."""
    return (
        snapshot(),
        list(ClassSession.objects.order_by("id").values_list("id", "start", "end")),
        TimeOff.objects.count(),
        DateException.objects.count(),
    )


@pytest.fixture
def office(client, practice, team):
    signed_in(client, team["admin"])
    return client


@pytest.mark.parametrize("week", ["9999-12-31", "0001-01-01"])
def test_a_week_outside_the_calendar_shows_this_week(office, week):
    page = office.get("/office/classes/", {"week": week})
    assert page.status_code == 200 and page.context["monday"] == THIS_MONDAY


@pytest.mark.parametrize("start", EDGES)
@pytest.mark.parametrize("duration", ["", "60", "9" * 5000])
def test_a_class_session_outside_the_calendar_is_refused(office, practice, start, duration):
    before = state()
    page = office.post(
        "/office/classes/",
        {
            "service": practice.yoga.pk,
            "staff": practice.staff[0].pk,
            "start": start,
            "duration": duration,
            "capacity": "8",
        },
    )
    assert page.status_code == 422 and RANGE in page.content.decode()
    assert state() == before


def test_a_class_session_far_too_long_is_refused_as_too_long(office, practice):
    page = office.post(
        "/office/classes/",
        {
            "service": practice.yoga.pk,
            "staff": practice.staff[0].pk,
            "start": "2026-12-10T10:00",
            "duration": "9" * 40,
            "capacity": "8",
        },
    )
    assert page.status_code == 422
    assert "A class session lasts at most 24 hours." in page.content.decode()


@pytest.mark.parametrize("start", EDGES)
def test_a_booking_outside_the_calendar_is_refused_in_the_dialog(office, practice, start):
    staff = practice.staff[0].pk
    before = state()
    dialog = office.get("/office/bookings/new/", {"staff": staff, "start": start})
    assert dialog.status_code == 200
    page = office.post(
        "/office/bookings/new/",
        {
            "staff": staff,
            "service": practice.service.pk,
            "start": start,
            "first_name": "Phone",
            "last_name": "Caller",
            "email": "caller@example.com",
        },
    )
    assert page.status_code == 422 and RANGE in page.content.decode()
    assert state() == before


@pytest.mark.parametrize("start", EDGES)
def test_a_move_outside_the_calendar_is_refused(office, practice, start):
    booking = book(practice, TOMORROW_10, staff=practice.staff[0]).booking
    before = state()
    for staff in ("", str(practice.staff[1].pk)):
        moved = office.post(
            f"/office/bookings/{booking.pk}/move/", {"start": start, "staff": staff}
        )
        assert moved.status_code == 422 and moved.json() == {"message": RANGE}
    assert state() == before


@pytest.mark.parametrize("start", EDGES)
def test_time_off_and_a_date_exception_outside_the_calendar_are_refused(office, practice, start):
    url = f"/office/settings/team/{practice.staff[1].pk}"
    before = state()
    for form in (
        {"start": start, "end": "2026-12-10T00:00"},
        {"start": "2026-12-10T00:00", "end": start},
    ):
        page = office.post(f"{url}/time-off/", form)
        assert page.status_code == 422 and RANGE in page.content.decode(), form
    page = office.post(f"{url}/exceptions/", {"date": start[:10], "kind": "closed"})
    assert page.status_code == 422 and RANGE in page.content.decode()
    assert state() == before


@pytest.mark.parametrize(
    ("first", "last"), [("9999-12-01", "9999-12-31"), ("0001-01-01", "0001-01-31")]
)
@pytest.mark.parametrize("report", ["/office/reports/", "/office/reports/meetings/"])
def test_a_report_outside_the_calendar_is_refused_on_its_field(office, report, first, last):
    for extra in ({}, {"format": "csv"}):
        page = office.get(report, {"date_from": first, "date_to": last, **extra})
        assert page.status_code == 422 and RANGE in page.content.decode(), extra


@settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    moment=st.datetimes(timezones=st.none() | st.timezones()),
    day=st.dates(),
    days=st.integers(min_value=0, max_value=400),
)
@example(moment=datetime(9999, 12, 31, 23, 59), day=date(9999, 12, 31), days=0)
@example(moment=datetime(1, 1, 1), day=date(1, 1, 1), days=0)
def test_any_date_in_the_office_is_never_a_5xx(office, practice, moment, day, days):
    # What a browser sends: a local wall time, or (from a script) one with an offset.
    start = moment.isoformat()[:16] if moment.tzinfo is None else moment.isoformat()
    staff = practice.staff[0].pk
    booking = book(practice, TOMORROW_10, staff=practice.staff[0]).booking
    try:
        answers = [
            office.get("/office/bookings/new/", {"staff": staff, "start": start}),
            office.post(
                "/office/bookings/new/",
                {
                    "staff": staff,
                    "service": practice.service.pk,
                    "start": start,
                    "first_name": "Phone",
                    "last_name": "Caller",
                    "email": "caller@example.com",
                },
            ),
            office.post(f"/office/bookings/{booking.pk}/move/", {"start": start}),
            office.get("/office/classes/", {"week": day.isoformat()}),
            office.post(
                "/office/classes/",
                {"service": practice.yoga.pk, "staff": staff, "start": start, "capacity": "8"},
            ),
        ]
        try:
            last = date.fromordinal(day.toordinal() + days)
        except (OverflowError, ValueError):
            last = day
        for report in ("/office/reports/", "/office/reports/meetings/"):
            query = {"date_from": day.isoformat(), "date_to": last.isoformat()}
            answers.append(office.get(report, query))
        assert all(answer.status_code < 500 for answer in answers), [
            (answer.request["PATH_INFO"], answer.status_code) for answer in answers
        ]
    finally:
        booking.delete()  # each example books the same time anew
