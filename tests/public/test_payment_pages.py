"""The payment section of the confirmation and manage pages: the amount due, the
company's methods as buttons, a bank transfer's account and reference, and no meeting
link before the money arrives."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client

from rendezvous.bookings.models import Booking
from rendezvous.meetings.models import MeetingAccount
from rendezvous.payments.domain.bank import mark_received
from rendezvous.payments.models import Payment, PaymentState
from tests.conftest import NOW, TOMORROW_10
from tests.payments.test_bank_transfer import stored, take_transfers
from tests.public.test_pages import post_booking

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("frozen_now")]

NEXT_WEEK = TOMORROW_10 + timedelta(days=7)


@pytest.fixture
def paid(practice):
    take_transfers(practice.company)
    MeetingAccount.objects.create(
        company=practice.company, provider="static_link", url="https://room.example/a"
    )
    for service in (practice.service, practice.video):
        service.requires_payment = True
        service.price = Decimal("40.00")
        service.save()
    return practice


def booked(client, practice, service):
    response = post_booking(client, practice, start=NEXT_WEEK, service=service)
    assert response.status_code == 302, response.content
    return response["Location"], Booking.objects.get()


def test_the_confirmation_page_offers_the_methods_as_forms(client, paid):
    url, booking = booked(client, paid, paid.service)
    html = client.get(url).content.decode()
    assert "Amount due: <strong>€40.00</strong>" in html
    pay_url = f"/en/manage/{booking.id}/"
    assert f'action="{pay_url}' in html and "/pay/" in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'value="bank_transfer"' in html and "Pay by bank transfer" in html
    assert 'value="on_site"' in html and "Pay on site" in html
    assert 'role="group" aria-labelledby="pay-choose"' in html


def test_choosing_a_transfer_shows_the_account_the_reference_and_no_link(paid):
    url, booking = booked(Client(), paid, paid.video)
    client = Client(enforce_csrf_checks=True)
    page = client.get(url)
    html = page.content.decode()
    assert 'value="on_site"' not in html  # a video meeting is not paid on site
    token = page.cookies["csrftoken"].value
    pay_url = url.replace(f"/en/{paid.company.slug}/booked/", "/en/manage/") + "pay/"
    response = client.post(
        pay_url,
        {"method": "bank_transfer", "next": "booked", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302 and response["Location"] == url + "?done=pay_started"
    payment = Payment.objects.get()
    html = client.get(response["Location"]).content.decode()
    assert "Thank you! Your payment details are below." in html
    for shown in (
        "Practice GmbH",
        "DE89 3704 0044 0532 0130 00",
        "COBADEFFXXX",
        payment.reference,
        "December 4, 2026",
        "Please transfer €40.00",
    ):
        assert shown in html, shown
    assert "The link appears once payment is confirmed." in html
    assert "/join/" not in html
    # Paid: the link shows, the buttons and the account are gone.
    mark_received(payment=payment, actor=None, now=NOW)
    manage = client.get(url.replace(f"/en/{paid.company.slug}/booked/", "/en/manage/"))
    html = manage.content.decode()
    assert "Paid: €40.00. Thank you!" in html and "/join/" in html
    assert payment.reference not in html


def test_a_form_without_the_csrf_token_is_refused(paid):
    url, booking = booked(Client(), paid, paid.service)
    manage = url.replace(f"/en/{paid.company.slug}/booked/", "/en/manage/")
    before = stored()
    response = Client(enforce_csrf_checks=True).post(manage + "pay/", {"method": "on_site"})
    assert response.status_code == 403
    assert stored() == before


@pytest.mark.parametrize(
    ("method", "message"),
    [
        ("card", "This way of paying is not offered for this booking."),
        ("nonsense", "Unknown payment method."),
    ],
)
def test_a_method_not_offered_is_shown_as_a_message_and_changes_nothing(
    client, paid, method, message
):
    url, booking = booked(client, paid, paid.service)
    manage = url.replace(f"/en/{paid.company.slug}/booked/", "/en/manage/")
    before = stored()
    response = client.post(manage + "pay/", {"method": method})
    assert response.status_code == 409
    assert f'<div class="alert" role="alert">{message}</div>' in response.content.decode()
    assert stored() == before


def test_a_wrong_token_is_404(client, paid):
    _url, booking = booked(client, paid, paid.service)
    before = stored()
    assert (
        client.post(f"/en/manage/{booking.id}/wrong/pay/", {"method": "on_site"}).status_code == 404
    )
    assert stored() == before


def test_paying_on_site_says_so_on_the_manage_page(client, paid):
    url, booking = booked(client, paid, paid.service)
    manage = url.replace(f"/en/{paid.company.slug}/booked/", "/en/manage/")
    response = client.post(manage + "pay/", {"method": "on_site"})
    assert response["Location"] == manage + "?done=pay_started"
    html = client.get(response["Location"]).content.decode()
    assert "You pay €40.00 on site." in html and "Choose how to pay" not in html
    assert Payment.objects.get().state == PaymentState.PENDING


def test_a_booking_without_payment_has_no_payment_section(client, practice):
    response = post_booking(client, practice, start=NEXT_WEEK, service=practice.service)
    assert 'id="payment"' not in client.get(response["Location"]).content.decode()
