"""Passes: products on sale, bought and activated, entries spent on bookings and given
back. Every refusal is checked for its message and for the database unchanged."""

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from rendezvous.bookings.domain import booking_cancel
from rendezvous.bookings.models import BookingStatus, PaymentStatus
from rendezvous.core.errors import InvalidState, ValidationFailed
from rendezvous.core.models import AuditEntry
from rendezvous.notifications.models import OutboxMessage
from rendezvous.payments.domain.bank import mark_received
from rendezvous.payments.domain.passes import (
    PassProductFields,
    pass_activate,
    pass_product_archive,
    pass_product_create,
    pass_product_delete,
    pass_product_update,
    pass_purchase,
    pass_return,
    pass_spend,
)
from rendezvous.payments.models import (
    CustomerPass,
    Method,
    PassProduct,
    PassUse,
    Payment,
    PaymentState,
)
from tests.conftest import NOW, TOMORROW_10, book
from tests.factories import CompanyFactory, ServiceFactory
from tests.payments.core_rows import customer_of, paid_service, payment_tables, sells_passes

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def refused(exc_type, call, **kwargs):
    """Run `call(**kwargs)`, expect `exc_type`, and prove nothing was written."""
    before = payment_tables()
    with pytest.raises(exc_type) as caught:
        call(**kwargs)
    assert payment_tables() == before
    return caught.value


@pytest.fixture
def massage(practice):
    return paid_service(practice)


@pytest.fixture
def ten(practice, massage):
    """A 10-entry pass for the massage, valid 30 days, 90.00 EUR."""
    sells_passes(practice.company)
    return pass_product_create(
        company=practice.company,
        fields=PassProductFields(
            name="10 massages", entries=10, valid_days=30, price=Decimal(90), services=(massage.pk,)
        ),
    )


def fields(**changes) -> PassProductFields:
    base = PassProductFields(
        name="5 classes", entries=5, valid_days=60, price=Decimal("45.00"), services=()
    )
    return replace(base, **changes)


def owned(customer, product, *, now=NOW) -> CustomerPass:
    """A pass the customer bought and paid (by card)."""
    bought = pass_purchase(customer=customer, product=product, method=Method.CARD, now=now)
    return pass_activate(customer_pass=bought, now=now)


# -- products ---------------------------------------------------------------------------


def test_a_pass_product_is_created_with_its_services(practice, massage):
    product = pass_product_create(
        company=practice.company,
        fields=fields(
            name=" 5 classes ",
            services=(massage.pk, practice.service.pk),
            price=Decimal("45.5"),
            translations={"de": {"name": "5 Stunden"}},
        ),
    )
    product.refresh_from_db()
    assert (product.name, product.entries, product.valid_days, product.price) == (
        "5 classes",
        5,
        60,
        Decimal("45.50"),
    )
    assert set(product.services.all()) == {massage, practice.service}
    assert product.translations == {"de": {"name": "5 Stunden"}}
    assert AuditEntry.objects.filter(entity="pass_product", action="created").count() == 1


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"entries": 0}, {"entries": ["Enter a whole number from 1 to 1000."]}),
        ({"entries": 1001}, {"entries": ["Enter a whole number from 1 to 1000."]}),
        ({"valid_days": 0}, {"valid_days": ["Enter a whole number from 1 to 3650."]}),
        ({"valid_days": 3651}, {"valid_days": ["Enter a whole number from 1 to 3650."]}),
        (
            {"price": Decimal("-1")},
            {"price": ["Enter an amount like 12.50, with at most 2 decimals."]},
        ),
        (
            {"price": Decimal("9.999")},
            {"price": ["Enter an amount like 12.50, with at most 2 decimals."]},
        ),
        ({"price": 9.99}, {"price": ["Enter an amount like 12.50, with at most 2 decimals."]}),
        ({"price": Decimal("100000000")}, {"price": ["Enter an amount from 0 to 99999999.99."]}),
        (
            {"name": "Ten\u202eclasses"},
            {"name": ["Control characters such as line breaks are not allowed."]},
        ),
        ({"name": "x" * 201}, {"name": ["At most 200 characters."]}),
        ({"name": ""}, {"name": ["This field is required."]}),
        (
            {"translations": {"ja": {"name": "x"}}},
            {"translations.ja": ["This company does not offer that language."]},
        ),
        ({"services": ()}, {"services": ["Choose at least one service the pass is good for."]}),
        ({"services": (999999,)}, {"services": ["Unknown id: 999999."]}),
        ({"services": ("1",)}, {"services": ["Enter a list of ids."]}),
    ],
)
def test_bad_product_fields_are_refused(practice, massage, changes, errors):
    changes.setdefault("services", (massage.pk,))
    error = refused(
        ValidationFailed, pass_product_create, company=practice.company, fields=fields(**changes)
    )
    assert error.fields == errors


def test_a_service_of_another_company_is_refused(practice, massage):
    foreign = ServiceFactory(company=CompanyFactory())
    error = refused(
        ValidationFailed,
        pass_product_create,
        company=practice.company,
        fields=fields(services=(massage.pk, foreign.pk)),
    )
    assert error.fields == {"services": [f"Unknown id: {foreign.pk}."]}


def test_update_replaces_the_fields_and_sold_passes_keep_theirs(practice, ten, massage):
    customer = customer_of(practice.company)
    sold = owned(customer, ten)
    product = pass_product_update(
        product=ten,
        fields=fields(name="12 massages", entries=12, services=(practice.service.pk,)),
    )
    product.refresh_from_db()
    assert (product.name, product.entries, product.valid_days) == ("12 massages", 12, 60)
    assert list(product.services.all()) == [practice.service]
    sold.refresh_from_db()
    assert (sold.entries_total, sold.entries_left, sold.expires_at) == (
        10,
        10,
        NOW + timedelta(days=30),
    )
    entry = AuditEntry.objects.get(entity="pass_product", action="updated")
    assert entry.changes["entries"] == [10, 12]
    assert entry.changes["services"] == [[massage.pk], [practice.service.pk]]

    error = refused(
        ValidationFailed,
        pass_product_update,
        product=ten,
        fields=fields(entries=0, services=(massage.pk,)),
    )
    assert error.fields == {"entries": ["Enter a whole number from 1 to 1000."]}


def test_archive_takes_it_off_sale_and_only_an_unsold_product_is_deleted(practice, ten):
    customer = customer_of(practice.company)
    owned(customer, ten)
    pass_product_archive(product=ten)
    ten.refresh_from_db()
    assert not ten.active
    error = refused(InvalidState, pass_product_delete, product=ten)
    assert error.message == "Customers bought this pass; take it off sale instead."

    unsold = pass_product_create(
        company=practice.company, fields=fields(services=(practice.service.pk,))
    )
    pass_product_delete(product=unsold)
    assert list(PassProduct.objects.all()) == [ten]


# -- buying -----------------------------------------------------------------------------


def test_a_bought_pass_waits_for_its_payment(practice, ten):
    customer = customer_of(practice.company)
    bought = pass_purchase(customer=customer, product=ten, method=Method.CARD, now=NOW)
    bought.refresh_from_db()
    assert (bought.active, bought.expires_at, bought.entries_left, bought.entries_total) == (
        False,
        None,
        10,
        10,
    )
    payment = Payment.objects.get()
    assert (
        payment.customer_pass,
        payment.booking,
        payment.method,
        payment.state,
        payment.amount,
        payment.currency,
    ) == (bought, None, Method.CARD, PaymentState.PENDING, Decimal("90.00"), "EUR")

    activated = pass_activate(customer_pass=bought, now=NOW + timedelta(hours=2))
    assert activated.active
    assert activated.expires_at == NOW + timedelta(hours=2, days=30)
    error = refused(InvalidState, pass_activate, customer_pass=bought, now=NOW + timedelta(days=1))
    assert error.message == "This pass is active already."


def test_a_transfer_is_due_after_the_company_days(practice, ten):
    customer = customer_of(practice.company)
    bought = pass_purchase(customer=customer, product=ten, method=Method.BANK_TRANSFER, now=NOW)
    payment = Payment.objects.get()
    assert payment.due == NOW.date() + timedelta(days=3)
    # The reference to quote, as every transfer has; once received, the pass works.
    assert len(payment.reference) == 9 and payment.amount == Decimal("90.00")
    mark_received(payment=payment, actor=None, now=NOW)
    bought.refresh_from_db()
    assert bought.active and bought.expires_at == NOW + timedelta(days=30)


def test_a_free_pass_is_active_at_once(practice, massage):
    sells_passes(practice.company)
    trial = pass_product_create(
        company=practice.company,
        fields=fields(name="Trial", entries=1, price=Decimal(0), services=(massage.pk,)),
    )
    bought = pass_purchase(
        customer=customer_of(practice.company), product=trial, method=Method.ON_SITE, now=NOW
    )
    assert bought.active and bought.expires_at == NOW + timedelta(days=60)
    assert Payment.objects.get().state == PaymentState.PAID


def test_purchase_refusals(practice, ten, massage):
    customer = customer_of(practice.company)
    elsewhere = CompanyFactory()
    stranger = customer_of(elsewhere, "x")
    error = refused(
        InvalidState, pass_purchase, customer=stranger, product=ten, method=Method.CARD, now=NOW
    )
    assert error.message == "This pass is not sold here."

    for method in (Method.CREDITS, Method.PASS):
        error = refused(
            InvalidState, pass_purchase, customer=customer, product=ten, method=method, now=NOW
        )
        assert error.message == "This payment method is not available for passes."

    practice.company.payment_settings.card = False
    practice.company.payment_settings.save()
    error = refused(
        InvalidState, pass_purchase, customer=customer, product=ten, method=Method.CARD, now=NOW
    )
    assert error.message == "This payment method is not available for passes."

    practice.company.payment_settings.passes = False
    practice.company.payment_settings.save()
    error = refused(
        InvalidState, pass_purchase, customer=customer, product=ten, method=Method.ON_SITE, now=NOW
    )
    assert error.message == "This company does not sell passes."

    practice.company.payment_settings.passes = True
    practice.company.payment_settings.save()
    pass_product_archive(product=ten)
    ten.refresh_from_db()
    error = refused(
        InvalidState, pass_purchase, customer=customer, product=ten, method=Method.ON_SITE, now=NOW
    )
    assert error.message == "This pass is no longer on sale."


# -- spending ---------------------------------------------------------------------------


def test_spending_an_entry_pays_the_booking_and_emails_the_customer(practice, ten, massage):
    booking = book(practice, TOMORROW_10, service=massage, n=1).booking
    assert booking.payment_status == PaymentStatus.PENDING
    customer = booking.customer
    card = owned(customer, ten)

    use = pass_spend(booking=booking, now=NOW)

    assert (use.customer_pass, use.booking, use.returned_at) == (card, booking, None)
    card.refresh_from_db()
    assert card.entries_left == 9
    assert booking.payment_status == PaymentStatus.PAID
    payment = Payment.objects.get(booking=booking)
    assert (payment.method, payment.state, payment.amount, payment.currency, payment.paid_at) == (
        Method.PASS,
        PaymentState.PAID,
        Decimal("0.000"),
        "EUR",
        NOW,
    )
    assert payment.customer_pass == card
    # booking_record_payment's event: the "payment received" email, in the outbox.
    assert OutboxMessage.objects.filter(booking=booking, event="payment_confirmed").count() == 1


def test_the_pass_that_expires_first_is_spent_first(practice, ten, massage):
    booking = book(practice, TOMORROW_10, service=massage, n=1).booking
    later = owned(booking.customer, ten)
    sooner = owned(booking.customer, ten, now=NOW - timedelta(days=10))
    assert pass_spend(booking=booking, now=NOW).customer_pass == sooner
    later.refresh_from_db()
    assert later.entries_left == 10


def test_no_usable_pass_is_refused_with_a_clear_message(practice, ten, massage):
    booking = book(practice, TOMORROW_10, service=massage, n=1).booking
    customer = booking.customer
    message = "You have no active pass with an entry left for Massage."

    error = refused(InvalidState, pass_spend, booking=booking, now=NOW)
    assert error.message == message

    # Bought but not paid yet.
    waiting = pass_purchase(customer=customer, product=ten, method=Method.BANK_TRANSFER, now=NOW)
    assert refused(InvalidState, pass_spend, booking=booking, now=NOW).message == message

    # Paid, but expired by the time it is spent.
    pass_activate(customer_pass=waiting, now=NOW - timedelta(days=31))
    assert refused(InvalidState, pass_spend, booking=booking, now=NOW).message == message

    # For other services only.
    other = pass_product_create(
        company=practice.company, fields=fields(services=(practice.service.pk,))
    )
    owned(customer, other)
    assert refused(InvalidState, pass_spend, booking=booking, now=NOW).message == message

    # Someone else's pass.
    owned(customer_of(practice.company, "other"), ten)
    assert refused(InvalidState, pass_spend, booking=booking, now=NOW).message == message


def test_the_last_entry_is_spent_once(practice, massage):
    sells_passes(practice.company)
    single = pass_product_create(
        company=practice.company, fields=fields(entries=1, services=(massage.pk,))
    )
    first = book(practice, TOMORROW_10, service=massage, n=1).booking
    second = book(practice, TOMORROW_10 + timedelta(hours=2), service=massage, n=1).booking
    assert first.customer == second.customer
    owned(first.customer, single)
    pass_spend(booking=first, now=NOW)
    error = refused(InvalidState, pass_spend, booking=second, now=NOW)
    assert error.message == "You have no active pass with an entry left for Massage."


def test_bookings_that_cannot_be_paid_by_a_pass_are_refused(practice, ten, massage):
    free = book(practice, TOMORROW_10, n=1).booking  # the consultation asks for no payment
    owned(free.customer, ten)
    error = refused(InvalidState, pass_spend, booking=free, now=NOW)
    assert error.message == "This booking has nothing to pay."

    paid = book(practice, TOMORROW_10 + timedelta(hours=2), service=massage, n=1).booking
    pass_spend(booking=paid, now=NOW)
    error = refused(InvalidState, pass_spend, booking=paid, now=NOW)
    assert error.message == "This booking is paid already."

    cancelled = book(practice, TOMORROW_10 + timedelta(hours=4), service=massage, n=1).booking
    booking_cancel(booking=cancelled, actor="staff", now=NOW)
    cancelled.refresh_from_db()
    error = refused(InvalidState, pass_spend, booking=cancelled, now=NOW)
    assert error.message == "This booking is not active."


def test_a_group_booking_and_a_request_without_customer_are_refused(practice, massage):
    sells_passes(practice.company)
    yoga = practice.yoga
    yoga.requires_payment = True
    yoga.save()
    product = pass_product_create(company=practice.company, fields=fields(services=(yoga.pk,)))
    group = book(
        practice, None, service=yoga, n=1, session_id=practice.session.pk, participants=2
    ).booking
    owned(group.customer, product)
    error = refused(InvalidState, pass_spend, booking=group, now=NOW)
    assert error.message == "A pass entry pays for one person; pay this booking another way."

    massage.requires_confirmation = True
    massage.save()
    request = book(practice, TOMORROW_10, service=massage, n=2).booking
    assert request.status == BookingStatus.REQUESTED and request.customer is None
    error = refused(InvalidState, pass_spend, booking=request, now=NOW)
    assert error.message == "Pass entries pay for bookings of known customers only."


# -- giving back ------------------------------------------------------------------------


def test_a_cancel_within_the_cut_off_gives_the_entry_back(practice, ten, massage):
    booking = book(practice, TOMORROW_10 + timedelta(days=2), service=massage, n=1).booking
    card = owned(booking.customer, ten)
    use = pass_spend(booking=booking, now=NOW)

    assert booking.customer_may_cancel(NOW)  # in time: the cancel gives it back (refunds)
    booking_cancel(booking=booking, actor="customer", now=NOW)
    booking.refresh_from_db()

    returned = PassUse.objects.get(pk=use.pk)
    assert returned.returned_at == NOW
    card.refresh_from_db()
    assert card.entries_left == 10
    assert booking.payment_status == PaymentStatus.REFUNDED
    assert Payment.objects.get(booking=booking).state == PaymentState.REFUNDED
    # The returned entry can pay another booking.
    again = book(practice, TOMORROW_10 + timedelta(days=3), service=massage, n=1).booking
    pass_spend(booking=again, now=NOW)
    assert PassUse.objects.filter(returned_at__isnull=True).get().booking == again

    error = refused(InvalidState, pass_return, booking=booking, now=NOW)
    assert error.message == "No pass entry was spent on this booking."


def test_a_staff_cancel_after_the_cut_off_gives_the_entry_back_too(practice, ten, massage):
    # The business cancelled: the customer keeps nothing lost (payments.domain.refunds;
    # a customer's own late cancel keeps it: tests/payments/test_refunds.py).
    booking = book(practice, TOMORROW_10, service=massage, n=1).booking
    card = owned(booking.customer, ten)
    pass_spend(booking=booking, now=NOW)
    late = TOMORROW_10 - timedelta(hours=2)
    assert not booking.customer_may_cancel(late)
    booking_cancel(booking=booking, actor="staff", now=late)
    card.refresh_from_db()
    assert card.entries_left == 10
    assert PassUse.objects.get().returned_at == late


def test_return_without_a_spent_entry_is_refused(practice, massage):
    booking = book(practice, TOMORROW_10, service=massage, n=1).booking
    error = refused(InvalidState, pass_return, booking=booking, now=NOW)
    assert error.message == "No pass entry was spent on this booking."
