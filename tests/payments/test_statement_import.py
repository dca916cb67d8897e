"""Bank statements: reading the CSV a bank exports, and matching its rows to pending
transfers by reference and amount; what does not match is listed with the reason."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from rendezvous.bookings.models import Booking, PaymentStatus
from rendezvous.core.errors import ValidationFailed
from rendezvous.core.models import AuditEntry
from rendezvous.notifications.events import Event
from rendezvous.notifications.models import OutboxMessage
from rendezvous.payments.domain.bank import (
    Reason,
    StatementRow,
    _amount,
    statement_match,
    statement_parse,
    transfer_start,
)
from rendezvous.payments.domain.charges import payment_fail
from rendezvous.payments.domain.settings import PaymentSettingsFields, payment_settings_update
from rendezvous.payments.models import Payment, PaymentState
from tests.conftest import NOW, TOMORROW_10, book, snapshot

IBAN = "DE89370400440532013000"
NEXT_WEEK = TOMORROW_10 + timedelta(days=7)
LATER = NOW + timedelta(days=1)


def stored() -> tuple:
    return (
        list(Payment.objects.order_by("id").values()),
        snapshot(),
        list(Booking.objects.order_by("id").values_list("id", "payment_status")),
        OutboxMessage.objects.count(),
        AuditEntry.objects.count(),
    )


@pytest.fixture
def transfers(practice):
    """Three video calls at 40.00 EUR, each waiting for its transfer."""
    payment_settings_update(
        company=practice.company,
        fields=PaymentSettingsFields(account_holder="Practice GmbH", iban=IBAN, bank_transfer=True),
    )
    practice.video.requires_payment = True
    practice.video.price = Decimal("40.00")
    practice.video.save()
    return [
        transfer_start(booking=book(practice, NEXT_WEEK, service=practice.video).booking, now=NOW)
        for _ in range(3)
    ]


def spaced(reference: str) -> str:
    """A reference as a customer might type it into their bank's form."""
    return f"{reference[:4].lower()} {reference[4:8]}-{reference[8]}"


# -- reading ------------------------------------------------------------------------


@pytest.mark.unit
@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("40.00", "40.00"),
        ("40,00", "40.00"),
        ("1.234,50", "1234.50"),
        ("1,234.50", "1234.50"),
        ("1 234,50", "1234.50"),
        ("1'234.50", "1234.50"),
        ("-12,5", "-12.5"),
        ("12.50-", "-12.50"),
        ("12.50 EUR", "12.50"),
        ("€ 12.50", "12.50"),
        ("+7", "7"),
        ("1.234.567", "1234567"),
    ],
)
def test_amounts_are_read_with_a_decimal_comma_or_point(text, amount):
    assert _amount(text) == Decimal(amount)


@pytest.mark.unit
@pytest.mark.parametrize("text", ["", "abc", "12..5", "1e3", "NaN", "12,5,0.1.2", "--5"])
def test_what_is_not_an_amount_is_not_read_as_one(text):
    assert _amount(text) is None


@pytest.mark.unit
def test_a_semicolon_statement_with_decimal_commas_is_read_with_its_line_numbers():
    text = (
        "\ufeffBuchungstag;Name;Reference;Amount;Date\n"
        "x;Anna Berg;Invoice ABCD;40,00;01.12.2026\n"
        "\n"
        "y;Carl Dorn;EFGH;1.234,50;2026-12-02\n"
        "z;Eve;IJKL;forty;02.12.2026\n"
        "z;Fay;MNOP;12,00;yesterday\n"
        "only;three;fields\n"
    )
    # "Date", "Amount" in any case: the header is read case-insensitively.
    rows = statement_parse(text.replace("Amount", "AMOUNT"))
    assert rows[:2] == [
        StatementRow(
            line=2,
            date=date(2026, 12, 1),
            amount=Decimal("40.00"),
            reference="Invoice ABCD",
            name="Anna Berg",
        ),
        StatementRow(
            line=4,
            date=date(2026, 12, 2),
            amount=Decimal("1234.50"),
            reference="EFGH",
            name="Carl Dorn",
        ),
    ]
    assert [(r.line, r.error) for r in rows[2:]] == [
        (5, "The amount is not one, like 12.50 or 12,50."),
        (6, "The date is not one, like 2026-12-01 or 01.12.2026."),
        (7, "This line has too few fields: 3 of 5."),
    ]
    assert rows[2].amount is None and rows[3].date is None


@pytest.mark.unit
def test_a_comma_statement_with_quoted_amounts_and_blank_lines_before_the_header():
    text = '\n\ndate,amount,reference,name\n2026-12-01,"1,234.50","Ref ABC, thanks",Anna\n'
    [row] = statement_parse(text)
    assert (row.line, row.amount, row.reference, row.name, row.error) == (
        4,
        Decimal("1234.50"),
        "Ref ABC, thanks",
        "Anna",
        "",
    )


@pytest.mark.unit
def test_a_name_with_control_characters_is_kept_on_one_line():
    [row] = statement_parse('date;amount;reference;name\n2026-12-01;1;x;"Anna\nBerg\x07"\n')
    assert row.name == "Anna Berg"


@pytest.mark.unit
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "This file is empty."),
        ("\n  \n", "This file is empty."),
        (
            "date;amount;name\n2026-12-01;40,00;Anna\n",
            "The first line must name the columns date, amount, reference and name; "
            "missing: reference.",
        ),
        (
            "Datum,Betrag,Verwendungszweck\n",
            "The first line must name the columns date, amount, reference and name; "
            "missing: date, amount, reference, name.",
        ),
        ("x" * 2_000_001, "This file is too long: import at most 10,000 rows at once."),
        (
            "date;amount;reference;name\n" + "2026-12-01;1;x;y\n" * 10_001,
            "This file is too long: import at most 10,000 rows at once.",
        ),
    ],
)
def test_a_file_that_is_not_a_statement_is_refused(text, message):
    with pytest.raises(ValidationFailed) as refused:
        statement_parse(text)
    assert refused.value.fields == {"statement": [message]}


# -- matching -----------------------------------------------------------------------


@pytest.mark.integration
def test_an_import_matches_two_of_three_rows_and_lists_the_third_with_its_reason(transfers):
    first, second, third = transfers
    text = (
        "Date;Amount;Reference;Name\n"
        f"01.12.2026;40,00;Invoice {spaced(first.reference)} thank you;Anna Berg\n"
        f"01.12.2026;40,00;{second.reference};Carl Dorn\n"
        f"02.12.2026;35,00;{third.reference};Eve Fox\n"
    )
    result = statement_match(company=first.company, rows=statement_parse(text), now=LATER)
    assert [(m.row.line, m.payment.pk) for m in result.matched] == [(2, first.pk), (3, second.pk)]
    [unmatched] = result.unmatched
    assert (unmatched.row.line, unmatched.reason, unmatched.payment.pk) == (
        4,
        Reason.AMOUNT_DIFFERS,
        third.pk,
    )
    assert unmatched.message == f"€40.00 is due for {third.reference}; this row has €35.00."
    states = dict(Payment.objects.values_list("pk", "state"))
    assert states == {
        first.pk: PaymentState.PAID,
        second.pk: PaymentState.PAID,
        third.pk: PaymentState.PENDING,
    }
    paid = Payment.objects.get(pk=first.pk)
    assert paid.paid_at == LATER and paid.note == "Bank statement of 2026-12-01, from Anna Berg"
    payment_status = dict(Booking.objects.values_list("pk", "payment_status"))
    assert [payment_status[p.booking_id] for p in transfers] == [
        PaymentStatus.PAID,
        PaymentStatus.PAID,
        PaymentStatus.PENDING,
    ]
    # The same file again matches nothing and changes nothing.
    before = stored()
    again = statement_match(company=first.company, rows=statement_parse(text), now=LATER)
    assert again.matched == []
    assert [u.reason for u in again.unmatched] == [
        Reason.ALREADY_PAID,
        Reason.ALREADY_PAID,
        Reason.AMOUNT_DIFFERS,
    ]
    assert again.unmatched[0].message == f"The payment {first.reference} was already received."
    assert stored() == before


@pytest.mark.integration
def test_each_row_that_cannot_pay_a_transfer_says_why_and_changes_nothing(practice, transfers):
    first, second, third = transfers
    payment_fail(payment=third, reason="Customer chose to pay on site", now=NOW)
    # A reference no transfer has (any more).
    other_reference = Payment.objects.get(pk=second.pk).reference
    Payment.objects.filter(pk=second.pk).update(reference="HJKLMNPQ" + "R")
    text = (
        "date,amount,reference,name\n"
        f"2026-12-01,40.00,{other_reference},Anna\n"
        f"2026-12-01,40.00,no reference at all,Carl\n"
        f"2026-12-01,-40.00,{first.reference},Refund to Anna\n"
        f"2026-12-01,40.00,{third.reference},Eve\n"
        f"2026-12-01,forty,{first.reference},Fay\n"
        f"2026-12-01,40.00,{first.reference[:-1]}{'2' if first.reference[-1] != '2' else '3'},Gil\n"
    )
    before = stored()
    result = statement_match(company=practice.company, rows=statement_parse(text), now=LATER)
    assert result.matched == []
    assert [(u.row.line, u.reason) for u in result.unmatched] == [
        (2, Reason.NO_REFERENCE),
        (3, Reason.NO_REFERENCE),
        (4, Reason.NOT_RECEIVED),
        (5, Reason.CANCELLED),
        (6, Reason.UNREADABLE),
        (7, Reason.NO_REFERENCE),  # one character off: the check character tells
    ]
    messages = [u.message for u in result.unmatched]
    assert messages[0] == "No bank transfer has a reference in this row's text."
    assert messages[2] == "Money paid out, not received: nothing to match."
    assert messages[3] == (
        f"The payment {third.reference} was cancelled: give the money back or book again."
    )
    assert messages[4] == "The amount is not one, like 12.50 or 12,50."
    assert stored() == before


@pytest.mark.integration
def test_a_statement_is_matched_against_its_own_companys_transfers_only(practice, transfers):
    from tests.factories import CompanyFactory

    text = f"date;amount;reference;name\n2026-12-01;40,00;{transfers[0].reference};Anna\n"
    before = stored()
    result = statement_match(company=CompanyFactory(), rows=statement_parse(text), now=LATER)
    assert result.matched == [] and result.unmatched[0].reason == Reason.NO_REFERENCE
    assert stored() == before


@pytest.mark.integration
def test_two_rows_for_one_transfer_pay_it_once(practice, transfers):
    reference = transfers[0].reference
    text = (
        "date;amount;reference;name\n"
        f"2026-12-01;40,00;{reference};Anna\n"
        f"2026-12-02;40,00;{reference.lower()};Anna\n"
    )
    result = statement_match(company=practice.company, rows=statement_parse(text), now=LATER)
    assert [m.row.line for m in result.matched] == [2]
    assert [(u.row.line, u.reason) for u in result.unmatched] == [(3, Reason.ALREADY_PAID)]
    emails = OutboxMessage.objects.filter(booking_id=transfers[0].booking_id)
    assert emails.filter(event=Event.PAYMENT_CONFIRMED).count() == 1


@pytest.mark.integration
def test_a_row_naming_two_references_pays_the_one_whose_amount_it_has(practice, transfers):
    first, second, _third = transfers
    Payment.objects.filter(pk=second.pk).update(amount=Decimal("80.00"))
    text = (
        f"date;amount;reference;name\n2026-12-01;80,00;{first.reference} {second.reference};Anna\n"
    )
    result = statement_match(company=practice.company, rows=statement_parse(text), now=LATER)
    assert [m.payment.pk for m in result.matched] == [second.pk]
    assert Payment.objects.get(pk=first.pk).state == PaymentState.PENDING
