"""Two tabs spend the last pass entry (or the last credit) at once: exactly one wins.

Real threads, each on its own connection, on whichever database the run uses (SQLite
file, or PostgreSQL with DATABASE_URL): the harness of tests/bookings/test_concurrency.py.
"""

from datetime import timedelta
from decimal import Decimal

import pytest

from rendezvous.bookings.domain import booking_create
from rendezvous.bookings.models import Booking, PaymentStatus
from rendezvous.payments.domain.passes import (
    PassProductFields,
    pass_activate,
    pass_product_create,
    pass_purchase,
    pass_spend,
)
from rendezvous.payments.domain.wallet import wallet_balance, wallet_change
from rendezvous.payments.models import (
    CustomerPass,
    EntryReason,
    Method,
    PassUse,
    Payment,
    Unit,
    WalletEntry,
)
from tests.bookings.test_concurrency import OK, race
from tests.conftest import NOW, TOMORROW_10, details
from tests.factories import CompanyFactory, ServiceFactory, StaffFactory
from tests.payments.core_rows import sells_passes

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]

REFUSED = "invalid_state"


@pytest.fixture
def last_entry(transactional_db):
    """Two paid bookings of one customer, and their pass with one entry left, committed
    so that every connection sees them."""
    company = CompanyFactory(slug="race")
    staff = [StaffFactory(company=company, name=n) for n in ("Ada", "Ben")]
    massage = ServiceFactory(
        company=company,
        name="Massage",
        price=Decimal("40.00"),
        requires_payment=True,
        staff=staff,
    )
    sells_passes(company)
    product = pass_product_create(
        company=company,
        fields=PassProductFields(
            name="Single", entries=1, valid_days=30, price=Decimal(40), services=(massage.pk,)
        ),
    )
    bookings = [
        booking_create(
            company=company,
            service=massage,
            start=TOMORROW_10 + timedelta(hours=2 * i),
            details=details("race"),
            now=NOW,
        ).booking
        for i in range(2)
    ]
    assert bookings[0].customer == bookings[1].customer
    bought = pass_purchase(
        customer=bookings[0].customer, product=product, method=Method.CARD, now=NOW
    )
    customer_pass = pass_activate(customer_pass=bought, now=NOW)
    return bookings, customer_pass


def test_two_bookings_spending_the_last_entry_at_once_one_wins(last_entry):
    bookings, customer_pass = last_entry
    answers = race([lambda b=b: pass_spend(booking=b, now=NOW) for b in bookings])
    assert sorted(answers) == [REFUSED, OK], answers

    customer_pass.refresh_from_db()
    assert customer_pass.entries_left == 0
    winner = PassUse.objects.get().booking
    assert winner == bookings[answers.index(OK)]
    assert Payment.objects.filter(method=Method.PASS).count() == 1
    statuses = dict(Booking.objects.values_list("pk", "payment_status"))
    assert sorted(statuses.values()) == [PaymentStatus.PAID, PaymentStatus.PENDING]
    assert statuses[winner.pk] == PaymentStatus.PAID


def test_a_double_click_spends_one_entry(last_entry):
    bookings, customer_pass = last_entry
    CustomerPass.objects.filter(pk=customer_pass.pk).update(entries_left=1, entries_total=5)
    booking = bookings[0]
    answers = race([lambda: pass_spend(booking=booking, now=NOW)] * 2)
    assert sorted(answers) == [REFUSED, OK], answers
    assert PassUse.objects.count() == 1
    assert Payment.objects.filter(method=Method.PASS).count() == 1


def test_two_spends_of_the_last_credit_at_once_one_wins(last_entry):
    bookings, _pass = last_entry
    customer = bookings[0].customer
    wallet_change(
        customer=customer, unit=Unit.CREDIT, amount=Decimal(1), reason=EntryReason.PURCHASE
    )
    answers = race(
        [
            lambda b=b: wallet_change(
                customer=customer,
                unit=Unit.CREDIT,
                amount=Decimal(-1),
                reason=EntryReason.BOOKING,
                booking=b,
            )
            for b in bookings
        ]
    )
    assert sorted(answers) == [REFUSED, OK], answers
    assert wallet_balance(customer, Unit.CREDIT) == Decimal(0)
    assert WalletEntry.objects.filter(reason=EntryReason.BOOKING).count() == 1


def test_two_first_changes_of_a_new_wallet_make_one_wallet(last_entry):
    bookings, _pass = last_entry
    customer = bookings[0].customer
    answers = race(
        [
            lambda: wallet_change(
                customer=customer, unit=Unit.MONEY, amount=Decimal(5), reason=EntryReason.REFUND
            )
        ]
        * 2
    )
    assert answers == [OK, OK]
    assert wallet_balance(customer, Unit.MONEY) == Decimal("10.00")
    assert WalletEntry.objects.values("wallet").distinct().count() == 1


def test_two_buys_by_card_at_once_make_one_pass_waiting_for_its_checkout(last_entry):
    """A double click on "buy by card": the second waits for the first and continues it."""
    bookings, owned = last_entry
    customer = bookings[0].customer
    bought: list[CustomerPass] = []

    def buy() -> None:
        bought.append(
            pass_purchase(customer=customer, product=owned.product, method=Method.CARD, now=NOW)
        )

    answers = race([buy, buy])
    assert answers == [OK, OK], answers
    waiting = CustomerPass.objects.exclude(pk=owned.pk)
    assert waiting.count() == 1 and not waiting.get().active
    assert {p.pk for p in bought} == {waiting.get().pk}
    assert Payment.objects.filter(customer_pass=waiting.get()).count() == 1
