"""The `payment` object of booking answers, the customer's POST .../pay and staff
recording a payment by hand (docs/api.md "Payments")."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rendezvous.bookings.models import Booking, PaymentStatus
from rendezvous.companies.models import Role
from rendezvous.payments.domain.bank import transfer_start
from rendezvous.payments.models import Payment, PaymentState
from tests.api.staff_support import assert_error, send, token_for
from tests.conftest import NOW, TOMORROW_10, book
from tests.payments.test_bank_transfer import stored, take_transfers

pytestmark = [pytest.mark.integration]

API = "/api/v1"
NEXT_WEEK = TOMORROW_10 + timedelta(days=7)


@pytest.fixture
def paid(practice):
    take_transfers(practice.company)
    for service in (practice.service, practice.video):
        service.requires_payment = True
        service.price = Decimal("40.00")
        service.save()
    return practice


def create(client, practice, service, start=NEXT_WEEK) -> dict:
    response = send(
        client,
        "post",
        f"{API}/companies/practice/bookings",
        {
            "service": str(service.pk),
            "start": start.isoformat(),
            "customer": {"first_name": "Ana", "last_name": "Pop", "email": "ana@example.com"},
        },
        {},
    )
    assert response.status_code == 201, response.content
    return response.json()


def pay(client, body: dict, method: str, token: str | None = None):
    return send(
        client,
        "post",
        f"{API}/bookings/{body['id']}/pay",
        {"method": method},
        {"X-Booking-Token": token if token is not None else body["manage_token"]},
    )


def test_a_booking_that_asks_for_no_payment_answers_null(client, practice):
    assert create(client, practice, practice.service)["payment"] is None


def test_paying_by_transfer_answers_the_reference_and_no_link_until_paid(client, paid):
    body = create(client, paid, paid.video)
    assert body["payment"] == {
        "state": "pending",
        "amount": "40.00",
        "currency": "EUR",
        "method": None,
        "methods": ["bank_transfer"],
        "checkout_url": None,
        "reference": None,
        "due": None,
    }
    response = pay(client, body, "bank_transfer")
    assert response.status_code == 200, response.content
    answer = response.json()
    payment = Payment.objects.get()
    assert answer["payment"]["method"] == "bank_transfer"
    assert answer["payment"]["reference"] == payment.reference
    assert answer["payment"]["due"] == "2026-12-04"
    assert answer["meeting"]["join_url"] is None
    # A second click answers the same payment.
    again = pay(client, body, "bank_transfer").json()
    assert again["payment"]["reference"] == payment.reference
    assert Payment.objects.count() == 1


@pytest.mark.parametrize(
    ("method", "status", "code", "message"),
    [
        ("on_site", 400, "validation_error", "This way of paying is not offered for this booking."),
        ("card", 400, "validation_error", "This way of paying is not offered for this booking."),
        ("cash", 400, "validation_error", "Unknown payment method."),
    ],
)
def test_a_method_not_offered_is_refused_and_changes_nothing(
    client, paid, method, status, code, message
):
    body = create(client, paid, paid.video)
    before = stored()
    error = assert_error(pay(client, body, method), status, code, "method")
    assert error["fields"]["method"] == [message]
    assert stored() == before


def test_paying_without_the_token_is_404_and_changes_nothing(client, paid):
    body = create(client, paid, paid.video)
    before = stored()
    assert_error(pay(client, body, "bank_transfer", token="wrong"), 404, "not_found")
    assert stored() == before


def test_a_cancelled_booking_cannot_be_paid(client, paid):
    body = create(client, paid, paid.service)
    headers = {"X-Booking-Token": body["manage_token"]}
    assert (
        send(client, "post", f"{API}/bookings/{body['id']}/cancel", {}, headers).status_code == 200
    )
    before = stored()
    error = assert_error(pay(client, body, "on_site"), 409, "invalid_state")
    assert error["message"] == "This booking was cancelled: there is nothing to pay."
    assert stored() == before


def record(client, practice, booking_id, body, role=Role.ADMIN, staff=None):
    return send(
        client,
        "post",
        f"{API}/companies/practice/bookings/{booking_id}/payments",
        body,
        token_for(practice.company, role, staff),
    )


def test_staff_record_a_payment_by_hand_and_the_booking_is_paid(client, paid):
    booking = book(paid, NEXT_WEEK, service=paid.service).booking
    transfer = transfer_start(booking=booking, now=NOW)
    response = record(
        client,
        paid,
        booking.pk,
        {"amount": "40,00", "method": "bank_transfer", "note": "Seen on the account"},
        role=Role.SENIOR,
    )
    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["payment_status"] == "paid"
    assert answer["payment"]["state"] == "paid"
    assert answer["payment"]["reference"] == transfer.reference
    transfer.refresh_from_db()
    assert (transfer.state, transfer.note) == (PaymentState.PAID, "Seen on the account")


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"amount": "39.99", "method": "on_site"}, 400, "validation_error", "amount"),
        ({"amount": "40.001", "method": "on_site"}, 400, "validation_error", "amount"),
        ({"amount": "forty", "method": "on_site"}, 400, "validation_error", "amount"),
        ({"amount": 40.0, "method": "on_site"}, 400, "validation_error", None),
        ({"amount": "40.00", "method": "credits"}, 400, "validation_error", "method"),
    ],
)
def test_a_payment_staff_cannot_record_is_refused_and_changes_nothing(
    client, paid, body, status, code, field
):
    booking = book(paid, NEXT_WEEK, service=paid.service).booking
    before = stored()
    assert_error(record(client, paid, booking.pk, body), status, code, field)
    assert stored() == before


def test_a_junior_may_not_record_payments(client, paid):
    booking = book(paid, NEXT_WEEK, service=paid.service, staff=paid.staff[0]).booking
    before = stored()
    response = record(
        client,
        paid,
        booking.pk,
        {"amount": "40.00", "method": "on_site"},
        role=Role.JUNIOR,
        staff=paid.staff[0],
    )
    assert_error(response, 403, "forbidden")
    assert stored() == before
    assert Booking.objects.get().payment_status == PaymentStatus.PENDING


def test_a_booking_of_another_company_is_404(client, paid):
    from tests.factories import CompanyFactory

    other = CompanyFactory(slug="other")
    booking = book(paid, NEXT_WEEK, service=paid.service).booking
    before = stored()
    response = send(
        client,
        "post",
        f"{API}/companies/other/bookings/{booking.pk}/payments",
        {"amount": "40.00", "method": "on_site"},
        token_for(other, Role.ADMIN),
    )
    assert_error(response, 404, "not_found")
    assert stored() == before


def test_the_list_shows_payments_in_the_same_number_of_queries_for_more_rows(client, paid):
    headers = token_for(paid.company, Role.ADMIN)
    url = f"{API}/companies/practice/bookings"

    def grow(n):
        for i in range(n):
            start = NEXT_WEEK + timedelta(days=len(made) + 1, hours=i % 3)
            made.append(book(paid, start, service=paid.service).booking)
            transfer_start(booking=made[-1], now=NOW)
            made.append(book(paid, start, service=paid.video).booking)

    def read():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, headers=headers)
        assert response.status_code == 200, response.content
        results = response.json()["results"]
        return len(results), len(queries), results

    made: list = []
    grow(1)
    read()
    rows_before, before, _ = read()
    grow(3)
    rows_after, after, results = read()
    assert rows_after > rows_before and after == before
    references = {r["payment"]["reference"] for r in results} - {None}
    assert references == set(
        Payment.objects.filter(state="pending").values_list("reference", flat=True)
    )
