"""Passes on the booking site: the passes on sale in the visitor's language, bought by a
signed-in customer (by card, transfer or on site), and shown with the credits in My bookings."""

import re
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.core import mail
from django.test import Client, override_settings

from rendezvous.payments.domain.bank import mark_received
from rendezvous.payments.domain.passes import PassProductFields, pass_product_create
from rendezvous.payments.domain.wallet import wallet_grant
from rendezvous.payments.models import (
    CustomerPass,
    Method,
    Payment,
    PaymentSettings,
    PaymentState,
    Unit,
)
from rendezvous.public.access import SESSION_KEY
from tests.conftest import NOW, TOMORROW_10, book
from tests.factories import CompanyFactory
from tests.fakes.stripe import FakeStripe
from tests.payments.card_support import take_cards
from tests.payments.core_rows import customer_of, paid_service, payment_tables, sells_passes
from tests.public.test_pages import post_booking

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("frozen_now")]


@pytest.fixture
def ten(practice):
    """The practice sells a 10-entry massage pass, valid 30 days, for 90.00 EUR."""
    sells_passes(practice.company)
    massage = paid_service(practice, translations={"de": {"name": "Massage (de)"}})
    return pass_product_create(
        company=practice.company,
        fields=PassProductFields(
            name="10 massages",
            entries=10,
            valid_days=30,
            price=Decimal(90),
            services=(massage.pk,),
            translations={"de": {"name": "10er-Karte Massage"}},
        ),
    )


def signed_in(company, email: str) -> Client:
    client = Client(enforce_csrf_checks=True)
    session = client.session
    session[SESSION_KEY % company.pk] = email
    session.save()
    return client


def post_with_csrf(client: Client, url: str, data: dict):
    page = client.get(url)
    return client.post(url, {**data, "csrfmiddlewaretoken": page.cookies["csrftoken"].value})


def test_the_passes_on_sale_in_two_languages(client, practice, ten):
    english = client.get(f"/en/{practice.company.slug}/passes/")
    assert english.status_code == 200
    html = english.content.decode()
    for shown in ("10 massages", "10 entries", "valid for 30 days from payment", "€90.00"):
        assert shown in html, shown
    assert "Massage" in html
    german = client.get(f"/de/{practice.company.slug}/passes/").content.decode()
    assert "10er-Karte Massage" in german and "10 massages" not in german
    assert "Massage (de)" in german
    # In German figures (the labels' own translations arrive with the catalogues).
    assert "90,00\xa0€" in german


def test_a_signed_in_customer_buys_by_transfer_then_the_pass_is_active(practice, ten):
    customer = customer_of(practice.company)
    client = signed_in(practice.company, customer.email)
    url = f"/en/{practice.company.slug}/passes/"
    page = client.get(url).content.decode()
    assert 'value="bank_transfer"' in page and 'value="on_site"' in page
    assert 'value="card"' not in page  # cards on, but Stripe not connected
    response = post_with_csrf(client, url, {"product": ten.pk, "method": "bank_transfer"})
    assert response.status_code == 302
    bought = CustomerPass.objects.get()
    assert response["Location"] == f"{url}{bought.pk}/"
    payment = Payment.objects.get()
    assert (payment.method, payment.state, payment.customer_pass_id) == (
        Method.BANK_TRANSFER,
        PaymentState.PENDING,
        bought.pk,
    )
    html = client.get(response["Location"]).content.decode()
    for shown in (
        "Studio Practice",
        "DE89 3704 0044 0532 0130 00",
        "€90.00",
        payment.reference,
        "December 4, 2026",
        "Waiting for payment",
    ):
        assert shown in html, shown
    my = client.get(f"/en/{practice.company.slug}/my/").content.decode()
    assert "Waiting for payment" in my and payment.reference in my

    mark_received(payment=payment, actor=None, now=NOW)
    my = client.get(f"/en/{practice.company.slug}/my/").content.decode()
    assert "10 massages" in my and "10 of 10 entries left" in my
    assert "Valid until December 31, 2026" in my
    assert "Waiting for payment" not in my and payment.reference not in my


def test_card_is_offered_once_stripe_is_connected_and_opens_its_checkout(practice, ten, settings):
    settings.BASE_URL = "https://practice.example"
    customer = customer_of(practice.company)
    client = signed_in(practice.company, customer.email)
    url = f"/en/{practice.company.slug}/passes/"
    with FakeStripe() as stripe_fake:
        settings.STRIPE_API_BASE = stripe_fake.api_base
        take_cards(practice.company)
        page = client.get(url).content.decode()
        assert 'value="card"' in page and ">Card</label>" in page
        response = post_with_csrf(client, url, {"product": ten.pk, "method": "card"})
        [session] = stripe_fake.sessions.values()
    assert response.status_code == 302 and response["Location"] == session["url"]
    assert session["success_url"] == f"https://practice.example/en/{practice.company.slug}/my/"
    assert session["cancel_url"] == f"https://practice.example{url}"
    payment = Payment.objects.get()
    assert (payment.method, payment.state) == (Method.CARD, PaymentState.PENDING)
    assert not CustomerPass.objects.get().active
    # Until it is paid, My bookings shows the pass waiting.
    assert "Waiting for payment" in client.get(f"/en/{practice.company.slug}/my/").content.decode()


def test_on_site_waits_for_the_desk(practice, ten):
    customer = customer_of(practice.company)
    client = signed_in(practice.company, customer.email)
    url = f"/en/{practice.company.slug}/passes/"
    response = post_with_csrf(client, url, {"product": ten.pk, "method": "on_site"})
    html = client.get(response["Location"]).content.decode()
    assert "You pay €90.00 on site." in html and "Waiting for payment" in html
    assert Payment.objects.get().method == Method.ON_SITE


def test_a_signed_out_visitor_is_sent_to_sign_in_and_nothing_is_bought(
    practice, ten, django_capture_on_commit_callbacks
):
    client = Client()
    url = f"/en/{practice.company.slug}/passes/"
    signin = f"/en/{practice.company.slug}/my/?next={quote(url, safe='')}"
    html = client.get(url).content.decode()
    assert f'href="{signin}"' in html and "Sign in to buy" in html
    assert 'name="method"' not in html
    before = payment_tables()
    response = client.post(url, {"product": ten.pk, "method": "bank_transfer"})
    assert response.status_code == 302 and response["Location"] == signin
    assert payment_tables() == before

    # The sign-in link keeps where the visitor was going.
    book(practice, TOMORROW_10, n="passes")
    mail.outbox.clear()
    form = client.get(signin).content.decode()
    assert f'name="next" value="{url}"' in form
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/en/{practice.company.slug}/my/", {"email": "customerpasses@example.com", "next": url}
        )
    [message] = mail.outbox
    link = next(line for line in message.body.splitlines() if "/my/signin/" in line)
    link = link.strip().replace("http://testserver", "")
    assert "next=" in link
    assert client.get(link).status_code == 200
    answer = client.post(link)
    assert answer.status_code == 302 and answer["Location"] == url


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/x", "/en/other/passes/"]
)
def test_a_next_elsewhere_is_dropped(client, practice, ten, next_url):
    CompanyFactory(slug="other")
    form = client.get(f"/en/{practice.company.slug}/my/", {"next": next_url}).content.decode()
    assert 'name="next"' not in form


def test_a_company_without_passes_is_404(client, practice):
    assert client.get(f"/en/{practice.company.slug}/passes/").status_code == 404
    before = payment_tables()
    customer = customer_of(practice.company)
    response = signed_in(practice.company, customer.email).post(
        f"/en/{practice.company.slug}/passes/", {"product": "1", "method": "on_site"}
    )
    assert response.status_code in (403, 404)
    assert payment_tables()[2:5] == before[2:5]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"method": "card"}, "This payment method is not available for passes."),
        ({"method": "nonsense"}, "This payment method is not available for passes."),
        ({"method": "bank_transfer", "product": "999999"}, "This pass is no longer on sale."),
    ],
)
def test_a_refused_purchase_shows_the_message_and_changes_nothing(practice, ten, data, message):
    customer = customer_of(practice.company)
    client = signed_in(practice.company, customer.email)
    before = payment_tables()
    response = post_with_csrf(
        client, f"/en/{practice.company.slug}/passes/", {"product": ten.pk, **data}
    )
    assert response.status_code == 409
    assert f'<div class="alert" role="alert">{message}</div>' in response.content.decode()
    assert payment_tables() == before


def test_without_the_csrf_token_nothing_is_bought(practice, ten):
    customer = customer_of(practice.company)
    before = payment_tables()
    response = signed_in(practice.company, customer.email).post(
        f"/en/{practice.company.slug}/passes/", {"product": ten.pk, "method": "on_site"}
    )
    assert response.status_code == 403
    assert payment_tables() == before


def test_another_customers_pass_page_is_404(practice, ten):
    owner = customer_of(practice.company, 1)
    buyer = signed_in(practice.company, owner.email)
    response = post_with_csrf(
        buyer, f"/en/{practice.company.slug}/passes/", {"product": ten.pk, "method": "on_site"}
    )
    other = signed_in(practice.company, customer_of(practice.company, 2).email)
    assert other.get(response["Location"]).status_code == 404
    assert Client().get(response["Location"]).status_code == 404


def test_my_bookings_shows_the_balances_or_the_empty_state(practice, ten):
    customer = customer_of(practice.company)
    client = signed_in(practice.company, customer.email)
    my = client.get(f"/en/{practice.company.slug}/my/").content.decode()
    assert "You have no passes or credits yet." in my
    assert f'href="/en/{practice.company.slug}/passes/"' in my
    wallet_grant(customer=customer, unit=Unit.MONEY, amount=Decimal("12.50"), note="Voucher")
    wallet_grant(customer=customer, unit=Unit.CREDIT, amount=Decimal(3), note="Welcome")
    my = client.get(f"/en/{practice.company.slug}/my/").content.decode()
    assert "€12.50" in my and "3 class credits" in my
    assert "You have no passes or credits yet." not in my
    danish = client.get(f"/da/{practice.company.slug}/my/").content.decode()
    assert "12,50\xa0€" in danish


@override_settings(BOOKING_RATE_LIMIT="2/m")
def test_buying_is_rate_limited_like_booking(practice, ten):
    customer = customer_of(practice.company)
    client = signed_in(practice.company, customer.email)
    url = f"/en/{practice.company.slug}/passes/"
    token = client.get(url).cookies["csrftoken"].value
    data = {"product": ten.pk, "method": "nonsense", "csrfmiddlewaretoken": token}
    statuses = [client.post(url, data).status_code for _ in range(3)]
    assert statuses == [409, 409, 429]
    assert not CustomerPass.objects.exists()


def test_the_list_costs_the_same_queries_for_one_pass_or_many(
    client, practice, ten, django_assert_max_num_queries
):
    url = f"/en/{practice.company.slug}/passes/"
    with django_assert_max_num_queries(8) as one:
        client.get(url)
    for n in range(5):
        pass_product_create(
            company=practice.company,
            fields=PassProductFields(
                name=f"Pass {n}",
                entries=5,
                valid_days=60,
                price=Decimal(40),
                services=tuple(ten.services.values_list("pk", flat=True)),
            ),
        )
    with django_assert_max_num_queries(len(one.captured_queries)):
        html = client.get(url).content.decode()
    assert "Pass 4" in html


def test_the_payment_section_leads_to_the_passes_on_sale(practice, ten):
    massage = ten.services.get()
    client = Client()
    response = post_booking(client, practice, start=TOMORROW_10, service=massage)
    assert response.status_code == 302, response.content
    html = client.get(response["Location"]).content.decode()
    assert 'value="pass"' in html and "No pass yet?" in html
    [link] = re.findall(r'<a href="([^"]+)">See the passes on sale</a>', html)
    shop = client.get(link)
    assert shop.status_code == 200 and "10 massages" in shop.content.decode()


def test_without_passes_the_payment_section_has_no_way_to_them(practice, ten):
    settings_row = PaymentSettings.objects.get(company=practice.company)
    settings_row.passes = False
    settings_row.save()
    client = Client()
    response = post_booking(client, practice, start=TOMORROW_10, service=ten.services.get())
    html = client.get(response["Location"]).content.decode()
    assert 'value="bank_transfer"' in html
    assert 'value="pass"' not in html and "No pass yet?" not in html
