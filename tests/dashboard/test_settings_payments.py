"""The back office's payment settings (/office/settings/payments/): the methods, the
card hold, the bank account and the Stripe keys (write-only), the passes on sale, and
the bank statement import. Only admins reach them (404 for everyone else); every
refusal shows the domain's message at its field and writes nothing."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from rendezvous.bookings.models import Booking, PaymentStatus
from rendezvous.core.models import AuditEntry
from rendezvous.payments.domain.bank import transfer_start
from rendezvous.payments.domain.passes import (
    PassProductFields,
    pass_product_create,
    pass_purchase,
)
from rendezvous.payments.domain.settings import PaymentSettingsFields, payment_settings_update
from rendezvous.payments.models import (
    Method,
    PassProduct,
    Payment,
    PaymentSettings,
    PaymentState,
)
from tests.conftest import NOW, TOMORROW_10, book
from tests.factories import CompanyFactory, ServiceFactory
from tests.fakes.stripe import SECRET_KEY, WEBHOOK_SECRET
from tests.payments.core_rows import customer_of

from .test_office_bookings import signed_in

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

PAGE = "/office/settings/payments/"
STATEMENT = "/office/settings/payments/statement/"
IBAN = "DE89370400440532013000"
NEXT_WEEK = TOMORROW_10 + timedelta(days=7)


def state() -> list:
    """Every row these pages may write, to prove a refusal changed nothing."""
    return [
        list(PaymentSettings.objects.order_by("pk").values()),
        list(PassProduct.objects.order_by("pk").values()),
        list(PassProduct.services.through.objects.order_by("pk").values()),
        list(Payment.objects.order_by("pk").values()),
        AuditEntry.objects.count(),
    ]


@pytest.fixture
def admin(client, team):
    return signed_in(client, team["admin"])


def settings_form(**changes) -> dict:
    """The form as the page sends it for the defaults (pay on site on), with changes."""
    form = {
        "on_site": "on",
        "hold_minutes": "15",
        "transfer_due_days": "3",
        "refund_after_cutoff_percent": "0",
        "account_holder": "",
        "iban": "",
        "bic": "",
        "stripe_secret_key": "",
        "stripe_webhook_secret": "",
        **changes,
    }
    return {name: value for name, value in form.items() if value is not None}


def stored(practice) -> PaymentSettings:
    return PaymentSettings.objects.get(company=practice.company)


# -- who may -------------------------------------------------------------------------------


def office_urls(product) -> list[str]:
    return [
        PAGE,
        STATEMENT,
        reverse("office:settings_pass_new"),
        reverse("office:settings_pass", args=[product.pk]),
        reverse("office:settings_pass_archive", args=[product.pk]),
        reverse("office:settings_pass_delete", args=[product.pk]),
    ]


def a_pass(practice, **changes) -> PassProduct:
    values = {
        "name": "10 yoga classes",
        "entries": 10,
        "valid_days": 90,
        "price": Decimal("99.00"),
        "services": (practice.yoga.pk,),
        **changes,
    }
    return pass_product_create(company=practice.company, fields=PassProductFields(**values))


@pytest.mark.parametrize("role", ["senior", "junior"])
def test_seniors_and_juniors_get_404_on_every_payments_url(client, practice, team, role):
    product = a_pass(practice)
    signed_in(client, team[role])
    before = state()
    for url in office_urls(product):
        assert client.get(url).status_code == 404, url
        assert client.post(url, settings_form(bank_transfer="on", iban=IBAN)).status_code == 404
    assert state() == before


def test_another_companys_pass_is_404(admin, practice):
    other = CompanyFactory(slug="elsewhere")
    service = ServiceFactory(company=other, name="Their class")
    theirs = pass_product_create(
        company=other,
        fields=PassProductFields(
            name="Theirs", entries=1, valid_days=1, price=Decimal(1), services=(service.pk,)
        ),
    )
    before = state()
    for url in office_urls(theirs)[3:]:
        if not url.endswith(("/archive/", "/delete/")):
            assert admin.get(url).status_code == 404, url
        assert admin.post(url, {"name": "Mine now"}).status_code == 404, url
    assert state() == before


# -- the settings ----------------------------------------------------------------------------


def test_the_page_shows_the_defaults_the_webhook_address_and_not_connected(
    admin, practice, settings
):
    settings.BASE_URL = "https://book.example.com"
    response = admin.get(PAGE)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Not connected" in page
    assert (
        'value="https://book.example.com/api/v1/companies/practice/payments/stripe/webhook"' in page
    )
    assert 'data-copy="#pay-webhook"' in page
    assert "<legend>Payment methods offered</legend>" in page
    assert 'name="hold_minutes" value="15"' in page
    assert f'href="{PAGE}" aria-current="page"' in page
    # Reading the page writes nothing.
    assert not PaymentSettings.objects.exists()


def test_an_admin_takes_transfers_and_connects_stripe_and_the_keys_are_never_shown(admin, practice):
    response = admin.post(
        PAGE,
        settings_form(
            card="on",
            bank_transfer="on",
            passes="on",
            cancel_unpaid_transfers="on",
            hold_minutes="20",
            transfer_due_days="5",
            refund_after_cutoff_percent="50",
            account_holder="Practice GmbH",
            iban="de89 3704 0044 0532 0130 00",
            bic="COBADEFFXXX",
            stripe_secret_key=SECRET_KEY,
            stripe_webhook_secret=WEBHOOK_SECRET,
        ),
    )
    assert response.status_code == 302
    row = stored(practice)
    assert (row.card, row.bank_transfer, row.passes, row.credits, row.on_site) == (
        True,
        True,
        True,
        False,
        True,
    )
    assert (row.hold_minutes, row.transfer_due_days, row.refund_after_cutoff_percent) == (20, 5, 50)
    assert (row.account_holder, row.iban, row.bic) == ("Practice GmbH", IBAN, "COBADEFFXXX")
    assert (row.stripe_secret_key, row.stripe_webhook_secret) == (SECRET_KEY, WEBHOOK_SECRET)
    assert row.cancel_unpaid_transfers
    page = admin.get(PAGE).content.decode()
    assert "Saved." in page and "Connected" in page and "Not connected" not in page
    assert 'value="DE89 3704 0044 0532 0130 00"' in page
    assert SECRET_KEY not in page and WEBHOOK_SECRET not in page
    assert "sk_test_" not in page and "whsec_fake" not in page
    # The audit log says that the keys changed, never what they are.
    entry = AuditEntry.objects.filter(action="payment_settings_changed").latest("pk")
    assert SECRET_KEY not in str(entry.changes) and WEBHOOK_SECRET not in str(entry.changes)


def test_an_empty_key_field_keeps_the_key_and_only_changes_are_saved(admin, practice):
    payment_settings_update(
        company=practice.company,
        fields=PaymentSettingsFields(
            stripe_secret_key=SECRET_KEY,
            stripe_webhook_secret=WEBHOOK_SECRET,
            card=True,
            account_holder="Practice GmbH",
            iban=IBAN,
        ),
    )
    # The IBAN as the page shows it (in groups) is no change.
    entries = AuditEntry.objects.count()
    form = settings_form(
        card="on",
        hold_minutes="30",
        account_holder="Practice GmbH",
        iban="DE89 3704 0044 0532 0130 00",
    )
    response = admin.post(PAGE, form)
    assert response.status_code == 302
    row = stored(practice)
    assert (row.card, row.hold_minutes) == (True, 30)
    assert (row.stripe_secret_key, row.stripe_webhook_secret) == (SECRET_KEY, WEBHOOK_SECRET)
    latest = AuditEntry.objects.latest("pk")
    assert AuditEntry.objects.count() == entries + 1
    assert set(latest.changes) == {"hold_minutes"}


def test_disconnect_removes_both_keys(admin, practice):
    payment_settings_update(
        company=practice.company,
        fields=PaymentSettingsFields(
            stripe_secret_key=SECRET_KEY, stripe_webhook_secret=WEBHOOK_SECRET
        ),
    )
    assert 'name="stripe_disconnect"' in admin.get(PAGE).content.decode()
    assert admin.post(PAGE, settings_form(stripe_disconnect="on")).status_code == 302
    row = stored(practice)
    assert (row.stripe_secret_key, row.stripe_webhook_secret) == ("", "")
    assert "Not connected" in admin.get(PAGE).content.decode()


def test_a_bad_iban_is_refused_at_its_field_and_nothing_changes(admin, practice):
    payment_settings_update(
        company=practice.company, fields=PaymentSettingsFields(account_holder="Practice GmbH")
    )
    before = state()
    response = admin.post(
        PAGE,
        settings_form(
            bank_transfer="on",
            account_holder="Someone else",
            iban="DE00 1234",
            stripe_secret_key=SECRET_KEY,
            stripe_webhook_secret=WEBHOOK_SECRET,
        ),
    )
    page = response.content.decode()
    assert response.status_code == 422
    assert (
        '<p class="error" id="pay-iban-error">'
        "This is not a valid IBAN. Check it against your bank statement."
    ) in page
    assert 'aria-describedby="pay-iban-error" aria-invalid="true"' in page
    # What was typed is shown again, except the keys.
    assert 'value="Someone else"' in page and 'value="DE00 1234"' in page
    assert SECRET_KEY not in page and WEBHOOK_SECRET not in page
    assert state() == before


def test_transfers_without_an_account_are_refused_at_the_switch(admin, practice):
    before = state()
    response = admin.post(PAGE, settings_form(bank_transfer="on"))
    assert response.status_code == 422
    page = response.content.decode()
    assert (
        '<p class="error" id="pay-transfer-error">'
        "Enter the account holder and the IBAN before you take bank transfers."
    ) in page
    assert "pay-methods-help pay-transfer-error" in page
    assert state() == before


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("hold_minutes", "2", "Enter a whole number from 5 to 120."),
        ("hold_minutes", "soon", "Enter a whole number from 5 to 120."),
        ("transfer_due_days", "", "This field cannot be empty."),
        ("refund_after_cutoff_percent", "101", "Enter a whole number from 0 to 100."),
        ("tax_rate_percent", "120", "Enter a tax rate from 0 to 100 %, with at most 2 decimals."),
        ("tax_rate_percent", "sNaN", "Enter a tax rate from 0 to 100 %, with at most 2 decimals."),
        ("bic", "NOTABIC", "This is not a valid BIC (8 or 11 letters and digits)."),
        (
            "stripe_secret_key",
            "pk_test_123",
            "Paste the secret key from Stripe: it starts with sk_ or rk_.",
        ),
    ],
)
def test_bad_values_are_refused_with_the_domains_message(admin, practice, field, value, message):
    before = state()
    response = admin.post(PAGE, settings_form(**{field: value}))
    assert response.status_code == 422
    assert message in response.content.decode()
    assert state() == before


def test_the_tax_rate_is_one_field_with_its_label_and_is_saved_as_typed(admin, practice):
    page = admin.get(PAGE).content.decode()
    assert '<label for="pay-tax">Tax rate (%)</label>' in page
    assert "Prices include this tax; 0: no tax shown" in page

    response = admin.post(PAGE, settings_form(tax_rate_percent="19,5"))

    assert response.status_code == 302
    assert stored(practice).tax_rate_percent == Decimal("19.50")
    assert 'name="tax_rate_percent" value="19.50"' in admin.get(PAGE).content.decode()
    # A form without the field (or with it empty) is no tax.
    admin.post(PAGE, settings_form())
    assert stored(practice).tax_rate_percent == Decimal("0")


def test_the_iban_is_refused_in_german(admin, practice):
    response = admin.post(PAGE, settings_form(iban="DE00"), HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 422
    assert (
        "Das ist keine gültige IBAN. Vergleichen Sie sie mit Ihrem Kontoauszug."
        in response.content.decode()
    )


def test_the_settings_tabs_link_the_payments_page(admin, practice):
    assert f'href="{PAGE}"' in admin.get("/office/settings/").content.decode()


# -- passes ------------------------------------------------------------------------------


def pass_form(practice, **changes) -> dict:
    return {
        "name": "5 classes",
        "description": "Any five yoga classes.",
        "entries": "5",
        "valid_days": "60",
        "price": "45,50",
        "services": [str(practice.yoga.pk), str(practice.service.pk)],
        "active": "on",
        **changes,
    }


def test_no_pass_yet_says_so(admin, practice):
    page = admin.get(PAGE).content.decode()
    assert "No pass on sale yet." in page
    assert f'href="{reverse("office:settings_pass_new")}"' in page


def test_an_admin_creates_and_edits_a_pass(admin, practice):
    response = admin.post(reverse("office:settings_pass_new"), pass_form(practice))
    assert response.status_code == 302
    product = PassProduct.objects.get(company=practice.company)
    assert (product.name, product.entries, product.valid_days, product.price, product.active) == (
        "5 classes",
        5,
        60,
        Decimal("45.50"),
        True,
    )
    assert set(product.services.all()) == {practice.yoga, practice.service}
    listing = admin.get(PAGE).content.decode()
    assert "5 classes" in listing and "<td>60</td>" in listing and "€45.50" in listing
    assert "Consultation, Yoga" in listing

    url = reverse("office:settings_pass", args=[product.pk])
    form = admin.get(url).content.decode()
    assert 'value="45.50"' in form and f'value="{practice.yoga.pk}" checked' in form
    response = admin.post(
        url, pass_form(practice, name="6 classes", entries="6", services=[str(practice.yoga.pk)])
    )
    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.name, product.entries) == ("6 classes", 6)
    assert list(product.services.all()) == [practice.yoga]


def test_a_bad_pass_is_refused_at_its_fields_and_nothing_changes(admin, practice):
    before = state()
    response = admin.post(
        reverse("office:settings_pass_new"),
        pass_form(practice, name="", entries="0", price="12.345", services=[]),
    )
    page = response.content.decode()
    assert response.status_code == 422
    assert "Choose at least one service the pass is good for." in page
    assert "Enter a whole number from 1 to 1000." in page
    assert "Enter an amount like 12.50, with at most 2 decimals." in page
    assert 'aria-describedby="ps-services-error"' in page
    assert state() == before


def test_a_pass_is_taken_off_sale_and_an_unsold_one_deleted(admin, practice):
    product = a_pass(practice)
    response = admin.post(reverse("office:settings_pass_archive", args=[product.pk]))
    assert response.status_code == 302
    product.refresh_from_db()
    assert not product.active
    assert "is off sale" in admin.get(PAGE).content.decode()
    response = admin.post(reverse("office:settings_pass_delete", args=[product.pk]))
    assert response.status_code == 302
    assert not PassProduct.objects.exists()


def test_a_sold_pass_is_not_deleted(admin, practice):
    payment_settings_update(company=practice.company, fields=PaymentSettingsFields(passes=True))
    product = a_pass(practice)
    pass_purchase(
        customer=customer_of(practice.company), product=product, method=Method.ON_SITE, now=NOW
    )
    before = state()
    url = reverse("office:settings_pass_delete", args=[product.pk])
    response = admin.post(url)
    assert response["Location"] == reverse("office:settings_pass", args=[product.pk])
    assert state() == before
    page = admin.get(response["Location"]).content.decode()
    assert "Customers bought this pass; take it off sale instead." in page


# -- the bank statement ------------------------------------------------------------------


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


def upload(text: str, name: str = "statement.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def test_the_statement_page_lists_the_waiting_transfers(admin, practice, transfers):
    page = admin.get(STATEMENT).content.decode()
    for payment in transfers:
        assert payment.reference in page
    assert "No transfer is overdue." in page
    assert 'type="file" name="statement"' in page


def test_a_statement_matches_two_of_three_rows_and_lists_the_third(admin, practice, transfers):
    first, second, third = transfers
    text = (
        "Date;Amount;Reference;Name\n"
        f"2026-12-02;40,00;Booking {first.reference};Test Customer\n"
        f"02.12.2026;40.00;{second.reference.lower()};Test Customer\n"
        f"2026-12-03;35,00;{third.reference};Test Customer\n"
    )
    response = admin.post(STATEMENT, {"statement": upload(text)})
    page = response.content.decode()
    assert response.status_code == 200
    assert "2 transfers marked received" in page and "1 row not matched" in page
    assert f"€40.00 is due for {third.reference}; this row has €35.00." in page
    for payment in (first, second):
        assert reverse("office:booking", args=[payment.booking_id]) in page
    paid = {p.pk: p.state for p in Payment.objects.all()}
    assert paid == {
        first.pk: PaymentState.PAID,
        second.pk: PaymentState.PAID,
        third.pk: PaymentState.PENDING,
    }
    assert Booking.objects.get(pk=first.booking_id).payment_status == PaymentStatus.PAID
    assert Booking.objects.get(pk=third.booking_id).payment_status == PaymentStatus.PENDING
    # The one still waiting stays listed below.
    waiting = page.split('id="st-pending"')[1]
    assert third.reference in waiting and first.reference not in waiting


def test_a_statement_without_the_columns_is_refused_and_changes_nothing(admin, practice, transfers):
    before = state()
    response = admin.post(STATEMENT, {"statement": upload("when,how much\n2026-12-02,40\n")})
    assert response.status_code == 422
    page = response.content.decode()
    assert (
        "The first line must name the columns date, amount, reference and name; "
        "missing: date, amount, reference, name."
    ) in page
    assert 'aria-describedby="st-file-help st-file-error" aria-invalid="true"' in page
    assert state() == before


def test_a_statement_too_large_or_missing_is_refused(admin, practice, transfers, monkeypatch):
    before = state()
    response = admin.post(STATEMENT, {})
    assert response.status_code == 422
    assert "Choose the CSV file to import." in response.content.decode()
    big = "date,amount,reference,name\n" + "2026-12-02,1,x,y\n" * 130_000
    response = admin.post(STATEMENT, {"statement": upload(big)})
    assert response.status_code == 422
    assert "This file is too large: import at most 2 MB at once." in response.content.decode()
    assert state() == before


def test_overdue_transfers_are_listed_apart(admin, practice, transfers, frozen_now):
    frozen_now.move_to(NOW + timedelta(days=9))
    page = admin.get(STATEMENT).content.decode()
    overdue = page.split('id="st-overdue"')[1].split('id="st-pending"')[0]
    for payment in transfers:
        assert payment.reference in overdue
    assert "(overdue)" in overdue
    assert "No transfer is waiting." in page


def test_a_statement_in_windows_1252_is_read(admin, practice, transfers):
    first = transfers[0]
    text = f"date;amount;reference;name\n2026-12-02;40,00;{first.reference};Søren Møller\n"
    response = admin.post(STATEMENT, {"statement": upload_bytes(text.encode("cp1252"))})
    page = response.content.decode()
    assert response.status_code == 200
    assert "1 transfer marked received" in page and "Søren Møller" in page
    assert Payment.objects.get(pk=first.pk).state == PaymentState.PAID


def test_a_file_that_is_not_text_is_refused(admin, practice, transfers):
    before = state()
    response = admin.post(STATEMENT, {"statement": upload_bytes(b"\x81\x8d\x8f\x90\x9d")})
    assert response.status_code == 422
    assert "This file is not text: export the statement as CSV." in response.content.decode()
    assert state() == before


def upload_bytes(data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("statement.csv", data, content_type="text/csv")
