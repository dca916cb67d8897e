"""The Stripe webhook endpoint with events the fake Stripe made and signed: what each
event does, and the calls that change nothing (forged, replayed, stale, another
company's, a checkout that is not the payment's), the database compared before and
after. A success after the hold was released is refunded at the fake."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest

from rendezvous.bookings import domain as bookings
from rendezvous.bookings.models import Booking, BookingStatus, PaymentStatus
from rendezvous.core.models import AuditEntry
from rendezvous.payments.domain.card import card_holds_release
from rendezvous.payments.domain.passes import (
    PassProductFields,
    pass_product_create,
    pass_purchase,
)
from rendezvous.payments.domain.settings import PaymentSettingsFields, payment_settings_update
from rendezvous.payments.models import (
    Method,
    Payment,
    PaymentState,
    Refund,
    RefundState,
    WebhookEvent,
)
from tests.conftest import NOW, TOMORROW_10, book
from tests.factories import CompanyFactory, ServiceFactory, StaffFactory
from tests.fakes.stripe import WEBHOOK_SECRET
from tests.payments.card_support import (
    checkout,
    deliver_last,
    post_signed,
    stored,
    take_cards,
    webhook_url,
)

pytestmark = pytest.mark.integration

NEXT_WEEK = TOMORROW_10 + timedelta(days=7)


def video_booking(practice, start=NEXT_WEEK):
    return book(practice, start, service=practice.video, staff=practice.staff[0]).booking


@pytest.fixture
def open_checkout(carded):
    booking = video_booking(carded)
    return booking, checkout(booking)


def refused(answer, reason: str) -> None:
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "validation_error"
    assert answer.json()["error"]["fields"] == {"Stripe-Signature": [reason]}


def test_a_completed_checkout_pays_once_and_a_replay_of_its_event_changes_nothing(
    carded, fake, client, open_checkout
):
    booking, payment = open_checkout
    fake.complete(payment.provider_ref)
    assert deliver_last(client, fake, carded.company).json()["outcome"] == "paid"
    [event] = WebhookEvent.objects.all()
    assert (event.company, event.type, event.outcome, event.payment) == (
        carded.company,
        "checkout.session.completed",
        "paid",
        payment,
    )
    assert event.event_id == fake.deliveries[-1].event["id"]
    before = stored()
    again = deliver_last(client, fake, carded.company)
    assert again.status_code == 200 and again.json()["outcome"] == "duplicate"
    # The same event id signed anew (Stripe's retry) is the same event.
    payload, header = fake.signed_event(fake.deliveries[-1].event)
    assert post_signed(client, carded.company, payload, header).json()["outcome"] == "duplicate"
    assert stored() == before


def test_a_forged_or_unsigned_call_changes_nothing(carded, fake, client, open_checkout):
    _booking, payment = open_checkout
    session = fake.sessions[payment.provider_ref]
    event = fake.event("checkout.session.completed", {**session, "payment_status": "paid"})
    before = stored()
    payload, forged = fake.signed_event(event, secret="whsec_not_the_practices")
    refused(post_signed(client, carded.company, payload, forged), "signature")
    refused(post_signed(client, carded.company, payload, ""), "signature")
    # A body changed after signing.
    _payload, header = fake.signed_event(event)
    tampered = json.dumps({**event, "id": "evt_other"}).encode()
    refused(post_signed(client, carded.company, tampered, header), "signature")
    refused(
        client.post(webhook_url(carded.company), data=b"", content_type="text/plain"), "signature"
    )
    assert stored() == before


def test_a_stale_event_changes_nothing(carded, fake, client, open_checkout):
    _booking, payment = open_checkout
    session = fake.sessions[payment.provider_ref]
    event = fake.event("checkout.session.completed", {**session, "payment_status": "paid"})
    before = stored()
    payload, header = fake.signed_event(event, timestamp=int(NOW.timestamp()) - 301)
    refused(post_signed(client, carded.company, payload, header), "stale")
    assert stored() == before


def test_another_companys_event_changes_nothing(carded, fake, client, open_checkout):
    _booking, payment = open_checkout
    other = CompanyFactory(slug="other")
    take_cards(other)  # the same signing secret: only the metadata tells them apart
    staff = StaffFactory(company=other)
    service = ServiceFactory(
        company=other, requires_payment=True, price=Decimal("20"), staff=[staff]
    )
    theirs = bookings.booking_create(
        company=other,
        service=service,
        start=NEXT_WEEK,
        details=bookings.CustomerDetails("O", "Ther", "o@example.com", ""),
        now=NOW,
    ).booking
    their_payment = checkout(theirs)
    before = stored()
    # Ours, sent to their address; theirs, sent to ours.
    fake.complete(payment.provider_ref)
    refused(deliver_last(client, fake, other), "foreign")
    fake.complete(their_payment.provider_ref)
    refused(deliver_last(client, fake, carded.company), "foreign")
    assert stored() == before


def test_an_event_naming_our_payment_with_another_checkout_changes_nothing(
    carded, fake, client, open_checkout
):
    _booking, payment = open_checkout
    session = fake.sessions[payment.provider_ref]
    before = stored()
    for changed in (
        {"id": "cs_test_someone_elses"},
        {"metadata": {**session["metadata"], "payment": str(payment.pk + 1000)}},
        {"metadata": {**session["metadata"], "booking": "5f0c3a2e-8d1b-4c7e-9a6f-2b4d8e1f3a70"}},
    ):
        obj = {**session, "status": "complete", "payment_status": "paid", **changed}
        payload, header = fake.signed_event("checkout.session.completed", obj)
        refused(post_signed(client, carded.company, payload, header), "foreign")
    assert stored() == before


def test_an_amount_stripe_reports_that_is_not_the_payments_is_recorded_and_not_paid(
    carded, fake, client, open_checkout, frozen_now
):
    booking, payment = open_checkout
    session = fake.sessions[payment.provider_ref]
    for changed in ({"amount_total": 3999}, {"currency": "usd"}):
        obj = {**session, "status": "complete", "payment_status": "paid", **changed}
        payload, header = fake.signed_event("checkout.session.completed", obj)
        answer = post_signed(client, carded.company, payload, header)
        assert answer.json()["outcome"] == "mismatch"
    payment.refresh_from_db()
    booking.refresh_from_db()
    assert payment.state == PaymentState.PENDING
    assert booking.payment_status == PaymentStatus.PENDING
    mismatches = AuditEntry.objects.filter(entity="payment", action="amount_mismatch")
    assert [e.changes["got"] for e in mismatches.order_by("id")] == ["39.99 EUR", "40.00 USD"]
    # The sweep finds the checkout complete: it does not take it as paid either.
    fake.complete(payment.provider_ref)
    later = NOW + timedelta(minutes=16)
    frozen_now.move_to(later)
    assert card_holds_release(now=later) == 1
    payment.refresh_from_db()
    booking.refresh_from_db()
    assert payment.state == PaymentState.FAILED
    assert payment.note == "Stripe reported another amount: check this payment in Stripe."
    assert (booking.status, booking.payment_status) == (BookingStatus.CONFIRMED, "pending")


def test_an_expired_checkout_frees_the_time(carded, fake, client, open_checkout):
    booking, payment = open_checkout
    fake.expire(payment.provider_ref)
    assert deliver_last(client, fake, carded.company).json()["outcome"] == "released"
    payment.refresh_from_db()
    booking.refresh_from_db()
    assert payment.state == PaymentState.FAILED
    assert booking.status == BookingStatus.CANCELLED
    # The time is free: someone else books it.
    assert video_booking(carded).status == BookingStatus.CONFIRMED


def test_a_declined_card_is_only_logged_and_the_customer_may_try_again(
    carded, fake, client, open_checkout
):
    booking, payment = open_checkout
    fake.fail_payment(payment.provider_ref)
    assert deliver_last(client, fake, carded.company).json()["outcome"] == "declined"
    payment.refresh_from_db()
    assert payment.state == PaymentState.PENDING
    entry = AuditEntry.objects.get(entity="payment", action="card_declined")
    assert entry.changes["code"] == "generic_decline"
    fake.complete(payment.provider_ref)
    assert deliver_last(client, fake, carded.company).json()["outcome"] == "paid"
    booking.refresh_from_db()
    assert booking.payment_status == PaymentStatus.PAID


def test_a_success_after_the_hold_was_released_is_refunded_never_double_booked(
    carded, fake, client, open_checkout, frozen_now
):
    booking, payment = open_checkout
    later = NOW + timedelta(minutes=16)
    frozen_now.move_to(later)
    fake.fail_next(1, 400)  # Stripe will not close the page: the sweep releases anyway
    assert card_holds_release(now=later) == 1
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    someone = video_booking(carded)  # the time is someone else's now
    assert fake.sessions[payment.provider_ref]["status"] == "open"

    fake.complete(payment.provider_ref)  # the customer paid on the page left open
    assert deliver_last(client, fake, carded.company).json()["outcome"] == "late_refunded"
    intent = fake.sessions[payment.provider_ref]["payment_intent"]
    [at_stripe] = fake.refunds.values()
    assert (at_stripe["payment_intent"], at_stripe["amount"]) == (intent, 4000)
    [refund] = Refund.objects.filter(payment=payment)
    assert (refund.state, refund.amount, refund.provider_ref) == (
        RefundState.DONE,
        Decimal("40.00"),
        at_stripe["id"],
    )
    payment.refresh_from_db()
    booking.refresh_from_db()
    assert (payment.state, payment.refunded) == (PaymentState.REFUNDED, Decimal("40.00"))
    assert (booking.status, booking.payment_status) == (BookingStatus.CANCELLED, "pending")
    assert Booking.objects.get(pk=someone.pk).status == BookingStatus.CONFIRMED
    # charge.refunded for the same refund counts it once.
    fake.refund_event(intent)
    assert deliver_last(client, fake, carded.company).json()["outcome"] == "refunded"
    assert Refund.objects.filter(payment=payment).count() == 1


def test_a_success_for_a_booking_staff_cancelled_meanwhile_is_refunded(
    carded, fake, client, open_checkout
):
    booking, payment = open_checkout
    bookings.booking_cancel(booking=booking, actor=bookings.STAFF, now=NOW)
    fake.complete(payment.provider_ref)
    assert deliver_last(client, fake, carded.company).json()["outcome"] == "late_refunded"
    assert len(fake.refunds) == 1
    booking.refresh_from_db()
    assert booking.payment_status == PaymentStatus.PENDING


def test_a_refund_made_in_the_dashboard_is_recorded_by_charge_refunded(
    carded, fake, client, open_checkout
):
    booking, payment = open_checkout
    fake.complete(payment.provider_ref)
    deliver_last(client, fake, carded.company)
    payment.refresh_from_db()
    intent = payment.provider_payment
    charge = fake.charges[fake.payment_intents[intent]["latest_charge"]]

    charge["amount_refunded"] = 1500  # 15.00 given back in Stripe's Dashboard
    fake.refund_event(intent)
    assert deliver_last(client, fake, carded.company).json()["outcome"] == "refunded"
    payment.refresh_from_db()
    assert (payment.state, payment.refunded) == (
        PaymentState.PARTIALLY_REFUNDED,
        Decimal("15.00"),
    )
    [refund] = Refund.objects.filter(payment=payment)
    assert (refund.state, refund.amount) == (RefundState.DONE, Decimal("15.00"))

    charge.update(amount_refunded=4000, refunded=True)
    fake.refund_event(intent)
    assert deliver_last(client, fake, carded.company).json()["outcome"] == "refunded"
    payment.refresh_from_db()
    booking.refresh_from_db()
    assert (payment.state, payment.refunded) == (PaymentState.REFUNDED, Decimal("40.00"))
    assert booking.payment_status == PaymentStatus.REFUNDED
    assert sorted(r.amount for r in Refund.objects.filter(payment=payment)) == [
        Decimal("15.00"),
        Decimal("25.00"),
    ]


def test_an_authentic_event_of_another_type_or_of_no_payment_of_ours_is_acknowledged(
    carded, fake, client
):
    before = stored()
    payload, header = fake.signed_event("customer.created", {"id": "cus_1", "object": "customer"})
    answer = post_signed(client, carded.company, payload, header)
    assert answer.json() == {"received": True, "outcome": "ignored"}
    made_elsewhere = {
        "id": "cs_test_elsewhere",
        "object": "checkout.session",
        "amount_total": 1000,
        "currency": "eur",
        "metadata": {},
        "payment_intent": "pi_elsewhere",
        "payment_status": "paid",
    }
    payload, header = fake.signed_event("checkout.session.completed", made_elsewhere)
    assert post_signed(client, carded.company, payload, header).json()["outcome"] == "ignored"
    assert stored() == before


def test_a_company_without_stripe_or_unknown_refuses_every_call(practice, fake, client):
    payload, header = fake.signed_event("customer.created", {"id": "cus_1", "object": "customer"})
    refused(post_signed(client, practice.company, payload, header), "not_configured")
    answer = client.post(
        "/api/v1/companies/nobody/payments/stripe/webhook",
        data=payload,
        content_type="application/json",
        headers={"Stripe-Signature": header},
    )
    assert answer.status_code == 404
    assert WEBHOOK_SECRET not in answer.content.decode()


def test_a_pass_bought_by_card_is_activated_by_its_completed_checkout(carded, fake, client):
    company = carded.company
    payment_settings_update(company=company, fields=PaymentSettingsFields(passes=True))
    product = pass_product_create(
        company=company,
        fields=PassProductFields(
            name="10 classes",
            entries=10,
            valid_days=90,
            price=Decimal("120"),
            services=(carded.yoga.pk,),
        ),
    )
    customer = video_booking(carded).customer
    bought = pass_purchase(customer=customer, product=product, method=Method.CARD, now=NOW)
    payment = Payment.objects.get(customer_pass=bought)
    ours = {"payment": str(payment.pk), "company": str(company.pk)}
    session = {
        "id": "cs_test_pass",
        "object": "checkout.session",
        "amount_total": 12000,
        "currency": "eur",
        "metadata": ours,
        "payment_intent": "pi_pass",
        "payment_status": "paid",
        "status": "complete",
    }
    payload, header = fake.signed_event("checkout.session.completed", session)
    assert post_signed(client, company, payload, header).json()["outcome"] == "paid"
    bought.refresh_from_db()
    payment.refresh_from_db()
    assert bought.active and payment.state == PaymentState.PAID
    assert payment.provider_payment == "pi_pass"


def test_stripe_reaches_the_endpoint_over_http(transactional_db, carded, fake, live_server):
    """The fake's own delivery, over a socket to the running server, as Stripe's is."""
    booking = video_booking(carded)
    payment = checkout(booking)
    fake.webhook_url = live_server.url + webhook_url(carded.company)
    assert fake.complete(payment.provider_ref) == 200
    assert fake.deliveries[-1].status == 200
    payment.refresh_from_db()
    booking.refresh_from_db()
    assert payment.state == PaymentState.PAID
    assert booking.payment_status == PaymentStatus.PAID
    # A forged call over the same socket is refused and changes nothing.
    before = stored()
    assert fake.deliver(fake.deliveries[-1].event, secret="whsec_forged") == 400
    assert stored() == before
