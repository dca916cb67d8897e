"""Shared by the wallet, pass and payments-admin tests: every payments row, to prove a
refusal changed nothing, and the paid services they book."""

from decimal import Decimal

from rendezvous.bookings.models import Booking, Customer
from rendezvous.core.models import AuditEntry
from rendezvous.payments.models import (
    CustomerPass,
    PassProduct,
    PassUse,
    Payment,
    PaymentSettings,
    Wallet,
    WalletEntry,
)
from tests.factories import ServiceFactory


def payment_tables() -> tuple:
    """Every row a payments write may touch (the bookings' payment status included)."""
    return (
        list(PassProduct.objects.order_by("pk").values()),
        list(PassProduct.services.through.objects.order_by("pk").values()),
        list(CustomerPass.objects.order_by("pk").values()),
        list(PassUse.objects.order_by("pk").values()),
        list(Payment.objects.order_by("pk").values()),
        list(Wallet.objects.order_by("pk").values()),
        list(WalletEntry.objects.order_by("pk").values()),
        list(Booking.objects.order_by("pk").values_list("pk", "payment_status", "updated_at")),
        AuditEntry.objects.count(),
    )


def customer_of(company, n: int | str = 1) -> Customer:
    return Customer.objects.create(
        company=company, first_name="Pia", last_name=f"Payer {n}", email=f"pia{n}@example.com"
    )


def sells_passes(company, **flags) -> PaymentSettings:
    """The company's payment settings with passes on (other flags as given)."""
    values = {
        "passes": True,
        "card": True,
        "bank_transfer": True,
        "account_holder": "Studio Practice",
        "iban": "DE89370400440532013000",
        **flags,
    }
    return PaymentSettings.objects.create(company=company, **values)


def paid_service(practice, **fields):
    """A 60-minute appointment that asks for payment, given by every practice staff."""
    fields.setdefault("name", "Massage")
    return ServiceFactory(
        company=practice.company,
        duration_minutes=60,
        price=Decimal("40.00"),
        requires_payment=True,
        staff=practice.staff,
        **fields,
    )
