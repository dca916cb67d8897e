"""The "Payments" report of the back office (issue #15, item 8): what came in and went
back in a period, per method; the bank transfers still awaited; the passes and
credits customers hold. And the payments of the period as CSV.

| part | rows |
| --- | --- |
| payments | every payment whose money arrived in the period (`paid_at`, whatever its state since: a refund later does not move it out), per method and currency: count and total |
| refunds | every refund done (`done_at`) in the period, per method and currency of its payment |
| outstanding | every bank transfer still pending, oldest due first; overdue when its due date has passed (the rule of bank.overdue_transfers) |
| passes | the active passes with entries left and not expired, soonest expiry first |
| wallets | each customer's non-zero balance per unit (money in the company's currency, class credits) |

The period is the company's days (midnights in its zone). Admins and seniors only
(companies.access.access_record_payments: those who answer for the till). A constant
number of queries, whatever the number of rows. Pass entries and class credits spent
on a booking are payments of 0 (the money came in when the pass or credits were
bought): they are counted, never summed twice. CSV cells go through core.text.safe_cell.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from babel.numbers import format_currency
from django.db.models import Count, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rendezvous.bookings.domain.customers import display_name
from rendezvous.companies.access import Actor, access_record_payments
from rendezvous.core.calendar import check_in_calendar
from rendezvous.core.formats import babel_locale, money
from rendezvous.core.text import safe_cell

from ..models import (
    CustomerPass,
    Method,
    Payment,
    PaymentState,
    Refund,
    RefundState,
    Unit,
    WalletEntry,
)
from .money import quantize

MAX_DAYS = 366

HEADERS = (
    _("date"),
    _("booking"),
    _("customer"),
    _("service"),
    _("method"),
    _("state"),
    _("amount"),
    _("currency"),
    _("refunded"),
    _("reference"),
)


@dataclass(frozen=True)
class PaymentFilters:
    date_from: date
    date_to: date

    def __post_init__(self) -> None:
        # As bookings.domain.report's: midnights near year 1 or 9999 overflow.
        check_in_calendar(date_from=self.date_from, date_to=self.date_to)


@dataclass(frozen=True)
class MethodLine:
    """One method's money in one currency; `method` empty on a total line."""

    method: str
    currency: str
    payments: int = 0
    received: Decimal = Decimal(0)
    refunds: int = 0
    refunded: Decimal = Decimal(0)

    @property
    def net(self) -> Decimal:
        return self.received - self.refunded

    @property
    def label(self) -> str:
        return str(Method(self.method).label) if self.method in Method.values else self.method


@dataclass(frozen=True)
class Outstanding:
    payment: Payment
    customer: str
    overdue: bool


@dataclass(frozen=True)
class PassBalance:
    customer: str
    product: str
    entries_left: int
    entries_total: int
    expires_at: datetime | None


@dataclass(frozen=True)
class WalletBalance:
    customer_id: int
    customer: str
    unit: str
    balance: Decimal

    @property
    def unit_label(self) -> str:
        return str(Unit(self.unit).label)


@dataclass(frozen=True)
class PaymentReport:
    lines: list[MethodLine]
    totals: list[MethodLine]  # one per currency
    outstanding: list[Outstanding]
    outstanding_total: list[MethodLine]  # per currency: count in `payments`, sum in `received`
    passes: list[PassBalance]
    pass_entries: int  # entries left on all of them
    wallets: list[WalletBalance]
    wallet_totals: dict[str, Decimal]  # per unit


def amount_text(amount: Decimal, currency: str) -> str:
    """core.formats.money, except that zero reads as an amount: a total of nothing is
    not "Free"."""
    if not amount:
        return str(format_currency(Decimal(0), currency, locale=babel_locale()))
    return money(amount, currency)


def _bounds(actor: Actor, filters: PaymentFilters) -> tuple[datetime, datetime]:
    zone = actor.company.zone
    return (
        datetime.combine(filters.date_from, time(0), zone),
        datetime.combine(filters.date_to + timedelta(days=1), time(0), zone),
    )


def _paid_in(actor: Actor, filters: PaymentFilters) -> QuerySet[Payment]:
    start, end = _bounds(actor, filters)
    return Payment.objects.filter(company=actor.company, paid_at__gte=start, paid_at__lt=end)


def _customer(payment: Payment) -> str:
    if payment.booking is not None:
        return display_name(payment.booking.first_name, payment.booking.last_name)
    if payment.customer_pass is not None:
        customer = payment.customer_pass.customer
        return display_name(customer.first_name, customer.last_name)
    return ""


def _order(method: str) -> int:
    return Method.values.index(method) if method in Method.values else len(Method.values)


def payment_report(
    *, actor: Actor, filters: PaymentFilters, now: datetime, limit: int | None = None
) -> PaymentReport:
    """The report for the company of `actor` (at most `limit` rows in each list; the
    totals count them all). Raises Forbidden for a junior."""
    access_record_payments(actor)
    company = actor.company
    zone = company.zone
    start, end = _bounds(actor, filters)
    lines: dict[tuple[str, str], MethodLine] = {}
    received = (
        _paid_in(actor, filters)
        .order_by()
        .values_list("method", "currency")
        .annotate(n=Count("id"), total=Sum("amount"))
    )
    for method, currency, n, total in received:
        lines[method, currency] = MethodLine(
            method, currency, payments=n, received=quantize(total or Decimal(0), currency)
        )
    given_back = (
        Refund.objects.filter(
            payment__company=company, state=RefundState.DONE, done_at__gte=start, done_at__lt=end
        )
        .order_by()
        .values_list("payment__method", "payment__currency")
        .annotate(n=Count("id"), total=Sum("amount"))
    )
    for method, currency, n, total in given_back:
        line = lines.get((method, currency), MethodLine(method, currency))
        lines[method, currency] = MethodLine(
            method,
            currency,
            payments=line.payments,
            received=line.received,
            refunds=n,
            refunded=quantize(total or Decimal(0), currency),
        )
    ordered = sorted(
        lines.values(), key=lambda m: (m.currency != company.currency, m.currency, _order(m.method))
    )
    totals: dict[str, MethodLine] = {}
    for line in ordered:
        was = totals.get(line.currency, MethodLine("", line.currency))
        totals[line.currency] = MethodLine(
            "",
            line.currency,
            payments=was.payments + line.payments,
            received=was.received + line.received,
            refunds=was.refunds + line.refunds,
            refunded=was.refunded + line.refunded,
        )

    today = timezone.localdate(now, zone)
    pending = Payment.objects.filter(
        company=company, method=Method.BANK_TRANSFER, state=PaymentState.PENDING
    )
    awaited = pending.select_related("booking", "customer_pass__customer").order_by("due", "id")
    outstanding = [
        Outstanding(p, _customer(p), p.due is not None and p.due < today)
        for p in (awaited if limit is None else awaited[:limit])
    ]
    outstanding_total = [
        MethodLine(Method.BANK_TRANSFER, currency, payments=n, received=quantize(total, currency))
        for currency, n, total in pending.order_by("currency")
        .values_list("currency")
        .annotate(n=Count("id"), total=Sum("amount"))
    ]

    usable = CustomerPass.objects.filter(
        company=company, active=True, entries_left__gt=0, expires_at__gt=now
    )
    held = usable.select_related("customer", "product").order_by("expires_at", "id")
    passes = [
        PassBalance(
            customer=display_name(p.customer.first_name, p.customer.last_name),
            product=p.product.text_in("name", company=company),
            entries_left=p.entries_left,
            entries_total=p.entries_total,
            expires_at=p.expires_at,
        )
        for p in (held if limit is None else held[:limit])
    ]
    pass_entries = usable.aggregate(n=Sum("entries_left"))["n"] or 0

    entries = WalletEntry.objects.filter(wallet__company=company)
    balances = (
        entries.order_by()
        .values_list(
            "wallet__customer_id",
            "wallet__customer__first_name",
            "wallet__customer__last_name",
            "unit",
        )
        .annotate(balance=Sum("amount"))
        .exclude(balance=0)
        .order_by(
            "wallet__customer__last_name",
            "wallet__customer__first_name",
            "wallet__customer_id",
            "unit",
        )
    )
    wallets = [
        WalletBalance(pk, display_name(first, last), unit, _exact(balance, unit, company.currency))
        for pk, first, last, unit, balance in (balances if limit is None else balances[:limit])
    ]
    wallet_totals = {
        unit: _exact(total or Decimal(0), unit, company.currency)
        for unit, total in entries.order_by("unit").values_list("unit").annotate(t=Sum("amount"))
    }
    return PaymentReport(
        lines=ordered,
        totals=list(totals.values()),
        outstanding=outstanding,
        outstanding_total=outstanding_total,
        passes=passes,
        pass_entries=pass_entries,
        wallets=wallets,
        wallet_totals={u: t for u, t in wallet_totals.items() if t},
    )


def _exact(amount: Decimal, unit: str, currency: str) -> Decimal:
    # As the wallet keeps it (payments.domain.wallet): money in minor units, credits whole.
    return amount.quantize(Decimal(1)) if unit == Unit.CREDIT else quantize(amount, currency)


def payment_rows(
    *, actor: Actor, filters: PaymentFilters, limit: int | None = None
) -> list[Payment]:
    """The payments whose money arrived in the period, oldest first, with what the CSV
    shows of them loaded. Raises Forbidden for a junior."""
    access_record_payments(actor)
    rows = (
        _paid_in(actor, filters)
        .select_related("booking__service", "customer_pass__customer", "customer_pass__product")
        .order_by("paid_at", "id")
    )
    return list(rows if limit is None else rows[:limit])


def payment_report_csv(rows: Iterable[Payment], *, actor: Actor) -> str:
    company = actor.company
    zone = company.zone
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(label) for label in HEADERS])
    for p in rows:
        if p.booking is not None:
            item = p.booking.service.text_in("name", company=company)
        elif p.customer_pass is not None:
            item = p.customer_pass.product.text_in("name", company=company)
        else:
            item = ""
        writer.writerow(
            safe_cell(value)
            for value in (
                p.paid_at.astimezone(zone).date().isoformat() if p.paid_at else "",
                str(p.booking_id) if p.booking_id else "",
                _customer(p),
                item,
                p.get_method_display(),
                p.get_state_display(),
                quantize(p.amount, p.currency),
                p.currency,
                quantize(p.refunded, p.currency),
                p.reference,
            )
        )
    return out.getvalue()
