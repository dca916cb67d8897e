"""The payments report (payments.domain.report): totals per method from payments made
through the domain (a transfer marked received, a payment recorded at the desk, a card
through the fake Stripe and its refund, credits and a pass entry spent), the transfers
awaited with the overdue one flagged, pass and credit balances, the CSV, a junior
refused, and a constant number of queries."""

import csv
import io
import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rendezvous.bookings import domain as bookings
from rendezvous.companies.access import Actor
from rendezvous.companies.models import Role
from rendezvous.core.errors import Forbidden, ValidationFailed
from rendezvous.payments.domain.bank import mark_received, overdue_transfers, transfer_start
from rendezvous.payments.domain.card import card_refund
from rendezvous.payments.domain.checkout import payment_record
from rendezvous.payments.domain.passes import (
    PassProductFields,
    pass_product_create,
    pass_purchase,
    pass_spend,
)
from rendezvous.payments.domain.report import (
    PaymentFilters,
    amount_text,
    payment_report,
    payment_report_csv,
    payment_rows,
)
from rendezvous.payments.domain.settings import PaymentSettingsFields, payment_settings_update
from rendezvous.payments.domain.wallet import credits_spend, wallet_grant
from rendezvous.payments.models import Method, Payment, RefundState, Unit
from tests.conftest import NOW, TOMORROW_10, book
from tests.payments.card_support import checkout, deliver_last
from tests.payments.core_rows import customer_of
from tests.payments.test_bank_transfer import take_transfers

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

NEXT_WEEK = TOMORROW_10 + timedelta(days=7)
DECEMBER = PaymentFilters(date_from=date(2026, 12, 1), date_to=date(2026, 12, 31))
EUR = "EUR"


@pytest.fixture
def shop(carded):
    """Cards (the fake Stripe), transfers, credits and passes; the video call 40.00."""
    take_transfers(carded.company)
    payment_settings_update(
        company=carded.company, fields=PaymentSettingsFields(credits=True, passes=True)
    )
    return carded


def admin(practice, role=Role.ADMIN) -> Actor:
    return Actor(practice.company, role, None)


def video(practice, k: int, n):
    """The k-th video call of next week: three at a time (one per staff member), six
    hours a day from Wednesday."""
    start = NEXT_WEEK + timedelta(days=k // 18, hours=(k // 3) % 6)
    return book(practice, start, service=practice.video, n=n).booking


def card_paid(practice, client, fake, hours: int, n) -> Payment:
    payment = checkout(video(practice, hours, n))
    fake.complete(payment.provider_ref)
    assert deliver_last(client, fake, practice.company).json()["outcome"] == "paid"
    payment.refresh_from_db()
    return payment


def test_totals_per_method_count_what_arrived_and_what_went_back(shop, client, fake):
    transfer = transfer_start(booking=video(shop, 0, "t"), now=NOW)
    mark_received(payment=transfer, actor=None, now=NOW)
    payment_record(booking=video(shop, 1, "s"), method=Method.ON_SITE, actor=None, now=NOW)
    card = card_paid(shop, client, fake, 2, "c")
    card_paid(shop, client, fake, 3, "c2")
    refund = card_refund(payment=card, amount=Decimal("10.00"), reason="Late", now=NOW)
    assert refund.state == RefundState.DONE
    walleted = video(shop, 4, "w")
    wallet_grant(customer=walleted.customer, unit=Unit.MONEY, amount=Decimal(50), note="Voucher")
    credits_spend(booking=walleted, now=NOW)

    report = payment_report(actor=admin(shop), filters=DECEMBER, now=NOW)

    lines = {line.method: line for line in report.lines}
    assert [line.method for line in report.lines] == ["card", "credits", "bank_transfer", "on_site"]
    card_line = lines[Method.CARD]
    assert (card_line.payments, card_line.received, card_line.refunds, card_line.refunded) == (
        2,
        Decimal("80.00"),
        1,
        Decimal("10.00"),
    )
    assert card_line.net == Decimal("70.00") and card_line.currency == EUR
    assert (lines[Method.BANK_TRANSFER].payments, lines[Method.BANK_TRANSFER].received) == (
        1,
        Decimal("40.00"),
    )
    assert (lines[Method.ON_SITE].payments, lines[Method.CREDITS].received) == (1, Decimal(40))
    [total] = report.totals
    assert (total.payments, total.received, total.refunds, total.refunded) == (
        5,
        Decimal("200.00"),
        1,
        Decimal("10.00"),
    )
    # What is left of the voucher is a balance.
    [left] = report.wallets
    assert (left.customer, left.unit, left.balance) == ("Test Customer w", Unit.MONEY, Decimal(10))
    assert report.wallet_totals == {Unit.MONEY: Decimal("10.00")}


def test_the_period_is_the_companys_days(shop):
    late = transfer_start(booking=video(shop, 0, "late"), now=NOW)
    # 23:30 UTC on 30 November is already 1 December in Berlin.
    mark_received(payment=late, actor=None, now=datetime(2026, 11, 30, 23, 30, tzinfo=UTC))
    one_day = PaymentFilters(date_from=date(2026, 12, 1), date_to=date(2026, 12, 1))
    november = PaymentFilters(date_from=date(2026, 11, 1), date_to=date(2026, 11, 30))
    assert [
        line.payments for line in payment_report(actor=admin(shop), filters=one_day, now=NOW).lines
    ] == [1]
    assert payment_report(actor=admin(shop), filters=november, now=NOW).lines == []


def test_awaited_transfers_are_listed_oldest_due_first_the_overdue_flagged(shop):
    overdue = transfer_start(booking=video(shop, 0, "o"), now=NOW - timedelta(days=5))
    waiting = transfer_start(booking=video(shop, 1, "p"), now=NOW)
    received = transfer_start(booking=video(shop, 2, "r"), now=NOW)
    mark_received(payment=received, actor=None, now=NOW)

    report = payment_report(actor=admin(shop), filters=DECEMBER, now=NOW)

    assert [(r.payment.pk, r.overdue, r.customer) for r in report.outstanding] == [
        (overdue.pk, True, "Test Customer o"),
        (waiting.pk, False, "Test Customer p"),
    ]
    # The same rule as the task that tells staff.
    assert [p.pk for p in overdue_transfers(shop.company, NOW.date())] == [overdue.pk]
    [total] = report.outstanding_total
    assert (total.payments, total.received, total.currency) == (2, Decimal("80.00"), EUR)


def test_passes_in_use_and_credit_balances(shop):
    product = pass_product_create(
        company=shop.company,
        fields=PassProductFields(
            name="5 calls", entries=5, valid_days=30, price=Decimal(150), services=(shop.video.pk,)
        ),
    )
    booking = video(shop, 0, "pass")
    bought = pass_purchase(
        customer=booking.customer, product=product, method=Method.BANK_TRANSFER, now=NOW
    )
    mark_received(payment=Payment.objects.get(customer_pass=bought), actor=None, now=NOW)
    pass_spend(booking=booking, now=NOW)
    # Bought, never paid: not a balance.
    pass_purchase(
        customer=customer_of(shop.company, "x"), product=product, method=Method.CARD, now=NOW
    )
    credits = customer_of(shop.company, "cc")
    wallet_grant(customer=credits, unit=Unit.CREDIT, amount=Decimal(3), note="Trial")

    report = payment_report(actor=admin(shop), filters=DECEMBER, now=NOW)

    [held] = report.passes
    assert (held.customer, held.product, held.entries_left, held.entries_total) == (
        "Test Customer pass",
        "5 calls",
        4,
        5,
    )
    assert held.expires_at == NOW + timedelta(days=30) and report.pass_entries == 4
    assert [(w.customer, w.unit, w.balance) for w in report.wallets] == [
        ("Pia Payer cc", Unit.CREDIT, Decimal(3))
    ]
    # The purchase (150.00 by transfer) is counted, the entry spent on the booking as 0.
    lines = {line.method: line for line in report.lines}
    assert (lines[Method.BANK_TRANSFER].received, lines[Method.PASS].payments) == (
        Decimal("150.00"),
        1,
    )
    assert lines[Method.PASS].received == 0
    # An expired pass is no longer a balance.
    later = payment_report(actor=admin(shop), filters=DECEMBER, now=NOW + timedelta(days=31))
    assert later.passes == [] and later.pass_entries == 0


def test_the_csv_has_one_row_per_payment_and_never_runs_a_formula(shop):
    evil = bookings.booking_create(
        company=shop.company,
        service=shop.video,
        start=NEXT_WEEK,
        details=bookings.CustomerDetails('=HYPERLINK("http://x")', "@sum", "evil@example.com"),
        now=NOW,
    ).booking
    transfer = transfer_start(booking=evil, now=NOW)
    mark_received(payment=transfer, actor=None, now=NOW)
    payment_record(booking=video(shop, 1, "s"), method=Method.ON_SITE, actor=None, now=NOW)
    transfer_start(booking=video(shop, 2, "pending"), now=NOW)  # not paid: not a row

    rows = payment_rows(actor=admin(shop), filters=DECEMBER)
    table = list(csv.reader(io.StringIO(payment_report_csv(rows, actor=admin(shop)))))

    assert table[0] == [
        "date",
        "booking",
        "customer",
        "service",
        "method",
        "state",
        "amount",
        "currency",
        "refunded",
        "reference",
    ]
    assert table[1] == [
        "2026-12-01",
        str(evil.pk),
        '\'=HYPERLINK("http://x") @sum',
        "Video call",
        "Bank transfer",
        "Paid",
        "40.00",
        "EUR",
        "0.00",
        transfer.reference,
    ]
    assert table[2][4:] == ["Pay on site", "Paid", "40.00", "EUR", "0.00", ""]
    assert len(table) == 3


def test_a_junior_is_refused(shop):
    junior = admin(shop, Role.JUNIOR)
    with pytest.raises(Forbidden):
        payment_report(actor=junior, filters=DECEMBER, now=NOW)
    with pytest.raises(Forbidden):
        payment_rows(actor=junior, filters=DECEMBER)
    senior = admin(shop, Role.SENIOR)
    assert payment_report(actor=senior, filters=DECEMBER, now=NOW).lines == []


def test_dates_outside_the_calendar_are_refused():
    with pytest.raises(ValidationFailed) as caught:
        PaymentFilters(date_from=date(1, 1, 1), date_to=date(2026, 12, 1))
    assert set(caught.value.fields) == {"date_from"}


def test_zero_reads_as_an_amount_not_free():
    assert amount_text(Decimal(0), EUR) == "€0.00"
    assert amount_text(Decimal("12.5"), EUR) == "€12.50"


def test_the_query_count_does_not_grow_with_rows(shop):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            report = payment_report(actor=admin(shop), filters=DECEMBER, now=NOW)
            rows = payment_rows(actor=admin(shop), filters=DECEMBER)
            payment_report_csv(rows, actor=admin(shop))
            assert report.outstanding is not None
        return len(queries)

    slots = itertools.count()

    def paid_and_awaited(n: int) -> None:
        for _ in range(n):
            i = next(slots)
            transfer = transfer_start(booking=video(shop, i, f"r{i}"), now=NOW)
            mark_received(payment=transfer, actor=None, now=NOW)
            k = next(slots)
            transfer_start(booking=video(shop, k, f"a{k}"), now=NOW)
            wallet_grant(
                customer=customer_of(shop.company, i), unit=Unit.CREDIT, amount=Decimal(1), note="x"
            )

    paid_and_awaited(1)
    few = count()
    paid_and_awaited(19)
    assert Payment.objects.filter(paid_at__isnull=False).count() == 20
    assert count() == few
