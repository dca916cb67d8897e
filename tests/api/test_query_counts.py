"""Every list answers in a number of queries that does not grow with its rows: each
list is read once with a few rows, grown, and read again (the first read warms the
caches both reads share)."""

import itertools
from datetime import date, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

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
