"""A pass bought by card on the booking site: the passes page opens a Stripe Checkout
(the fake, over HTTP), its signed webhook activates the pass; a double click opens one
checkout, Stripe down leaves the pass unpaid, the sweep fails an abandoned checkout."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client

from rendezvous.core.errors import InvalidState
from rendezvous.payments.domain.card import card_checkout_start_for_pass, card_holds_release
from rendezvous.payments.domain.passes import (
    PassProductFields,
    pass_activate,
    pass_product_create,
    pass_purchase,
)
from rendezvous.payments.domain.settings import PaymentSettingsFields, payment_settings_update
from rendezvous.payments.models import CustomerPass, Method, Payment, PaymentState
from rendezvous.public.access import SESSION_KEY
from tests.conftest import NOW
from tests.payments.card_support import CANCEL, SUCCESS, deliver_last, post_signed
from tests.payments.core_rows import customer_of, payment_tables

pytestmark = pytest.mark.integration

BASE = "https://practice.example"
UNAVAILABLE = (
    "Card payments are not available right now. Your pass was not bought and nothing was "
    "charged: please try again in a few minutes."
)


@pytest.fixture
def ten(carded, settings):
    """The carded practice also sells a 10-class yoga pass, valid 90 days, for 120.00."""
    settings.BASE_URL = BASE
    payment_settings_update(company=carded.company, fields=PaymentSettingsFields(passes=True))
    return pass_product_create(
        company=carded.company,
        fields=PassProductFields(
            name="10 classes",
            entries=10,
            valid_days=90,
            price=Decimal("120"),
            services=(carded.yoga.pk,),
        ),
    )


@pytest.fixture
def buyer(carded):
    """A signed-in customer's browser (with CSRF checks, as a browser meets them)."""
    customer = customer_of(carded.company)
    browser = Client(enforce_csrf_checks=True)
    session = browser.session
    session[SESSION_KEY % carded.company.pk] = customer.email
    session.save()
    browser.customer = customer  # type: ignore[attr-defined]
    return browser


def passes_url(company) -> str:
    return f"/en/{company.slug}/passes/"


def buy(browser: Client, company, product, method: str = "card"):
    url = passes_url(company)
    page = browser.get(url)
    token = page.cookies["csrftoken"].value
    return browser.post(
        url, {"product": product.pk, "method": method, "csrfmiddlewaretoken": token}
    )


def test_a_pass_bought_by_card_is_active_after_its_signed_webhook(carded, fake, ten, buyer, client):
    company = carded.company
    page = buyer.get(passes_url(company)).content.decode()
    assert 'value="card"' in page and ">Card</label>" in page

    response = buy(buyer, company, ten)

    assert response.status_code == 302
    [session] = fake.sessions.values()
    assert response["Location"] == session["url"]
    bought = CustomerPass.objects.get()
    payment = Payment.objects.get()
    assert not bought.active
    assert (payment.method, payment.state, payment.customer_pass_id, payment.booking_id) == (
        Method.CARD,
        PaymentState.PENDING,
        bought.pk,
        None,
    )
    assert payment.provider_ref == session["id"]
    assert payment.expires_at == NOW + timedelta(minutes=15)
    assert session["metadata"] == {"payment": str(payment.pk), "company": str(company.pk)}
    assert session["amount_total"] == 12000 and session["currency"] == "eur"
    assert session["success_url"] == f"{BASE}/en/{company.slug}/my/"
    assert session["cancel_url"] == f"{BASE}{passes_url(company)}"
    [call] = fake.calls("POST", "/v1/checkout/sessions")
    assert call.idempotency_key == f"checkout-{payment.pk}"
    assert call.params["line_items"][0]["price_data"]["product_data"]["name"] == "10 classes"
    assert call.params["customer_email"] == buyer.customer.email

    # Until paid, My bookings shows the pass waiting, with the way back to the checkout.
    my = buyer.get(f"/en/{company.slug}/my/").content.decode()
    assert "Waiting for payment" in my and f'href="{session["url"]}"' in my

    # The customer pays on Stripe's page; Stripe tells us, signed.
    fake.complete(session["id"])
    answer = deliver_last(client, fake, company)
    assert answer.status_code == 200 and answer.json()["outcome"] == "paid"
    bought.refresh_from_db()
    payment.refresh_from_db()
    assert bought.active and bought.entries_left == bought.entries_total == 10
    assert bought.expires_at == NOW + timedelta(days=90)
    assert payment.state == PaymentState.PAID and payment.provider_payment
    my = buyer.get(f"/en/{company.slug}/my/").content.decode()
    assert "10 of 10 entries left" in my and "Waiting for payment" not in my


def test_a_double_click_opens_one_checkout(carded, fake, ten, buyer):
    first = buy(buyer, carded.company, ten)
    second = buy(buyer, carded.company, ten)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert len(fake.sessions) == 1
    assert len(fake.calls("POST", "/v1/checkout/sessions")) == 1
    assert CustomerPass.objects.count() == Payment.objects.count() == 1


def test_stripe_down_leaves_the_pass_unpaid_with_the_message(carded, fake, ten, buyer):
    company = carded.company
    before = payment_tables()
    fake.down()

    response = buy(buyer, company, ten)

    assert response.status_code == 409
    assert f'<div class="alert" role="alert">{UNAVAILABLE}</div>' in response.content.decode()
    after = payment_tables()
    # The pass stays inactive, its payment failed; nothing else changed.
    [bought] = CustomerPass.objects.all()
    [payment] = Payment.objects.all()
    assert not bought.active and bought.entries_left == 10
    assert (payment.customer_pass_id, payment.method, payment.state) == (
        bought.pk,
        Method.CARD,
        PaymentState.FAILED,
    )
    assert payment.checkout_url == "" and payment.provider_ref == ""
    assert (before[0], before[1], before[3], before[5:8]) == (
        after[0],
        after[1],
        after[3],
        after[5:8],
    )
    assert before[2] == [] and before[4] == []
    assert fake.sessions == {}
    # My bookings shows no pass waiting for a payment that failed.
    my = buyer.get(f"/en/{company.slug}/my/").content.decode()
    assert "10 classes" not in my and "Waiting for payment" not in my

    # Stripe back: buying again opens a checkout for a new pass.
    fake.up()
    again = buy(buyer, company, ten)
    assert again.status_code == 302 and len(fake.sessions) == 1
    assert CustomerPass.objects.count() == 2


def test_the_sweep_fails_an_abandoned_pass_checkout(carded, fake, ten, buyer, frozen_now):
    buy(buyer, carded.company, ten)
    payment = Payment.objects.get()
    assert card_holds_release(now=NOW + timedelta(minutes=14)) == 0
    payment.refresh_from_db()
    assert payment.state == PaymentState.PENDING

    later = NOW + timedelta(minutes=16)
    frozen_now.move_to(later)
    assert card_holds_release(now=later) == 1
    assert fake.sessions[payment.provider_ref]["status"] == "expired"
    payment.refresh_from_db()
    bought = CustomerPass.objects.get()
    assert payment.state == PaymentState.FAILED and not bought.active
    assert card_holds_release(now=later) == 0  # nothing left to settle
    my = buyer.get(f"/en/{carded.company.slug}/my/").content.decode()
    assert "10 classes" not in my and "Waiting for payment" not in my

    # Its checkout ran out: a second click is refused, nothing is written.
    before = payment_tables()
    with pytest.raises(InvalidState):
        card_checkout_start_for_pass(
            customer_pass=bought, success_url=SUCCESS, cancel_url=CANCEL, now=later
        )
    assert payment_tables() == before


def test_the_sweep_activates_a_pass_paid_just_before_its_hold_ran_out(
    carded, fake, ten, buyer, client, frozen_now
):
    buy(buyer, carded.company, ten)
    payment = Payment.objects.get()
    fake.complete(payment.provider_ref)  # the webhook is late: not delivered yet
    later = NOW + timedelta(minutes=16)
    frozen_now.move_to(later)
    assert card_holds_release(now=later) == 1
    payment.refresh_from_db()
    bought = CustomerPass.objects.get()
    assert payment.state == PaymentState.PAID and bought.active
    assert bought.expires_at == later + timedelta(days=90)
    # Stripe's retry of the late event (signed when it is sent) finds it paid: the
    # expiry does not move.
    payload, header = fake.signed_event(fake.deliveries[-1].event)
    answer = post_signed(client, carded.company, payload, header)
    assert answer.json()["outcome"] == "already_paid"
    bought.refresh_from_db()
    assert bought.expires_at == later + timedelta(days=90)


def test_an_open_checkout_is_returned_as_it_is(carded, fake, ten, frozen_now):
    customer = customer_of(carded.company)
    bought = pass_purchase(customer=customer, product=ten, method=Method.CARD, now=NOW)
    first = card_checkout_start_for_pass(
        customer_pass=bought, success_url=SUCCESS, cancel_url=CANCEL, now=NOW
    )
    again = card_checkout_start_for_pass(
        customer_pass=bought,
        success_url=SUCCESS,
        cancel_url=CANCEL,
        now=NOW + timedelta(minutes=5),
    )
    assert (again.pk, again.checkout_url, again.expires_at) == (
        first.pk,
        first.checkout_url,
        NOW + timedelta(minutes=15),
    )
    assert len(fake.sessions) == 1


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("cards_off", "This business does not take card payments."),
        ("active", "This pass is active already."),
        ("transfer", "This pass has no card payment waiting."),
    ],
)
def test_a_refused_pass_checkout_writes_nothing(carded, fake, ten, frozen_now, case, message):
    customer = customer_of(carded.company)
    method = Method.BANK_TRANSFER if case == "transfer" else Method.CARD
    if case == "transfer":
        payment_settings_update(
            company=carded.company,
            fields=PaymentSettingsFields(
                bank_transfer=True, account_holder="Studio Practice", iban="DE89370400440532013000"
            ),
        )
    bought = pass_purchase(customer=customer, product=ten, method=method, now=NOW)
    if case == "active":
        bought = pass_activate(customer_pass=bought, now=NOW)
    if case == "cards_off":
        payment_settings_update(company=carded.company, fields=PaymentSettingsFields(card=False))
    before = payment_tables()
    with pytest.raises(InvalidState) as refused:
        card_checkout_start_for_pass(
            customer_pass=bought, success_url=SUCCESS, cancel_url=CANCEL, now=NOW
        )
    assert refused.value.reason == message
    assert payment_tables() == before
    assert fake.calls("POST", "/v1/checkout/sessions") == []


def test_a_free_pass_chosen_by_card_is_active_without_a_checkout(carded, fake, ten, buyer):
    ten.price = Decimal(0)
    ten.save()
    response = buy(buyer, carded.company, ten)
    bought = CustomerPass.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{passes_url(carded.company)}{bought.pk}/"
    assert bought.active and Payment.objects.get().state == PaymentState.PAID
    assert fake.sessions == {}
