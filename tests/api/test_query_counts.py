"""Every list answers in a number of queries that does not grow with its rows: each
list is read once with a few rows, grown, and read again (the first read warms the
caches both reads share)."""

import itertools
from datetime import date, time, timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rendezvous.availability.cache import forget_local
from rendezvous.availability.models import DateException, ExceptionKind, TimeOff
from rendezvous.companies.models import Role
from rendezvous.core.audit import STAFF, acting
from tests.api.staff_support import M, token_for
from tests.conftest import TOMORROW_10, book
from tests.factories import ClassSessionFactory, ServiceFactory, StaffFactory

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("frozen_now")]

API = "/api/v1/companies/practice"
counter = itertools.count(1)


def _services(practice):
    for _ in range(3):
        ServiceFactory(company=practice.company, staff=practice.staff)


def _staff(practice):
    for _ in range(3):
        member = StaffFactory(company=practice.company)
        practice.service.staff.add(member)


def _bookings(practice):
    with acting(STAFF):
        for _ in range(3):
            n = next(counter)
            book(practice, TOMORROW_10 + timedelta(days=n, hours=n % 5), n=n)


def _sessions(practice):
    for _ in range(3):
        n = next(counter)
        ClassSessionFactory(
            service=practice.yoga,
            staff=practice.staff[0],
            start=TOMORROW_10 + timedelta(days=n, hours=-2),
            capacity=5,
        )


def _time_off(practice):
    for _ in range(3):
        n = next(counter)
        start = TOMORROW_10 + timedelta(days=10 + n)
        TimeOff.objects.create(staff=practice.staff[0], start=start, end=start + timedelta(hours=2))


def _exceptions(practice):
    for _ in range(3):
        n = next(counter)
        DateException.objects.create(
            staff=practice.staff[0],
            date=date(2027, 1, 1) + timedelta(days=n),
            kind=ExceptionKind.EXTRA,
            start=time(18),
            end=time(20),
        )


LISTS = {
    "public services": (f"{API}/services", _services),
    "public staff": (f"{API}/staff", _staff),
    "bookings": (f"{API}/bookings", _bookings),
    "manage services": (f"{M}/services", _services),
    "manage sessions": (f"{M}/sessions", _sessions),
    "manage staff": (f"{M}/staff", _staff),
    "time off": (f"{M}/staff/{{ada}}/time-off", _time_off),
    "exceptions": (f"{M}/staff/{{ada}}/exceptions", _exceptions),
}


@pytest.mark.parametrize("name", sorted(LISTS))
def test_a_list_reads_the_same_number_of_queries_for_more_rows(client, practice, name):
    path, grow = LISTS[name]
    url = path.format(ada=practice.staff[0].pk)
    headers = token_for(practice.company, Role.ADMIN)

    def read() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, headers=headers)
        assert response.status_code == 200, response.content
        body = response.json()
        rows = body["results"] if isinstance(body, dict) else body
        return len(rows), len(queries)

    grow(practice)
    read()
    rows_before, before = read()
    grow(practice)
    rows_after, after = read()
    assert rows_after > rows_before
    assert after == before, (
        f"{name}: {before} queries for {rows_before} rows, {after} for {rows_after}"
    )


def test_the_calendar_feed_reads_the_same_number_of_queries_for_more_staff_days_and_bookings(
    client, practice
):
    """2 vs 8 staff, 1 vs 7 days, 5 vs 50 bookings: each grown alone, then all together
    (with time off, closed days and class sessions in every column). Each read computes
    its answer (a cached one costs a cache read)."""
    headers = token_for(practice.company, Role.ADMIN)
    columns = list(practice.staff[:2])
    practice.staff[2].delete()

    def read(days: int) -> tuple[int, int]:
        last = date(2026, 12, 2) + timedelta(days=days - 1)
        cache.clear()  # the answer as computed, not as cached
        forget_local()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"{M}/calendar?from=2026-12-02&to={last}", headers=headers)
        assert response.status_code == 200, response.content
        body = response.json()
        return len(body["resources"]) + len(body["events"]) + len(body["hours"]), len(queries)

    def add_bookings(n: int) -> None:
        """n more bookings, on free hours of the columns (the busy ones are passed over)."""
        made = 0
        with acting(STAFF):
            for hour in range(8):
                for day in range(6):
                    for member in columns:
                        if made == n:
                            return
                        start = TOMORROW_10.replace(hour=9 + hour) + timedelta(days=day)
                        if (member.id, start) in taken or day == 2:
                            continue
                        book(practice, start, staff=member)
                        taken.add((member.id, start))
                        made += 1

    taken: set = set()

    def add_schedule_rows(member) -> None:
        start = TOMORROW_10 + timedelta(days=2, hours=5)
        TimeOff.objects.create(staff=member, start=start, end=start + timedelta(hours=1))
        DateException.objects.create(
            staff=member, date=date(2026, 12, 8), kind=ExceptionKind.CLOSED
        )
        ClassSessionFactory(
            service=practice.yoga, staff=member, start=start - timedelta(hours=3), capacity=5
        )

    for member in columns:
        add_schedule_rows(member)
    add_bookings(5)
    read(1)  # warms the caches every read shares (the token's last use, translations)
    rows, base = read(1)
    counts = {"2 staff, 1 day, 5 bookings": base}
    counts["7 days"] = read(7)[1]
    for _ in range(6):
        member = StaffFactory(company=practice.company)
        practice.service.staff.add(member)
        add_schedule_rows(member)
        columns.append(member)
    counts["8 staff"] = read(1)[1]
    add_bookings(45)
    more_rows, counts["50 bookings, 8 staff, 7 days"] = read(7)
    assert more_rows > 4 * rows
    assert set(counts.values()) == {base}, counts
