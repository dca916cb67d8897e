"""Shared by the card tests: a practice that takes cards through the fake Stripe, and
a webhook delivery of what the fake signed, through the real endpoint."""

from rendezvous.availability.domain import Window, service_slots
from rendezvous.bookings.models import Booking
from rendezvous.core.models import AuditEntry
from rendezvous.notifications.models import OutboxMessage
from rendezvous.payments.domain.card import card_checkout_start
from rendezvous.payments.domain.settings import PaymentSettingsFields, payment_settings_update
from rendezvous.payments.models import Payment, Refund, WebhookEvent
from tests.conftest import BERLIN, NOW
from tests.fakes.stripe import SECRET_KEY, WEBHOOK_SECRET

SUCCESS = "https://practice.example/pay/done?session={CHECKOUT_SESSION_ID}"
CANCEL = "https://practice.example/pay/cancelled"


def take_cards(company, **more) -> None:
    payment_settings_update(
        company=company,
        fields=PaymentSettingsFields(
            stripe_secret_key=SECRET_KEY, stripe_webhook_secret=WEBHOOK_SECRET, card=True, **more
        ),
    )


def checkout(booking: Booking, now=NOW) -> Payment:
    return card_checkout_start(booking=booking, success_url=SUCCESS, cancel_url=CANCEL, now=now)


def webhook_url(company) -> str:
    return f"/api/v1/companies/{company.slug}/payments/stripe/webhook"


def post_signed(client, company, payload: bytes, header: str):
    return client.post(
        webhook_url(company),
        data=payload,
        content_type="application/json; charset=utf-8",
        headers={"Stripe-Signature": header},
    )


def deliver_last(client, fake, company):
    """POST the event the fake just made (and signed) to the company's endpoint."""
    delivery = fake.deliveries[-1]
    return post_signed(client, company, delivery.payload, delivery.header)


def free_staff(practice, service, start) -> list[int]:
    """The staff the slot search offers at `start` (none: the time is not bookable)."""
    day = start.astimezone(BERLIN).date()
    slots = service_slots(
        company=practice.company,
        service=service,
        window=Window.for_dates(day, day, BERLIN),
        now=NOW,
    )
    return next((list(s.staff) for s in slots if s.start == int(start.timestamp())), [])


def stored() -> tuple:
    """Every row a payment or a webhook may touch: what a refusal keeps as it was."""
    return (
        list(Payment.objects.order_by("id").values()),
        list(Refund.objects.order_by("id").values()),
        list(WebhookEvent.objects.order_by("id").values()),
        list(Booking.objects.order_by("id").values_list("id", "status", "payment_status")),
        OutboxMessage.objects.count(),
        AuditEntry.objects.count(),
    )
