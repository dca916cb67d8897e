"""Payments, refunds, wallets of credits, passes. Writes go through payments.domain.

| model | what |
| --- | --- |
| PaymentSettings | one per company: the methods it takes, how long a card checkout holds the time, the bank account for transfers and their due days, its Stripe keys (encrypted, core.crypto), the refund share after the cancel cut-off |
| Payment | money asked for a booking or a pass purchase, by one method: `pending` until it is paid (webhook, staff, or at once for credits and passes), `failed` when abandoned or refused; refunds move it to `partially_refunded` / `refunded` |
| Refund | money given back on one payment: by the provider (`done` when it answers) or by hand (bank transfers: `pending` until staff mark it paid back) |
| Wallet, WalletEntry | a customer's credits with one company: the balance is the sum of the append-only entries per unit (money in the company's currency, or class credits), each with its reason |
| PassProduct, CustomerPass, PassUse | a pass on sale (N entries, valid D days, for some services), the passes customers own (entries left, expiry), and each entry spent on a booking (given back on a cancel within the cut-off) |
| WebhookEvent | a provider's webhook event, once per event id and company, with what handling it did |

Amounts are Decimals with three decimal places in the database, quantized to the
currency's minor units (payments.domain.money), never floats.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from rendezvous.bookings.models import Booking, Customer
from rendezvous.catalog.models import Service, Translated
from rendezvous.companies.models import Company
from rendezvous.core.crypto import EncryptedTextField


class Method(models.TextChoices):
    CARD = "card", _("Card")
    CREDITS = "credits", _("Credits")
    PASS = "pass", _("Pass entry")
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    ON_SITE = "on_site", _("Pay on site")


class PaymentState(models.TextChoices):
    PENDING = "pending", _("Pending")
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Failed")
    REFUNDED = "refunded", _("Refunded")
    PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")


class PaymentSettings(models.Model):
    company = models.OneToOneField(
        Company, on_delete=models.CASCADE, related_name="payment_settings"
    )
    card = models.BooleanField(_("card (Stripe)"), default=False)
    credits = models.BooleanField(_("credits"), default=False)
    passes = models.BooleanField(_("passes"), default=False)
    bank_transfer = models.BooleanField(_("bank transfer"), default=False)
    on_site = models.BooleanField(_("pay on site"), default=True)
    hold_minutes = models.PositiveSmallIntegerField(
        _("hold a card checkout for (minutes)"),
        default=15,
        help_text=_("The time or seat stays taken while the customer pays; then it is free again."),
    )
    account_holder = models.CharField(_("account holder"), max_length=140, blank=True)
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    transfer_due_days = models.PositiveSmallIntegerField(
        _("transfers due within (days)"), default=3
    )
    cancel_unpaid_transfers = models.BooleanField(
        _("cancel bookings whose transfer is overdue"), default=False
    )
    refund_after_cutoff_percent = models.PositiveSmallIntegerField(
        _("refund after the cancel cut-off (%)"), default=0
    )
    tax_rate_percent = models.DecimalField(
        _("tax rate (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0.00"),
        help_text=_("prices include this tax; 0: no tax shown"),
    )
    stripe_secret_key = EncryptedTextField(_("Stripe secret key"), blank=True)
    stripe_webhook_secret = EncryptedTextField(_("Stripe webhook signing secret"), blank=True)

    class Meta:
        verbose_name = _("payment settings")
        verbose_name_plural = _("payment settings")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(refund_after_cutoff_percent__lte=100),
                name="payment_settings_refund_percent",
            ),
            models.CheckConstraint(
                condition=models.Q(tax_rate_percent__gte=0, tax_rate_percent__lte=100),
                name="payment_settings_tax_rate",
            ),
        ]

    def __str__(self) -> str:
        return str(self.company)


class PassProduct(Translated):
    """A pass on sale: `entries` bookings of the given services within `valid_days`."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="pass_products")
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    entries = models.PositiveSmallIntegerField(_("entries"))
    valid_days = models.PositiveSmallIntegerField(_("valid for (days)"))
    price = models.DecimalField(_("price"), max_digits=14, decimal_places=3)
    services = models.ManyToManyField(Service, related_name="pass_products", blank=True)
    active = models.BooleanField(_("on sale"), default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("pass")
        verbose_name_plural = _("passes")
        ordering = ["position", "name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(entries__gt=0), name="pass_entries_positive"),
            models.CheckConstraint(
                condition=models.Q(valid_days__gt=0), name="pass_valid_days_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(price__gte=0), name="pass_price_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CustomerPass(models.Model):
    """A pass a customer bought: usable once `active`, until `expires_at`."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="customer_passes")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="passes")
    product = models.ForeignKey(PassProduct, on_delete=models.PROTECT, related_name="sold")
    entries_total = models.PositiveSmallIntegerField(_("entries"))
    entries_left = models.PositiveSmallIntegerField(_("entries left"))
    # Set when the purchase is paid: a pass waiting for its transfer cannot be spent.
    active = models.BooleanField(_("active"), default=False)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("customer's pass")
        verbose_name_plural = _("customers' passes")
        ordering = ["expires_at", "created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(entries_left__lte=models.F("entries_total")),
                name="pass_entries_left_at_most_total",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product} ({self.entries_left}/{self.entries_total})"


class PassUse(models.Model):
    """One entry of a pass spent on a booking; `returned_at` once it was given back."""

    customer_pass = models.ForeignKey(CustomerPass, on_delete=models.CASCADE, related_name="uses")
    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="pass_uses")
    created_at = models.DateTimeField(auto_now_add=True)
    returned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("pass entry spent")
        verbose_name_plural = _("pass entries spent")
        constraints = [
            # One entry per booking: a second spend of the same booking is refused.
            models.UniqueConstraint(
                fields=["booking"],
                condition=models.Q(returned_at__isnull=True),
                name="pass_use_one_per_booking",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_pass} -> {self.booking_id}"


class Payment(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="payments")
    booking = models.ForeignKey(
        Booking, on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    customer_pass = models.ForeignKey(
        CustomerPass, on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    method = models.CharField(_("method"), max_length=16, choices=Method.choices)
    state = models.CharField(
        _("state"), max_length=20, choices=PaymentState.choices, default=PaymentState.PENDING
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=3)
    currency = models.CharField(_("currency"), max_length=3)
    refunded = models.DecimalField(
        _("refunded"), default=Decimal("0"), max_digits=14, decimal_places=3
    )
    # The provider's names for it: Stripe's Checkout Session and PaymentIntent ids.
    provider = models.CharField(max_length=20, blank=True)
    provider_ref = models.CharField(max_length=255, blank=True, db_index=True)
    provider_payment = models.CharField(max_length=255, blank=True, db_index=True)
    checkout_url = models.URLField(max_length=2000, blank=True)
    # A bank transfer's reference, printed for the customer to quote; unique per company.
    reference = models.CharField(_("reference"), max_length=20, blank=True)
    due = models.DateField(_("due"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["company", "state", "method"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="payment_amount"),
            models.CheckConstraint(
                condition=models.Q(booking__isnull=False) | models.Q(customer_pass__isnull=False),
                name="payment_for_something",
            ),
            models.CheckConstraint(
                condition=models.Q(refunded__gte=0) & models.Q(refunded__lte=models.F("amount")),
                name="payment_refunded_within_amount",
            ),
            models.UniqueConstraint(
                fields=["company", "reference"],
                condition=~models.Q(reference=""),
                name="payment_reference_unique",
            ),
            # A double click on "pay" finds the checkout already open.
            models.UniqueConstraint(
                fields=["booking"],
                condition=models.Q(state="pending"),
                name="payment_one_pending_per_booking",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.amount} {self.currency}"


class RefundState(models.TextChoices):
    PENDING = "pending", _("To pay back")
    DONE = "done", _("Paid back")
    FAILED = "failed", _("Failed")


class Refund(models.Model):
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=3)
    state = models.CharField(
        _("state"), max_length=10, choices=RefundState.choices, default=RefundState.PENDING
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    provider_ref = models.CharField(max_length=255, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="refund_amount"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} ({self.get_state_display()})"


class Unit(models.TextChoices):
    MONEY = "money", _("Money")
    CREDIT = "credit", _("Class credits")


class EntryReason(models.TextChoices):
    PURCHASE = "purchase", _("Bought")
    BOOKING = "booking", _("Spent on a booking")
    CANCEL_RETURN = "cancel_return", _("Given back on a cancellation")
    REFUND = "refund", _("Refund")
    STAFF_GRANT = "staff_grant", _("Granted by staff")
    STAFF_CORRECTION = "staff_correction", _("Corrected by staff")


class Wallet(models.Model):
    """A customer's credits with one company; the row is locked to change the balance."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="wallets")
    customer = models.OneToOneField(Customer, on_delete=models.PROTECT, related_name="wallet")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("wallet")
        verbose_name_plural = _("wallets")

    def __str__(self) -> str:
        return str(self.customer)


class WalletEntry(models.Model):
    """One change of a wallet's balance, never updated or deleted afterwards."""

    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="entries")
    unit = models.CharField(_("unit"), max_length=8, choices=Unit.choices)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=3)
    reason = models.CharField(_("reason"), max_length=20, choices=EntryReason.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    booking = models.ForeignKey(
        Booking, on_delete=models.SET_NULL, null=True, blank=True, related_name="wallet_entries"
    )
    payment = models.ForeignKey(
        Payment, on_delete=models.SET_NULL, null=True, blank=True, related_name="wallet_entries"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("wallet entry")
        verbose_name_plural = _("wallet entries")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount=0), name="wallet_entry_not_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.unit} ({self.get_reason_display()})"

    def save(self, *args: object, **kwargs: object) -> None:
        # Append-only: a correction is a new entry, so the history stays whole.
        if self.pk is not None:
            raise ValueError("wallet entries are never changed")
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise ValueError("wallet entries are never deleted")


class WebhookEvent(models.Model):
    """A provider's webhook event handled once: a second delivery of the same id (a
    retry, or a replay within the signature's tolerance) finds this row and changes
    nothing. `outcome` is what the handling did (payments.domain.card)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="webhook_events")
    provider = models.CharField(max_length=20)
    event_id = models.CharField(max_length=255)
    type = models.CharField(max_length=100)
    outcome = models.CharField(max_length=40, blank=True)
    payment = models.ForeignKey(
        Payment, on_delete=models.SET_NULL, null=True, blank=True, related_name="webhook_events"
    )
    received_at = models.DateTimeField()

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "provider", "event_id"], name="webhook_event_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.type} {self.event_id}"
