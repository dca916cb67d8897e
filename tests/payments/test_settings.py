"""A company's payment settings: defaults, partial updates, the bank account checked with
schwifty, the Stripe keys written and never shown, and the methods a booking is offered."""

import pytest
from django.db import connection

from rendezvous.core.audit import SECRET_CHANGED
from rendezvous.core.errors import ValidationFailed
from rendezvous.core.models import AuditEntry
from rendezvous.payments.domain.settings import (
    PaymentSettingsFields,
    enabled_methods,
    payment_settings,
    payment_settings_update,
    stripe_connected,
)
from rendezvous.payments.models import Method, PaymentSettings
from tests.factories import CompanyFactory

pytestmark = pytest.mark.integration

IBAN = "DE89370400440532013000"
SECRET_KEY = "sk_test_51abcdefSECRET"
WEBHOOK_SECRET = "whsec_abcdefSIGNING"


def stored() -> tuple[list[dict], int]:
    """Every settings row as stored, and the audit log's length: what a refusal keeps."""
    return list(PaymentSettings.objects.order_by("id").values()), AuditEntry.objects.count()


def test_a_company_without_settings_gets_the_defaults_once(practice):
    first = payment_settings(practice.company)
    again = payment_settings(practice.company)
    assert first.pk == again.pk and PaymentSettings.objects.count() == 1
    assert (first.on_site, first.card, first.bank_transfer) == (True, False, False)
    assert (first.hold_minutes, first.transfer_due_days, first.refund_after_cutoff_percent) == (
        15,
        3,
        0,
    )
    assert not stripe_connected(first)


def test_an_update_changes_only_the_fields_given_and_is_logged(practice):
    payment_settings_update(company=practice.company, fields=PaymentSettingsFields(credits=True))
    row = payment_settings_update(
        company=practice.company, fields=PaymentSettingsFields(hold_minutes=30)
    )
    row.refresh_from_db()
    assert (row.hold_minutes, row.credits, row.on_site, row.transfer_due_days) == (
        30,
        True,
        True,
        3,
    )
    entry = AuditEntry.objects.filter(action="payment_settings_changed").order_by("id").last()
    assert entry.entity == "company" and entry.entity_id == str(practice.company.pk)
    assert entry.changes == {"hold_minutes": [15, 30]}
    # Nothing changed, nothing logged.
    payment_settings_update(company=practice.company, fields=PaymentSettingsFields(hold_minutes=30))
    assert AuditEntry.objects.filter(action="payment_settings_changed").count() == 2


def test_the_bank_account_is_normalised_and_transfers_can_then_be_switched_on(practice):
    row = payment_settings_update(
        company=practice.company,
        fields=PaymentSettingsFields(
            account_holder="  Practice GmbH ",
            iban="de89 3704 0044 0532 0130 00",
            bic="cobadeffxxx",
            bank_transfer=True,
            transfer_due_days=0,
        ),
    )
    row.refresh_from_db()
    assert (row.account_holder, row.iban, row.bic) == ("Practice GmbH", IBAN, "COBADEFFXXX")
    assert row.bank_transfer and row.transfer_due_days == 0
    # The BIC is optional (SEPA needs none) and may be cleared.
    payment_settings_update(company=practice.company, fields=PaymentSettingsFields(bic=""))
    row.refresh_from_db()
    assert row.bic == "" and row.bank_transfer


def test_the_stripe_keys_are_stored_encrypted_and_the_log_never_holds_them(practice):
    row = payment_settings_update(
        company=practice.company,
        fields=PaymentSettingsFields(
            stripe_secret_key=SECRET_KEY, stripe_webhook_secret=WEBHOOK_SECRET, card=True
        ),
    )
    row.refresh_from_db()
    assert stripe_connected(row) and row.card
    assert row.stripe_secret_key == SECRET_KEY  # the provider reads it in clear
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT stripe_secret_key, stripe_webhook_secret FROM payments_paymentsettings"
        )
        raw = " ".join(cursor.fetchone())
    assert "SECRET" not in raw and "SIGNING" not in raw
    entry = AuditEntry.objects.get(action="payment_settings_changed")
    assert entry.changes["stripe_secret_key"] == SECRET_CHANGED
    assert entry.changes["stripe_webhook_secret"] == SECRET_CHANGED
    assert "SECRET" not in str(entry.changes) and "SIGNING" not in str(entry.changes)
    # Disconnecting Stripe needs cards off first.
    with pytest.raises(ValidationFailed) as refused:
        payment_settings_update(
            company=practice.company, fields=PaymentSettingsFields(stripe_webhook_secret="")
        )
    assert refused.value.fields == {
        "card": ["Enter the Stripe secret key and webhook signing secret before you take cards."]
    }
    payment_settings_update(
        company=practice.company,
        fields=PaymentSettingsFields(card=False, stripe_secret_key="", stripe_webhook_secret=""),
    )
    row.refresh_from_db()
    assert not stripe_connected(row) and not row.card


RANGE = "Enter a whole number from %d to %d."
CONTROL = "Control characters such as line breaks are not allowed."


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (PaymentSettingsFields(hold_minutes=4), "hold_minutes", RANGE % (5, 120)),
        (PaymentSettingsFields(hold_minutes=121), "hold_minutes", RANGE % (5, 120)),
        (PaymentSettingsFields(transfer_due_days=-1), "transfer_due_days", RANGE % (0, 60)),
        (PaymentSettingsFields(transfer_due_days=61), "transfer_due_days", RANGE % (0, 60)),
        (
            PaymentSettingsFields(refund_after_cutoff_percent=101),
            "refund_after_cutoff_percent",
            RANGE % (0, 100),
        ),
        (PaymentSettingsFields(hold_minutes=True), "hold_minutes", RANGE % (5, 120)),
        (PaymentSettingsFields(card="yes"), "card", "Enter true or false."),
        (
            PaymentSettingsFields(account_holder="A" * 141),
            "account_holder",
            "At most 140 characters.",
        ),
        (PaymentSettingsFields(account_holder="Practice\nGmbH"), "account_holder", CONTROL),
        (
            PaymentSettingsFields(iban="DE89370400440532013001"),
            "iban",
            "This is not a valid IBAN. Check it against your bank statement.",
        ),
        (
            PaymentSettingsFields(iban="not an iban"),
            "iban",
            "This is not a valid IBAN. Check it against your bank statement.",
        ),
        (
            PaymentSettingsFields(bic="COBAXXFF"),
            "bic",
            "This is not a valid BIC (8 or 11 letters and digits).",
        ),
        (
            PaymentSettingsFields(stripe_secret_key="pk_test_123"),
            "stripe_secret_key",
            "Paste the secret key from Stripe: it starts with sk_ or rk_.",
        ),
        (
            PaymentSettingsFields(stripe_webhook_secret="sk_test_123"),
            "stripe_webhook_secret",
            "Paste the signing secret from Stripe: it starts with whsec_.",
        ),
        (
            PaymentSettingsFields(bank_transfer=True, account_holder="Practice GmbH"),
            "bank_transfer",
            "Enter the account holder and the IBAN before you take bank transfers.",
        ),
        (
            PaymentSettingsFields(bank_transfer=True, iban=IBAN),
            "bank_transfer",
            "Enter the account holder and the IBAN before you take bank transfers.",
        ),
        (
            PaymentSettingsFields(card=True),
            "card",
            "Enter the Stripe secret key and webhook signing secret before you take cards.",
        ),
        (
            PaymentSettingsFields(card=True, stripe_secret_key=SECRET_KEY),
            "card",
            "Enter the Stripe secret key and webhook signing secret before you take cards.",
        ),
    ],
)
def test_a_bad_field_is_refused_and_changes_nothing(practice, fields, field, message):
    payment_settings_update(
        company=practice.company, fields=PaymentSettingsFields(hold_minutes=20, credits=True)
    )
    before = stored()
    with pytest.raises(ValidationFailed) as refused:
        payment_settings_update(company=practice.company, fields=fields)
    assert refused.value.fields == {field: [message]}
    assert stored() == before


def test_every_bad_field_is_named_at_once_and_a_new_company_gets_no_row(db):
    company = CompanyFactory()
    with pytest.raises(ValidationFailed) as refused:
        payment_settings_update(
            company=company,
            fields=PaymentSettingsFields(hold_minutes=0, iban="XX00", bic="?"),
        )
    assert set(refused.value.fields) == {"hold_minutes", "iban", "bic"}
    with pytest.raises(ValidationFailed):
        payment_settings_update(company=company, fields=PaymentSettingsFields(card=True))
    assert stored() == ([], 0)


def test_enabled_methods_follow_the_settings_and_pay_on_site_needs_a_site(practice):
    company = practice.company
    payment_settings_update(
        company=company,
        fields=PaymentSettingsFields(
            account_holder="Practice GmbH",
            iban=IBAN,
            stripe_secret_key=SECRET_KEY,
            stripe_webhook_secret=WEBHOOK_SECRET,
            card=True,
            credits=True,
            passes=True,
            bank_transfer=True,
        ),
    )
    for service in (practice.service, practice.video, practice.yoga):
        service.requires_payment = True
        service.save()
    everything = [Method.CARD, Method.CREDITS, Method.PASS, Method.BANK_TRANSFER, Method.ON_SITE]
    assert enabled_methods(company, practice.service) == everything
    assert enabled_methods(company, practice.video) == everything[:-1]
    assert enabled_methods(company, practice.yoga) == everything[:-1]
    # A booking of the video service held in person (staff unticked "by video").
    assert enabled_methods(company, practice.video, online=False) == everything
    # Online meetings off for the company: every booking is in person.
    company.online_meetings_enabled = False
    company.save()
    assert enabled_methods(company, practice.video) == everything
    payment_settings_update(
        company=company, fields=PaymentSettingsFields(card=False, on_site=False, passes=False)
    )
    assert enabled_methods(company, practice.service) == [Method.CREDITS, Method.BANK_TRANSFER]


def test_a_service_that_asks_for_no_payment_offers_no_method(practice):
    payment_settings_update(company=practice.company, fields=PaymentSettingsFields(credits=True))
    assert enabled_methods(practice.company, practice.service) == []
