"""The wallet ledger: balances are sums of append-only entries, never below zero; staff
grant and correct with a reason; every refusal changes nothing."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from rendezvous.bookings.domain import booking_create
from rendezvous.core.errors import InvalidState, ValidationFailed
from rendezvous.core.models import AuditEntry
from rendezvous.payments.domain.wallet import (
    wallet_balance,
    wallet_change,
    wallet_correct,
    wallet_grant,
    wallet_history,
)
from rendezvous.payments.models import EntryReason, Unit, Wallet, WalletEntry
from tests.conftest import NOW, TOMORROW_10, details
from tests.factories import CompanyFactory, ServiceFactory, StaffFactory
from tests.payments.core_rows import customer_of, payment_tables

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

MONEY, CREDIT = Unit.MONEY, Unit.CREDIT


@pytest.fixture
def customer(practice):
    return customer_of(practice.company)


@pytest.fixture
def staff_user(db):
    return get_user_model().objects.create_user("desk", "desk@example.com")


def refused(exc_type, call, **kwargs):
    """Run `call(**kwargs)`, expect `exc_type`, and prove nothing was written."""
    before = payment_tables()
    with pytest.raises(exc_type) as caught:
        call(**kwargs)
    assert payment_tables() == before
    return caught.value


def test_a_first_change_makes_the_wallet_and_balances_are_sums_per_unit(customer):
    assert wallet_balance(customer, MONEY) == Decimal("0.00")
    assert not Wallet.objects.exists()

    wallet_change(customer=customer, unit=CREDIT, amount=Decimal(5), reason=EntryReason.PURCHASE)
    wallet_change(customer=customer, unit=MONEY, amount=Decimal("12.50"), reason=EntryReason.REFUND)
    wallet_change(customer=customer, unit=CREDIT, amount=Decimal(-2), reason=EntryReason.BOOKING)

    wallet = Wallet.objects.get()
    assert (wallet.customer, wallet.company) == (customer, customer.company)
    assert wallet_balance(customer, CREDIT) == Decimal(3)
    assert wallet_balance(customer, MONEY) == Decimal("12.50")
    # Newest first, each with its reason.
    assert [(e.unit, e.amount, e.reason) for e in wallet_history(customer)] == [
        (CREDIT, Decimal(-2), EntryReason.BOOKING),
        (MONEY, Decimal("12.50"), EntryReason.REFUND),
        (CREDIT, Decimal(5), EntryReason.PURCHASE),
    ]
    assert AuditEntry.objects.filter(entity="wallet", entity_id=str(wallet.pk)).count() == 3


def test_money_is_rounded_to_the_company_currency(practice, customer):
    entry = wallet_change(
        customer=customer, unit=MONEY, amount=Decimal("2.345"), reason=EntryReason.REFUND
    )
    entry.refresh_from_db()
    assert entry.amount == Decimal("2.35")

    yen = CompanyFactory(currency="JPY")
    buyer = customer_of(yen, "jp")
    wallet_change(customer=buyer, unit=MONEY, amount=Decimal("1200.4"), reason=EntryReason.REFUND)
    assert wallet_balance(buyer, MONEY) == Decimal(1200)


def test_a_balance_never_goes_below_zero(customer):
    wallet_change(customer=customer, unit=MONEY, amount=Decimal("5.00"), reason=EntryReason.REFUND)
    error = refused(
        InvalidState,
        wallet_change,
        customer=customer,
        unit=MONEY,
        amount=Decimal("-5.01"),
        reason=EntryReason.BOOKING,
    )
    assert error.message == "Not enough credits: the balance is €5.00."
    # Credits are their own balance: money does not pay for them.
    error = refused(
        InvalidState,
        wallet_change,
        customer=customer,
        unit=CREDIT,
        amount=Decimal(-1),
        reason=EntryReason.BOOKING,
    )
    assert error.message == "Not enough credits: the balance is 0."

    wallet_change(
        customer=customer, unit=MONEY, amount=Decimal("-5.00"), reason=EntryReason.BOOKING
    )
    assert wallet_balance(customer, MONEY) == Decimal("0.00")


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"unit": "euro"}, {"unit": ["Choose money or class credits."]}),
        ({"reason": "gift"}, {"reason": ["Choose a reason from the list."]}),
        ({"amount": Decimal(0)}, {"amount": ["Enter an amount other than zero."]}),
        # Rounds to nothing: as good as zero.
        ({"amount": Decimal("0.004")}, {"amount": ["Enter an amount other than zero."]}),
        ({"amount": 1.5}, {"amount": ["Enter an amount."]}),
        ({"amount": Decimal("NaN")}, {"amount": ["Enter an amount."]}),
        (
            {"unit": CREDIT, "amount": Decimal("1.5")},
            {"amount": ["Class credits are whole numbers."]},
        ),
        ({"amount": Decimal("100000000")}, {"amount": ["At most 99999999.99 at once."]}),
        (
            {"note": "Bonus\r\nBcc: x@example.com"},
            {"note": ["Control characters such as line breaks are not allowed."]},
        ),
        ({"note": "x" * 501}, {"note": ["At most 500 characters."]}),
    ],
)
def test_bad_changes_are_refused_with_their_field(customer, changes, fields):
    kwargs = {
        "customer": customer,
        "unit": MONEY,
        "amount": Decimal("1.00"),
        "reason": EntryReason.REFUND,
        **changes,
    }
    error = refused(ValidationFailed, wallet_change, **kwargs)
    assert error.fields == fields


def test_a_booking_of_another_company_is_refused(practice, customer):
    other = CompanyFactory()
    staff = StaffFactory(company=other)
    service = ServiceFactory(company=other, staff=[staff])
    foreign = booking_create(
        company=other, service=service, start=TOMORROW_10, details=details("x"), now=NOW
    ).booking
    error = refused(
        ValidationFailed,
        wallet_change,
        customer=customer,
        unit=CREDIT,
        amount=Decimal(1),
        reason=EntryReason.CANCEL_RETURN,
        booking=foreign,
    )
    assert error.fields == {"booking": ["This booking belongs to another company."]}


def test_staff_grant_with_a_reason_and_the_entry_names_them(customer, staff_user):
    entry = wallet_grant(
        customer=customer,
        unit=CREDIT,
        amount=Decimal(3),
        note=" Missed class on 3 May ",
        actor=staff_user,
    )
    entry.refresh_from_db()
    assert (entry.reason, entry.note, entry.actor) == (
        EntryReason.STAFF_GRANT,
        "Missed class on 3 May",
        staff_user,
    )
    assert wallet_balance(customer, CREDIT) == Decimal(3)


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"note": "  "}, {"note": ["Write down why: the customer and your colleagues see it."]}),
        (
            {"amount": Decimal(-1)},
            {"amount": ["A grant adds: enter an amount above zero, or correct instead."]},
        ),
        (
            {"unit": MONEY, "amount": Decimal("2.345")},
            {"amount": ["Enter an amount like 12.50, with at most 2 decimals."]},
        ),
        ({"amount": Decimal("1.5")}, {"amount": ["Class credits are whole numbers."]}),
    ],
)
def test_bad_grants_are_refused(customer, staff_user, changes, fields):
    kwargs = {
        "customer": customer,
        "unit": CREDIT,
        "amount": Decimal(2),
        "note": "Goodwill",
        "actor": staff_user,
        **changes,
    }
    error = refused(ValidationFailed, wallet_grant, **kwargs)
    assert error.fields == fields


def test_staff_correct_either_way_but_not_below_zero(customer, staff_user):
    wallet_grant(customer=customer, unit=CREDIT, amount=Decimal(5), note="Sold at the desk")
    wallet_correct(customer=customer, unit=CREDIT, amount=Decimal(-4), note="Typed 5, meant 1")
    assert wallet_balance(customer, CREDIT) == Decimal(1)
    # The mistake stays in the history, followed by its correction.
    assert [e.reason for e in wallet_history(customer)] == [
        EntryReason.STAFF_CORRECTION,
        EntryReason.STAFF_GRANT,
    ]
    error = refused(
        InvalidState,
        wallet_correct,
        customer=customer,
        unit=CREDIT,
        amount=Decimal(-2),
        note="Too many",
        actor=staff_user,
    )
    assert error.message == "Not enough credits: the balance is 1."
    error = refused(
        ValidationFailed,
        wallet_correct,
        customer=customer,
        unit=CREDIT,
        amount=Decimal(-1),
        note="",
        actor=staff_user,
    )
    assert error.fields == {"note": ["Write down why: the customer and your colleagues see it."]}


def test_entries_are_never_changed_or_deleted(customer):
    entry = wallet_change(
        customer=customer, unit=CREDIT, amount=Decimal(1), reason=EntryReason.PURCHASE
    )
    entry.note = "rewritten"
    with pytest.raises(ValueError):
        entry.save()
    with pytest.raises(ValueError):
        entry.delete()
    assert WalletEntry.objects.get().note == ""
