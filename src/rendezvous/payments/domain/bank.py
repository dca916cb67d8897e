"""Bank transfers: the customer is given the company's account, the amount, a reference
and a due date; staff mark the money received, one payment at a time or by importing
the bank's statement.

| function | writes | refuses |
| --- | --- | --- |
| transfer_start | one pending bank-transfer Payment for the booking (the one already there on a second call) | transfers off or without an account, a booking cancelled or with nothing to pay, another method's payment under way (409) |
| transfer_start_for_pass | the same for a pass bought by transfer | the same, for a pass already active |
| payment_instructions | nothing: what the customer needs to make the transfer | - |
| mark_received | the payment paid (charges.payment_mark_paid) | a payment that is not a transfer, or not pending (409) |
| statement_parse | nothing: the rows of a bank statement (CSV), unreadable ones with their line | a file without the four columns, or too long (400) |
| statement_match | each row that names a pending transfer's reference with its amount: paid | - (what it could not match is listed with the reason) |
| overdue_transfers | nothing: the pending transfers whose due date has passed | - |

A reference is 8 characters of an alphabet without 0/O and 1/I (people copy it from an
email onto a bank form) and a check character (Luhn mod 32), so a typo is caught and a
reference read out of a statement's free text is rarely a false one. About 10^12 of
them: a random one is hard to guess and collides within a company only by chance,
which the unique constraint catches and a new draw fixes.
"""

from __future__ import annotations

import csv
import enum
import io
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TypedDict

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from rendezvous.bookings.domain.locking import booking_transaction
from rendezvous.bookings.models import Booking, PaymentStatus
from rendezvous.companies.models import Company
from rendezvous.core.audit import logged
from rendezvous.core.errors import DomainError, InvalidState, ValidationFailed
from rendezvous.core.formats import money
from rendezvous.core.text import has_control_chars

from ..models import CustomerPass, Method, Payment, PaymentState
from .charges import PAYMENT, booking_amount, payment_mark_paid, payment_release, shown_amount
from .money import quantize
from .settings import payment_settings_or_defaults, transfer_account_complete

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
BODY_LENGTH = 8
REFERENCE_LENGTH = BODY_LENGTH + 1
REFERENCE_TRIES = 10
STATEMENT_MAX_CHARS = 2_000_000
STATEMENT_MAX_ROWS = 10_000
COLUMNS = ("date", "amount", "reference", "name")
DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%d-%m-%Y", "%Y/%m/%d", "%d.%m.%y")
NAME_MAX = 100
AMOUNT = re.compile(
    r"(?P<sign>[-+]?)"
    r"(?P<whole>\d{1,3}(?P<sep>[.,])\d{3}(?:(?P=sep)\d{3})*|\d+)"
    r"(?:(?P<mark>[.,])(?P<fraction>\d+))?"
    r"(?P<trail>-?)"
)


# -- references ---------------------------------------------------------------------


def _check_sum(code: str, *, with_check: bool) -> int:
    """Luhn mod N: every second character from the right doubled, digits summed in base N."""
    n = len(ALPHABET)
    total = 0
    double = not with_check
    for ch in reversed(code):
        addend = ALPHABET.index(ch) * (2 if double else 1)
        total += addend // n + addend % n
        double = not double
    return total % n


def check_character(body: str) -> str:
    return ALPHABET[(len(ALPHABET) - _check_sum(body, with_check=False)) % len(ALPHABET)]


def reference_valid(code: str) -> bool:
    """Whether `code` (compact, upper case) is a reference with the right check character."""
    return (
        len(code) == REFERENCE_LENGTH
        and all(ch in ALPHABET for ch in code)
        and _check_sum(code, with_check=True) == 0
    )


def new_reference() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return body + check_character(body)


def compact(text: str) -> str:
    """A reference as typed or printed ("abcd efgh-k") as it is stored ("ABCDEFGHK")."""
    return re.sub(r"[^A-Z0-9]", "", text.upper())


def _references_in(text: str) -> set[str]:
    """Every well-formed reference inside a statement's free text, however spaced."""
    letters = compact(text)
    return {
        letters[i : i + REFERENCE_LENGTH]
        for i in range(len(letters) - REFERENCE_LENGTH + 1)
        if reference_valid(letters[i : i + REFERENCE_LENGTH])
    }


# -- starting a transfer ------------------------------------------------------------


def _transfer_settings_check(company: Company) -> int:
    """The company's due days; refused when it does not take transfers."""
    settings = payment_settings_or_defaults(company)
    if not settings.bank_transfer or not transfer_account_complete(settings):
        raise InvalidState(_("This business does not take bank transfers."))
    return settings.transfer_due_days


def _create(
    *,
    company: Company,
    amount: Decimal,
    currency: str,
    due: date,
    booking: Booking | None = None,
    customer_pass: CustomerPass | None = None,
) -> Payment:
    """The pending transfer with a reference no other payment of the company has."""
    for _attempt in range(REFERENCE_TRIES):
        reference = new_reference()
        if Payment.objects.filter(company=company, reference=reference).exists():
            continue
        try:
            # A savepoint: a reference taken in between fails only this insert.
            with transaction.atomic():
                payment = Payment.objects.create(
                    company=company,
                    booking=booking,
                    customer_pass=customer_pass,
                    method=Method.BANK_TRANSFER,
                    amount=amount,
                    currency=currency,
                    reference=reference,
                    due=due,
                )
        except IntegrityError:
            if Payment.objects.filter(company=company, reference=reference).exists():
                continue
            raise
        logged(
            payment,
            PAYMENT,
            "created",
            {
                "method": (None, payment.method),
                "amount": (None, amount),
                "currency": (None, currency),
                "reference": (None, reference),
                "due": (None, due),
            },
        )
        return payment
    raise RuntimeError(f"no free payment reference after {REFERENCE_TRIES} draws")


def transfer_start(*, booking: Booking, now: datetime) -> Payment:
    """The bank transfer that pays `booking`: the pending one it has, or a new one.

    Side effects, in order:
    1. validate: the company takes transfers and has an account to send them to
    2. lock: the booking row
    3. re-check: the booking is active and waits for its payment, costs something, and
       no other method's payment of it is under way
    4. write: a pending Payment of the booking's amount and currency, with a new
       reference and its due date: today (in the company's zone) plus its due days, or
       the booking's day when that comes first; an audit entry on the payment
    Raises InvalidState; nothing is written then.
    """
    company = booking.company
    due_days = _transfer_settings_check(company)
    amount, currency = booking_amount(booking)
    with booking_transaction():
        locked = Booking.objects.select_for_update(of=("self",)).get(pk=booking.pk)
        if not locked.is_active:
            raise InvalidState(_("This booking was cancelled: there is nothing to pay."))
        under_way = Payment.objects.filter(booking=locked, state=PaymentState.PENDING).first()
        if under_way is not None:
            if under_way.method == Method.BANK_TRANSFER:
                return under_way
            raise InvalidState(
                _("Another payment of this booking is under way: finish or cancel it first.")
            )
        if locked.payment_status != PaymentStatus.PENDING or amount <= 0:
            raise InvalidState(_("This booking has nothing left to pay."))
        zone = company.zone
        today = now.astimezone(zone).date()
        # Money that arrives after the appointment is of no use to it.
        due = min(
            today + timedelta(days=due_days), max(today, locked.start.astimezone(zone).date())
        )
        return _create(company=company, booking=locked, amount=amount, currency=currency, due=due)


def transfer_start_for_pass(*, customer_pass: CustomerPass, now: datetime) -> Payment:
    """The bank transfer that pays a pass bought and not yet active (see transfer_start).

    Side effects, in order: validate (transfers taken); lock the pass row; re-check (not
    active, costs something; a pending transfer of it is returned as it is); write the
    pending Payment of the pass's price in the company's currency, due in its due days.
    Raises InvalidState; nothing is written then.
    """
    company = customer_pass.company
    due_days = _transfer_settings_check(company)
    currency = company.currency.upper()
    with transaction.atomic():
        locked = (
            CustomerPass.objects.select_for_update(of=("self",))
            .select_related("product")
            .get(pk=customer_pass.pk)
        )
        if locked.active:
            raise InvalidState(_("This pass is paid already."))
        under_way = Payment.objects.filter(customer_pass=locked, state=PaymentState.PENDING).first()
        if under_way is not None:
            if under_way.method == Method.BANK_TRANSFER:
                return under_way
            raise InvalidState(
                _("Another payment of this pass is under way: finish or cancel it first.")
            )
        amount = quantize(locked.product.price, currency)
        if amount <= 0:
            raise InvalidState(_("This pass costs nothing: there is nothing to transfer."))
        due = now.astimezone(company.zone).date() + timedelta(days=due_days)
        return _create(
            company=company, customer_pass=locked, amount=amount, currency=currency, due=due
        )


class Instructions(TypedDict):
    """What a customer needs to make the transfer, for emails and pages."""

    holder: str
    iban: str  # in groups of four, as printed on a bank card
    bic: str
    amount: Decimal
    amount_text: str  # in the active language, with the currency
    currency: str
    reference: str
    due: date | None


def payment_instructions(payment: Payment) -> Instructions:
    """The company's account as it stands now (where the money has to go), the payment's
    amount, reference and due date."""
    if payment.method != Method.BANK_TRANSFER:
        raise ValueError("only a bank transfer has payment instructions")
    settings = payment_settings_or_defaults(payment.company)
    try:
        iban = str(IBAN(settings.iban).formatted)
    except SchwiftyException:
        iban = settings.iban
    return Instructions(
        holder=settings.account_holder,
        iban=iban,
        bic=settings.bic,
        amount=payment.amount,
        amount_text=money(payment.amount, payment.currency),
        currency=payment.currency,
        reference=payment.reference,
        due=payment.due,
    )


def mark_received(*, payment: Payment, actor: AbstractBaseUser | None, now: datetime) -> Payment:
    """Staff saw the transfer arrive: the payment is paid (charges.payment_mark_paid,
    whose side effects follow: the booking paid and its email, or the pass active).
    Raises InvalidState for a payment that is not a transfer or not pending."""
    if payment.method != Method.BANK_TRANSFER:
        raise InvalidState(_("Only a bank transfer is marked received here."))
    return payment_mark_paid(payment=payment, actor=actor, now=now)


def overdue_transfers(company: Company, today: date) -> list[Payment]:
    """The company's transfers still pending after their due date, oldest due first."""
    return list(
        Payment.objects.filter(
            company=company,
            method=Method.BANK_TRANSFER,
            state=PaymentState.PENDING,
            due__lt=today,
        )
        .select_related("booking", "customer_pass")
        .order_by("due", "id")
    )


def overdue_transfers_cancel(*, now: datetime) -> int:
    """The sweep (hourly), for the companies that cancel bookings whose transfer is
    overdue (PaymentSettings.cancel_unpaid_transfers): every pending transfer for a
    booking, due before today in the company's zone, is failed and its booking
    cancelled by the system (charges.payment_release: the time is free again and the
    customer gets the cancellation email). A pass purchase waiting for its transfer
    just stays inactive. Returns how many were released."""
    released = 0
    waiting = (
        Payment.objects.filter(
            method=Method.BANK_TRANSFER,
            state=PaymentState.PENDING,
            booking__isnull=False,
            company__payment_settings__cancel_unpaid_transfers=True,
        )
        .select_related("company")
        .order_by("due", "id")
    )
    for payment in waiting:
        if payment.due is None or payment.due >= now.astimezone(payment.company.zone).date():
            continue
        if payment_release(
            payment,
            reason=_("The bank transfer did not arrive by its due date."),
            now=now,
            notify_customer=True,
        ):
            released += 1
    return released


# -- bank statements ----------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class StatementRow:
    """One line of a statement; `error` says why it could not be read (then the
    fields it could not read are None)."""

    line: int
    date: date | None
    amount: Decimal | None
    reference: str
    name: str
    error: str = ""


def _amount(text: str) -> Decimal | None:
    """ "1.234,50", "1,234.50", "-12,5", "12.50-", "12.50 EUR", "€ 12.50" -> a Decimal;
    None if it is not one. A separator followed by groups of three digits is a thousands
    separator; the other one (or a lone one with fewer or more digits) the decimal mark."""
    cleaned = re.sub(r"[\s\u00a0\u202f'’]", "", text)
    cleaned = re.sub(r"^[A-Za-z€$£]+|[A-Za-z€$£]+$", "", cleaned)
    found = AMOUNT.fullmatch(cleaned)
    if found is None or (found["sign"] and found["trail"]):
        return None
    if found["sep"] and found["sep"] == found["mark"]:
        return None
    whole = found["whole"].replace(found["sep"] or " ", "")
    value = Decimal(f"{whole}.{found['fraction']}" if found["fraction"] else whole)
    return -value if "-" in (found["sign"], found["trail"]) else value


def _date(text: str) -> date | None:
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
    return None


def _plain_text(text: str, limit: int) -> str:
    """A statement's text as a note may hold it: one line, no control characters."""
    kept = "".join(ch if not has_control_chars(ch) else " " for ch in text)
    return " ".join(kept.split())[:limit]


def statement_parse(text: str) -> list[StatementRow]:
    """The rows of a bank statement exported as CSV: a header naming the columns date,
    amount, reference and name (in any order and case, other columns ignored), then one
    row a line; `,`, `;` or tabs between the fields; amounts with a decimal comma or
    point. A row that cannot be read is returned with its line number and the reason,
    never raised. Raises ValidationFailed (field `statement`) for a file too long or
    without the four columns."""
    if len(text) > STATEMENT_MAX_CHARS:
        raise ValidationFailed(
            fields={"statement": [_("This file is too long: import at most 10,000 rows at once.")]}
        )
    text = text.lstrip("\ufeff")
    header_line = next((line for line in text.splitlines() if line.strip()), None)
    if header_line is None:
        raise ValidationFailed(fields={"statement": [_("This file is empty.")]})
    delimiter = max(";,\t", key=header_line.count)
    # The whole text, not its lines: a quoted field may hold a line break.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] = []
    for values in reader:
        if any(v.strip() for v in values):
            header = [name.strip().lower() for name in values]
            break
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        raise ValidationFailed(
            fields={
                "statement": [
                    _(
                        "The first line must name the columns date, amount, reference and name; missing: %(names)s."
                    )
                    % {"names": ", ".join(missing)}
                ]
            }
        )
    at = {name: header.index(name) for name in COLUMNS}
    rows: list[StatementRow] = []
    ended = reader.line_num
    for values in reader:
        # Where the row starts (line_num is where it ends).
        line, ended = ended + 1, reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(rows) >= STATEMENT_MAX_ROWS:
            raise ValidationFailed(
                fields={
                    "statement": [_("This file is too long: import at most 10,000 rows at once.")]
                }
            )
        if len(values) <= max(at.values()):
            rows.append(
                StatementRow(
                    line=line,
                    date=None,
                    amount=None,
                    reference=_plain_text(delimiter.join(values), NAME_MAX),
                    name="",
                    error=_("This line has too few fields: %(got)d of %(want)d.")
                    % {"got": len(values), "want": len(header)},
                )
            )
            continue
        day = _date(values[at["date"]])
        amount = _amount(values[at["amount"]])
        problems = []
        if day is None:
            problems.append(_("The date is not one, like 2026-12-01 or 01.12.2026."))
        if amount is None:
            problems.append(_("The amount is not one, like 12.50 or 12,50."))
        rows.append(
            StatementRow(
                line=line,
                date=day,
                amount=amount,
                reference=values[at["reference"]].strip(),
                name=_plain_text(values[at["name"]], NAME_MAX),
                error=" ".join(problems),
            )
        )
    return rows


class Reason(enum.StrEnum):
    UNREADABLE = "unreadable"
    NOT_RECEIVED = "not_received"
    NO_REFERENCE = "no_reference"
    AMOUNT_DIFFERS = "amount_differs"
    ALREADY_PAID = "already_paid"
    CANCELLED = "cancelled"


@dataclass(frozen=True, kw_only=True)
class Matched:
    row: StatementRow
    payment: Payment


@dataclass(frozen=True, kw_only=True)
class Unmatched:
    row: StatementRow
    reason: Reason
    message: str
    payment: Payment | None = None


@dataclass(kw_only=True)
class MatchResult:
    matched: list[Matched] = field(default_factory=list)
    unmatched: list[Unmatched] = field(default_factory=list)


def _unmatched(row: StatementRow, payment: Payment | None) -> Unmatched | None:
    """Why `row` does not pay `payment`, None when it does."""
    if row.error or row.amount is None:
        return Unmatched(row=row, reason=Reason.UNREADABLE, message=row.error)
    if row.amount <= 0:
        return Unmatched(
            row=row,
            reason=Reason.NOT_RECEIVED,
            message=_("Money paid out, not received: nothing to match."),
        )
    if payment is None:
        return Unmatched(
            row=row,
            reason=Reason.NO_REFERENCE,
            message=_("No bank transfer has a reference in this row's text."),
        )
    if payment.state == PaymentState.FAILED:
        return Unmatched(
            row=row,
            reason=Reason.CANCELLED,
            message=_("The payment %(reference)s was cancelled: give the money back or book again.")
            % {"reference": payment.reference},
            payment=payment,
        )
    if payment.state != PaymentState.PENDING:
        return Unmatched(
            row=row,
            reason=Reason.ALREADY_PAID,
            message=_("The payment %(reference)s was already received.")
            % {"reference": payment.reference},
            payment=payment,
        )
    if row.amount != payment.amount:
        return Unmatched(
            row=row,
            reason=Reason.AMOUNT_DIFFERS,
            message=_("%(due)s is due for %(reference)s; this row has %(got)s.")
            % {
                "due": money(payment.amount, payment.currency),
                "reference": payment.reference,
                "got": shown_amount(row.amount, payment.currency),
            },
            payment=payment,
        )
    return None


def statement_match(
    *,
    company: Company,
    rows: list[StatementRow],
    now: datetime,
    actor: AbstractBaseUser | None = None,
) -> MatchResult:
    """Mark paid each pending bank transfer of `company` that a row pays: the row's
    reference text holds the payment's reference (in any case and spacing) and its
    amount is the payment's. Each match is its own transaction (payment_mark_paid: the
    booking paid and its email, or the pass active), so a row that fails leaves the
    others matched. The rest are listed with the reason: unreadable, money paid out,
    no such reference, the amount differs, already paid (also a second row for the
    same payment), or cancelled.
    """
    found = [_references_in(row.reference) for row in rows]
    wanted: set[str] = set().union(*found)
    by_reference = {
        p.reference: p
        for p in Payment.objects.filter(
            company=company, method=Method.BANK_TRANSFER, reference__in=wanted
        )
    }
    result = MatchResult()
    for row, references in zip(rows, found, strict=True):
        candidates = [by_reference[r] for r in sorted(references) if r in by_reference]
        # A row naming several of ours pays the one it pays in full, if any.
        payment = next(
            (p for p in candidates if p.state == PaymentState.PENDING and p.amount == row.amount),
            candidates[0] if candidates else None,
        )
        problem = _unmatched(row, payment)
        if problem is not None:
            result.unmatched.append(problem)
            continue
        assert payment is not None
        day = row.date.isoformat() if row.date else ""
        note = (
            _("Bank statement of %(date)s, from %(name)s") % {"date": day, "name": row.name}
            if row.name
            else _("Bank statement of %(date)s") % {"date": day}
        )
        try:
            paid = payment_mark_paid(
                payment=payment, amount=row.amount, actor=actor, note=note[:500], now=now
            )
        except DomainError as refused:
            payment.refresh_from_db()
            result.unmatched.append(
                _unmatched(row, payment)
                or Unmatched(
                    row=row, reason=Reason.ALREADY_PAID, message=refused.reason, payment=payment
                )
            )
            continue
        by_reference[paid.reference] = paid
        result.matched.append(Matched(row=row, payment=paid))
    return result
