"""The demo's paid class, end to end through the API as a customer's browser uses it:
a seat paid by bank transfer shows its reference and no link until staff mark the
payment received; a seat booked with the demo pass holder's email is paid at once."""

from datetime import date, datetime, time

import pytest
import time_machine

from rendezvous.catalog.models import ClassSession
from rendezvous.demo.seed import DEMO_PASS_EMAIL, ZONE, demo_seed
from rendezvous.payments.domain.bank import mark_received
from rendezvous.payments.models import CustomerPass, Payment
from tests.api.staff_support import send

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

TODAY = date(2026, 12, 1)


@pytest.fixture
def demo():
    with time_machine.travel(datetime.combine(TODAY, time(9), ZONE), tick=False):
        company = demo_seed(today=TODAY)
        session = ClassSession.objects.filter(company=company).order_by("start").first()
        yield company, session


def book_seat(client, session, email: str) -> dict:
    response = send(
        client,
        "post",
        "/api/v1/companies/demo/bookings",
        {
            "service": str(session.service_id),
            "session": str(session.pk),
            "customer": {"first_name": "Ola", "last_name": "Nordmann", "email": email},
        },
        {},
    )
    assert response.status_code == 201, response.content
    return response.json()


def pay(client, booking: dict, method: str) -> dict:
    response = send(
        client,
        "post",
        f"/api/v1/bookings/{booking['id']}/pay",
        {"method": method},
        {"X-Booking-Token": booking["manage_token"]},
    )
    assert response.status_code == 200, response.content
    return response.json()


def test_a_seat_paid_by_transfer_shows_the_reference_and_no_link_until_received(client, demo):
    _company, session = demo
    booking = book_seat(client, session, "ola@example.com")
    assert booking["payment"]["state"] == "pending"
    assert {"bank_transfer", "pass"} <= set(booking["payment"]["methods"])
    waiting = pay(client, booking, "bank_transfer")
    assert waiting["payment"]["reference"] and waiting["payment"]["due"]
    assert waiting["meeting"]["join_url"] is None
    mark_received(
        payment=Payment.objects.get(reference=waiting["payment"]["reference"]),
        actor=None,
        now=datetime.combine(TODAY, time(10), ZONE),
    )
    headers = {"X-Booking-Token": booking["manage_token"]}
    paid = client.get(f"/api/v1/bookings/{booking['id']}", headers=headers).json()
    assert paid["payment"]["state"] == "paid" and paid["meeting"]["join_url"]


def test_the_pass_holder_books_a_seat_paid_at_once_with_an_entry(client, demo):
    _company, session = demo
    booking = book_seat(client, session, DEMO_PASS_EMAIL)
    paid = pay(client, booking, "pass")
    assert paid["payment"]["state"] == "paid" and paid["payment"]["method"] == "pass"
    assert paid["meeting"]["join_url"]
    assert CustomerPass.objects.get(customer__email=DEMO_PASS_EMAIL).entries_left == 9
