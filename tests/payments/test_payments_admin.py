"""The payments admin: pass products and wallet grants go through payments.domain (the
admin refuses what the domain refuses, and a refusal writes nothing); the ledger rows
(payments, wallet entries) cannot be edited or deleted."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from rendezvous.payments.domain.passes import (
    PassProductFields,
    pass_activate,
    pass_product_create,
    pass_purchase,
)
from rendezvous.payments.domain.wallet import wallet_balance, wallet_grant
from rendezvous.payments.models import (
    EntryReason,
    Method,
    PassProduct,
    Payment,
    PaymentState,
    Unit,
    Wallet,
    WalletEntry,
)
from tests.conftest import NOW
from tests.factories import CompanyFactory, ServiceFactory
from tests.payments.core_rows import customer_of, payment_tables, sells_passes

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def url(model, action: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


def texts(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def errors(response) -> dict:
    assert response.status_code == 200
    return response.context["adminform"].form.errors


@pytest.fixture
def root(db):
    return get_user_model().objects.create_superuser("root", "root@example.com")


@pytest.fixture
def client(client, root):
    client.force_login(root)
    return client


@pytest.fixture
def company(frozen_now):
    company = CompanyFactory(languages=["en", "de"])
    sells_passes(company)
    return company


def product_form(company, services, **changes) -> dict:
    return {
        "company": company.pk,
        "name": "10 classes",
        "description": "",
        "entries": "10",
        "valid_days": "90",
        "price": "80.00",
        "services": [s.pk for s in services],
        "position": "0",
        "active": "on",
        "_save": "1",
        **changes,
    }


# -- pass products ---------------------------------------------------------------------


def test_pass_product_add_goes_through_the_domain(client, company):
    yoga = ServiceFactory(company=company, name="Yoga")
    before = payment_tables()
    response = client.post(url(PassProduct, "add"), product_form(company, [yoga], entries="0"))
    assert errors(response) == {"entries": ["Enter a whole number from 1 to 1000."]}
    response = client.post(url(PassProduct, "add"), product_form(company, [yoga], price="9.999"))
    assert errors(response)["price"] == ["Enter an amount like 12.50, with at most 2 decimals."]
    response = client.post(url(PassProduct, "add"), product_form(company, []))
    assert errors(response) == {"services": ["Choose at least one service the pass is good for."]}
    foreign = ServiceFactory(company=CompanyFactory())
    response = client.post(url(PassProduct, "add"), product_form(company, [yoga, foreign]))
    assert "services" in errors(response)
    response = client.post(
        url(PassProduct, "add"), product_form(company, [yoga], name="Ten\u202eclasses")
    )
    assert errors(response) == {"name": ["Control characters such as line breaks are not allowed."]}
    assert payment_tables() == before

    response = client.post(
        url(PassProduct, "add"), product_form(company, [yoga], name_de="10 Stunden")
    )
    assert response.status_code == 302
    product = PassProduct.objects.get()
    assert (product.company, product.name, product.entries, product.price) == (
        company,
        "10 classes",
        10,
        Decimal("80.00"),
    )
    assert list(product.services.all()) == [yoga]
    assert product.translations == {"de": {"name": "10 Stunden"}}


def test_pass_product_change_keeps_the_translations_and_refuses_bad_fields(client, company):
    yoga = ServiceFactory(company=company, name="Yoga")
    pilates = ServiceFactory(company=company, name="Pilates")
    product = pass_product_create(
        company=company,
        fields=PassProductFields(
            name="5 classes",
            entries=5,
            valid_days=30,
            price=Decimal(40),
            services=(yoga.pk,),
            translations={"de": {"name": "5 Stunden"}},
        ),
    )
    before = payment_tables()
    data = product_form(company, [yoga], name_de="5 Stunden", valid_days="4000")
    response = client.post(url(PassProduct, "change", product.pk), data)
    assert errors(response) == {"valid_days": ["Enter a whole number from 1 to 3650."]}
    assert payment_tables() == before

    data = product_form(company, [yoga, pilates], name_de="5 Stunden", entries="6")
    response = client.post(url(PassProduct, "change", product.pk), data)
    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.entries, product.translations) == (6, {"de": {"name": "5 Stunden"}})
    assert set(product.services.all()) == {yoga, pilates}


def test_a_sold_pass_is_taken_off_sale_not_deleted(client, company):
    yoga = ServiceFactory(company=company, name="Yoga")
    product = pass_product_create(
        company=company,
        fields=PassProductFields(
            name="5 classes", entries=5, valid_days=30, price=Decimal(40), services=(yoga.pk,)
        ),
    )
    bought = pass_purchase(
        customer=customer_of(company), product=product, method=Method.CARD, now=NOW
    )
    pass_activate(customer_pass=bought, now=NOW)
    before = payment_tables()
    # Django's own "cannot delete: protected rows" page (pass_product_delete would
    # refuse it too).
    response = client.post(url(PassProduct, "delete", product.pk), {"post": "yes"})
    assert response.status_code == 200
    assert response.context["protected"]
    assert payment_tables() == before

    response = client.post(
        url(PassProduct, "changelist"),
        {"action": "archive", "_selected_action": [str(product.pk)]},
        follow=True,
    )
    assert "1 pass taken off sale." in texts(response)
    product.refresh_from_db()
    assert not product.active


# -- wallets ---------------------------------------------------------------------------


def grant_form(customer, **changes) -> dict:
    return {
        "customer": customer.pk,
        "unit": Unit.CREDIT,
        "reason": EntryReason.STAFF_GRANT,
        "amount": "3",
        "note": "Missed class",
        "_save": "1",
        **changes,
    }


def test_a_grant_in_the_admin_goes_through_the_domain_and_names_the_operator(client, company, root):
    customer = customer_of(company)
    response = client.post(url(WalletEntry, "add"), grant_form(customer))
    assert response.status_code == 302
    entry = WalletEntry.objects.get()
    assert (entry.wallet.customer, entry.reason, entry.amount, entry.note, entry.actor) == (
        customer,
        EntryReason.STAFF_GRANT,
        Decimal(3),
        "Missed class",
        root,
    )
    assert wallet_balance(customer, Unit.CREDIT) == Decimal(3)


def test_refused_grants_and_corrections_write_nothing(client, company):
    customer = customer_of(company)
    wallet_grant(customer=customer, unit=Unit.CREDIT, amount=Decimal(1), note="Start")
    before = payment_tables()
    response = client.post(url(WalletEntry, "add"), grant_form(customer, note=""))
    assert errors(response) == {
        "note": ["Write down why: the customer and your colleagues see it."]
    }
    response = client.post(url(WalletEntry, "add"), grant_form(customer, amount="1.5"))
    assert errors(response) == {"amount": ["Class credits are whole numbers."]}
    response = client.post(
        url(WalletEntry, "add"),
        grant_form(customer, reason=EntryReason.STAFF_CORRECTION, amount="-2", note="Oops"),
    )
    assert errors(response) == {"__all__": ["Not enough credits: the balance is 1."]}
    assert payment_tables() == before

    response = client.post(
        url(WalletEntry, "add"),
        grant_form(customer, reason=EntryReason.STAFF_CORRECTION, amount="-1", note="Oops"),
    )
    assert response.status_code == 302
    assert wallet_balance(customer, Unit.CREDIT) == Decimal(0)


def test_ledger_rows_cannot_be_edited_or_deleted(client, company):
    customer = customer_of(company)
    entry = wallet_grant(customer=customer, unit=Unit.MONEY, amount=Decimal("5.00"), note="Gift")
    yoga = ServiceFactory(company=company, name="Yoga")
    product = pass_product_create(
        company=company,
        fields=PassProductFields(
            name="5 classes", entries=5, valid_days=30, price=Decimal(40), services=(yoga.pk,)
        ),
    )
    pass_purchase(customer=customer, product=product, method=Method.CARD, now=NOW)
    payment = Payment.objects.get()
    before = payment_tables()

    for row, field in ((entry, "note"), (payment, "state")):
        page = client.get(url(type(row), "change", row.pk))
        assert page.status_code == 200  # shown
        assert field not in page.context["adminform"].form.fields
        response = client.post(url(type(row), "change", row.pk), {field: "x"})
        assert response.status_code == 403
        response = client.post(url(type(row), "delete", row.pk), {"post": "yes"})
        assert response.status_code == 403
    assert client.get(url(Payment, "add")).status_code == 403
    assert client.get(url(Wallet, "change", entry.wallet_id)).status_code == 200
    assert payment_tables() == before
    assert Payment.objects.get().state == PaymentState.PENDING


def test_the_stripe_keys_stay_off_the_settings_page(client, company):
    settings = company.payment_settings
    settings.stripe_secret_key = "sk_test_secret_value"
    settings.save()
    page = client.get(url(type(settings), "change", settings.pk))
    assert page.status_code == 200
    assert b"sk_test_secret_value" not in page.content
