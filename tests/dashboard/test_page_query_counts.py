"""The back office's lists cost a fixed number of queries: the requests inbox, the
week of classes, a session's participants, the customers (and their search) and a
customer's history each answer with as many queries for one row as for many."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import TOMORROW_10, book
from tests.factories import ClassSessionFactory

from .test_office_bookings import signed_in

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def queries(client, url: str) -> int:
    """The queries of a second GET of `url`: the first may fill per-process caches."""
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def seat(practice, session, n: str):
    return book(practice, None, service=practice.yoga, session_id=session.pk, n=n).booking


@pytest.fixture
def office(client, team):
    signed_in(client, team["admin"])
    client.get("/office/")  # the first request stores the company picked in the session
    return client


def test_the_requests_inbox(office, practice):
    practice.service.requires_confirmation = True
    practice.service.save()
    book(practice, TOMORROW_10, staff=practice.staff[0], n="first")
    one = queries(office, "/office/requests/")
    for hour in range(1, 5):
        for member in practice.staff:
            book(
                practice, TOMORROW_10 + timedelta(hours=hour), staff=member, n=f"r{hour}{member.pk}"
            )
    assert "customerr1" in office.get("/office/requests/").content.decode()
    assert queries(office, "/office/requests/") == one


def test_the_week_of_classes_and_a_sessions_participants(office, practice):
    week = "/office/classes/?week=2026-12-01"
    session_page = f"/office/classes/{practice.session.pk}/"
    seat(practice, practice.session, "first")
    one_week, one_session = queries(office, week), queries(office, session_page)
    for day in range(1, 4):
        more = ClassSessionFactory(
            service=practice.yoga,
            staff=practice.staff[0],
            start=practice.session.start + timedelta(days=day),
            capacity=10,
            online=True,
        )
        seat(practice, more, f"s{day}")
    for n in range(5):
        seat(practice, practice.session, f"p{n}")
    assert "6 / 10" in office.get(week).content.decode()
    assert queries(office, week) == one_week
    assert queries(office, session_page) == one_session


def test_the_customers_their_search_and_a_customers_history(office, practice):
    first = book(practice, TOMORROW_10, staff=practice.staff[0], n="first").booking
    profile = f"/office/customers/{first.customer_id}/"
    urls = ("/office/customers/", "/office/customers/?q=customer", profile)
    before = [queries(office, url) for url in urls]
    for hour in range(1, 5):
        for member in practice.staff:
            book(
                practice, TOMORROW_10 + timedelta(hours=hour), staff=member, n=f"c{hour}{member.pk}"
            )
    for weeks in range(1, 5):
        book(practice, TOMORROW_10 + timedelta(weeks=weeks), staff=practice.staff[0], n="first")
    assert "customerc1" in office.get(urls[0]).content.decode()
    assert [queries(office, url) for url in urls] == before
