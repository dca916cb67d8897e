"""The receipt in the payment_confirmed email (`[receipt]`): company, number, date,
item, method, amount, tax rate and tax included, total; in the customer's language;
a pass entry says so without amounts. And the tax rate setting's refusals."""

from datetime import timedelta
from decimal import Decimal

import pytest

from rendezvous.companies.models import Location
from rendezvous.core.errors import ValidationFailed
from rendezvous.notifications.defaults import default_template
from rendezvous.notifications.domain import outbox_deliver_due, template_preview
from rendezvous.notifications.models import OutboxMessage
from rendezvous.notifications.receipt_texts import tax_included
from rendezvous.payments.domain.bank import mark_received, transfer_start
from rendezvous.payments.domain.passes import (
    PassProductFields,
    pass_activate,
    pass_product_create,
    pass_purchase,
    pass_spend,
)
from rendezvous.payments.domain.settings import PaymentSettingsFields, payment_settings_update
from rendezvous.payments.models import Method, Payment, PaymentSettings
from tests.conftest import NOW, TOMORROW_10, book
from tests.payments.core_rows import paid_service, sells_passes
from tests.payments.test_bank_transfer import NEXT_WEEK, paid_video, take_transfers

pytestmark = pytest.mark.integration

__all__ = ["paid_video"]  # a fixture, used by name

PAID_AT = NOW + timedelta(hours=2)


def received_email(smtp, booking):
    """The payment_confirmed email's (subject, text, html), picked by its Message-ID:
    other emails to the customer go out in the same delivery run, in no set order."""
    outbox_deliver_due()
    sent = OutboxMessage.objects.get(booking=booking, event="payment_confirmed")
    [mail] = [
        r.message for r in smtp.to(booking.email) if r.message["Message-ID"] == sent.message_id
    ]
    return (
        mail["Subject"],
        mail.get_body(("plain",)).get_content(),
        mail.get_body(("html",)).get_content(),
    )


def transfer_paid(practice, *, language="en"):
    Location.objects.create(
        company=practice.company,
        name="Practice",
        address="Hauptstraße 1\n10115 Berlin",
        timezone="Europe/Berlin",
    )
    payment_settings_update(
        company=practice.company, fields=PaymentSettingsFields(tax_rate_percent=Decimal("19"))
    )
    booking = book(practice, NEXT_WEEK, service=practice.video, language=language).booking
    payment = transfer_start(booking=booking, now=NOW)
    mark_received(payment=payment, actor=None, now=PAID_AT)
    return booking, payment


def test_the_tax_included_is_the_share_of_a_price_that_includes_it():
    assert tax_included(Decimal("40.00"), Decimal("19"), "EUR") == Decimal("6.39")
    assert tax_included(Decimal("100.00"), Decimal("7.5"), "EUR") == Decimal("6.98")
    assert tax_included(Decimal("1000"), Decimal("10"), "JPY") == Decimal("91")


def test_a_transfer_received_sends_the_receipt_with_the_tax_included(paid_video, smtp):
    booking, payment = transfer_paid(paid_video)

    subject, text, html = received_email(smtp, booking)

    assert subject.startswith("Payment received: Video call")
    number = f"R-{payment.pk:06d}"
    for line in (
        paid_video.company.name,
        "Hauptstraße 1",
        "10115 Berlin",
        f"Receipt no.: {number}",
        "Date paid: December 1, 2026",
        "Item: Video call, Wednesday, December 9, 2026 10:00\u202fAM CET",
        "Method: Bank transfer",
        "Amount paid: €40.00",
        "Tax rate: 19 %",
        "Tax included: €6.39",
        "Total: €40.00",
    ):
        assert line in text.splitlines(), line
    assert number in html and "€6.39" in html
    assert "<table" not in html  # lines, as the renderer keeps them


def test_the_receipt_in_german_has_german_dates_and_numbers(paid_video, smtp):
    booking, payment = transfer_paid(paid_video, language="de")

    subject, text, html = received_email(smtp, booking)

    assert subject.startswith("Zahlung erhalten: Video call")
    assert f"R-{payment.pk:06d}" in text
    assert "1. Dezember 2026" in text
    assert "Zahlungsart: Banküberweisung" in text  # the label and the method, in German
    assert "Video call, Mittwoch, 9. Dezember 2026 10:00 CET" in text
    assert "40,00\xa0€" in text
    assert "6,39\xa0€" in text
    assert "19 %" in text
    assert "€40.00" not in text and "6.39" not in text


def test_a_pass_entry_receipt_says_so_and_shows_no_amount_or_tax(practice, smtp):
    massage = paid_service(practice)
    sells_passes(practice.company, tax_rate_percent=Decimal("19"))
    product = pass_product_create(
        company=practice.company,
        fields=PassProductFields(
            name="10 massages", entries=10, valid_days=30, price=Decimal(90), services=(massage.pk,)
        ),
    )
    booking = book(practice, TOMORROW_10, service=massage, n=1).booking
    bought = pass_purchase(customer=booking.customer, product=product, method=Method.CARD, now=NOW)
    pass_activate(customer_pass=bought, now=NOW)
    pass_spend(booking=booking, now=NOW)
    payment = Payment.objects.get(booking=booking)

    subject, text, _html = received_email(smtp, booking)

    assert subject.startswith("Payment received: Massage")
    assert f"Receipt no.: R-{payment.pk:06d}" in text
    assert "Item: Massage, Wednesday, December 2, 2026 10:00\u202fAM CET" in text
    assert "Paid with a pass entry." in text.splitlines()
    assert "Tax" not in text and "€" not in text and "Amount paid" not in text


def test_an_email_before_payment_has_no_receipt(paid_video, smtp):
    booking = book(paid_video, NEXT_WEEK, service=paid_video.video).booking
    transfer_start(booking=booking, now=NOW)

    outbox_deliver_due()

    [confirmation] = smtp.to(booking.email)
    text = confirmation.message.get_body(("plain",)).get_content()
    assert "Receipt no." not in text and "[receipt]" not in text


@pytest.mark.parametrize(
    "value",
    [
        Decimal("120"),
        "120",
        Decimal("-1"),
        "19.555",
        19.0,
        "nineteen",
        "NaN",
        "sNaN",
        "Infinity",
        "",
        True,
        None,
    ],
)
def test_a_tax_rate_outside_0_to_100_is_refused_and_nothing_changes(practice, value):
    take_transfers(practice.company, tax_rate_percent=Decimal("7.5"))
    before = list(PaymentSettings.objects.values())

    with pytest.raises(ValidationFailed) as caught:
        payment_settings_update(
            company=practice.company, fields=PaymentSettingsFields(tax_rate_percent=value)
        )

    assert caught.value.fields == {
        "tax_rate_percent": ["Enter a tax rate from 0 to 100 %, with at most 2 decimals."]
    }
    assert list(PaymentSettings.objects.values()) == before


def test_a_tax_rate_is_stored_with_two_decimals_however_it_is_written(practice):
    for written, stored in (("19", "19.00"), ("7,5", "7.50"), (Decimal("0"), "0.00")):
        payment_settings_update(
            company=practice.company, fields=PaymentSettingsFields(tax_rate_percent=written)
        )
        settings = PaymentSettings.objects.get(company=practice.company)
        assert str(settings.tax_rate_percent) == stored


def test_a_class_receipt_gives_the_seats_times_the_price(paid_video, smtp):
    yoga = paid_video.yoga
    yoga.requires_payment = True
    yoga.price = Decimal("15.00")
    yoga.save()
    session = paid_video.session
    booking = book(
        paid_video, session.start, service=yoga, session_id=session.pk, participants=2
    ).booking
    payment = transfer_start(booking=booking, now=NOW)
    mark_received(payment=payment, actor=None, now=PAID_AT)

    _subject, text, _html = received_email(smtp, booking)

    assert "Item: Yoga, Wednesday, December 2, 2026 6:00\u202fPM CET (2 × €15.00)" in text
    assert "Total: €30.00" in text.splitlines()
    # No tax rate set: no tax lines.
    assert "Tax" not in text


def test_the_preview_shows_a_sample_receipt_with_the_companys_tax_rate(practice):
    payment_settings_update(
        company=practice.company, fields=PaymentSettingsFields(tax_rate_percent=Decimal("19"))
    )
    subject, body = default_template("payment_confirmed", "en")

    shown = template_preview(
        company=practice.company,
        event="payment_confirmed",
        language="en",
        subject=subject,
        body=body,
    )

    assert "Receipt no.: R-000123" in shown.text
    assert "Tax included: €6.39" in shown.text
    assert "[receipt]" not in shown.text
