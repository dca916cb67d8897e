"""A company's payment settings: the methods it takes, the card hold, the bank account
for transfers, its Stripe keys, the refund share after the cancel cut-off, the tax rate its prices include (receipts).

| function | writes | refuses (400, field errors) |
| --- | --- | --- |
| payment_settings | the company's PaymentSettings with the defaults, when it has none | - |
| payment_settings_or_defaults | nothing: the settings, or the defaults unsaved | - |
| payment_settings_update | only the fields given (UNSET leaves one as it is) | a switch not true or false, minutes outside 5..120, due days outside 0..60, a percent outside 0..100, a tax rate outside 0..100 or with more than 2 decimals, a holder too long or with control characters, an IBAN or BIC that is not one, a Stripe key that is not one; transfers on without holder and IBAN, card on without both Stripe keys |
| enabled_methods | nothing: the methods a booking of a service may be paid by | - |

The Stripe keys are written here and read only by the Stripe provider: nothing meant
for display returns them (`stripe_connected` says whether they are set), and the audit
log records that they changed, never their value.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from rendezvous.catalog.models import Service
from rendezvous.companies.domain import COMPANY, FieldErrors, clean_bool, clean_int, clean_text
from rendezvous.companies.models import Company
from rendezvous.core.audit import field_changes, logged, row_values
from rendezvous.core.fields import UNSET, Maybe, given

from ..models import Method, PaymentSettings

HOLD_MINUTES = (5, 120)
TRANSFER_DUE_DAYS = (0, 60)
REFUND_PERCENT = (0, 100)
TAX_RATE = (Decimal("0"), Decimal("100"))
HOLDER_MAX = 140
STRIPE_KEY_MAX = 255
# Stripe's secret keys (sk_), restricted keys (rk_) and webhook signing secrets (whsec_).
SECRET_KEY_PREFIXES = ("sk_test_", "sk_live_", "rk_test_", "rk_live_")
WEBHOOK_SECRET_PREFIX = "whsec_"
SECRETS = ("stripe_secret_key", "stripe_webhook_secret")
SWITCHES = ("card", "credits", "passes", "bank_transfer", "on_site", "cancel_unpaid_transfers")


@dataclass(frozen=True, kw_only=True)
class PaymentSettingsFields:
    """The fields to change; each left UNSET keeps its value."""

    card: Maybe[bool] = UNSET
    credits: Maybe[bool] = UNSET
    passes: Maybe[bool] = UNSET
    bank_transfer: Maybe[bool] = UNSET
    on_site: Maybe[bool] = UNSET
    hold_minutes: Maybe[int] = UNSET
    account_holder: Maybe[str] = UNSET
    iban: Maybe[str] = UNSET
    bic: Maybe[str] = UNSET
    transfer_due_days: Maybe[int] = UNSET
    cancel_unpaid_transfers: Maybe[bool] = UNSET
    refund_after_cutoff_percent: Maybe[int] = UNSET
    # Included in the prices; receipts show it (0: none shown).
    tax_rate_percent: Maybe[Decimal] = UNSET
    # In clear; "" disconnects Stripe.
    stripe_secret_key: Maybe[str] = UNSET
    stripe_webhook_secret: Maybe[str] = UNSET


def payment_settings(company: Company) -> PaymentSettings:
    """The company's settings; a company that has none gets a row with the defaults
    (two callers at once: get_or_create reads the row the other wrote)."""
    settings, _created = PaymentSettings.objects.get_or_create(company=company)
    return settings


def payment_settings_or_defaults(company: Company) -> PaymentSettings:
    """The company's settings for reading: the defaults, unsaved, when it has none (a
    page or a check writes nothing)."""
    found = PaymentSettings.objects.filter(company=company).first()
    return found if found is not None else PaymentSettings(company=company)


def stripe_connected(settings: PaymentSettings) -> bool:
    """Whether both Stripe keys are set: what a page shows instead of the keys."""
    return bool(settings.stripe_secret_key and settings.stripe_webhook_secret)


def transfer_account_complete(settings: PaymentSettings) -> bool:
    """Whether a customer can be told where to send a transfer (the BIC is optional)."""
    return bool(settings.account_holder and settings.iban)


def clean_iban(errors: FieldErrors, value: Any) -> str:
    """The IBAN in its compact form ("DE89370400440532013000"); "" clears it."""
    text = clean_text(errors, "iban", value, max_length=64, required=False)
    if not text or "iban" in errors:
        return ""
    try:
        return str(IBAN(text).compact)
    except SchwiftyException:
        errors.add("iban", _("This is not a valid IBAN. Check it against your bank statement."))
        return ""


def clean_bic(errors: FieldErrors, value: Any) -> str:
    """The BIC in its compact form, 8 or 11 characters; "" clears it."""
    text = clean_text(errors, "bic", value, max_length=64, required=False)
    if not text or "bic" in errors:
        return ""
    try:
        return str(BIC(text).compact)
    except SchwiftyException:
        errors.add("bic", _("This is not a valid BIC (8 or 11 letters and digits)."))
        return ""


def _clean_key(errors: FieldErrors, field: str, value: Any, prefixes: tuple[str, ...]) -> str:
    text = clean_text(errors, field, value, max_length=STRIPE_KEY_MAX, required=False)
    if text and field not in errors and (not text.startswith(prefixes) or " " in text):
        if field == "stripe_secret_key":
            errors.add(field, _("Paste the secret key from Stripe: it starts with sk_ or rk_."))
        else:
            errors.add(field, _("Paste the signing secret from Stripe: it starts with whsec_."))
    return text


def clean_tax_rate(errors: FieldErrors, value: Any) -> Decimal:
    """A percent from 0 to 100 with at most 2 decimals ("19", "7,5", Decimal("19.00"));
    floats are refused (they cannot hold 7.1 exactly)."""
    refusal = _("Enter a tax rate from 0 to 100 %, with at most 2 decimals.")
    number: Decimal | None = None
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        number = Decimal(value)
    elif isinstance(value, str) and len(value) <= 20:
        text = value.strip().replace(",", ".")
        try:
            number = Decimal(text) if text else None
        except InvalidOperation:
            number = None
    low, high = TAX_RATE
    if (
        number is None
        or not number.is_finite()
        or not low <= number <= high
        or number != number.quantize(Decimal("0.01"))
    ):
        errors.add("tax_rate_percent", refusal)
        return Decimal("0")
    return number.quantize(Decimal("0.01"))


def _clean(given: dict[str, Any]) -> dict[str, Any]:
    """Each field given, checked and normalised; raises ValidationFailed naming every
    bad field."""
    errors = FieldErrors()
    cleaned: dict[str, Any] = {}
    for name in SWITCHES:
        if name in given:
            cleaned[name] = clean_bool(errors, name, given[name])
    for name, (low, high) in (
        ("hold_minutes", HOLD_MINUTES),
        ("transfer_due_days", TRANSFER_DUE_DAYS),
        ("refund_after_cutoff_percent", REFUND_PERCENT),
    ):
        if name in given:
            cleaned[name] = clean_int(errors, name, given[name], low=low, high=high)
    if "tax_rate_percent" in given:
        cleaned["tax_rate_percent"] = clean_tax_rate(errors, given["tax_rate_percent"])
    if "account_holder" in given:
        cleaned["account_holder"] = clean_text(
            errors, "account_holder", given["account_holder"], max_length=HOLDER_MAX, required=False
        )
    if "iban" in given:
        cleaned["iban"] = clean_iban(errors, given["iban"])
    if "bic" in given:
        cleaned["bic"] = clean_bic(errors, given["bic"])
    if "stripe_secret_key" in given:
        cleaned["stripe_secret_key"] = _clean_key(
            errors, "stripe_secret_key", given["stripe_secret_key"], SECRET_KEY_PREFIXES
        )
    if "stripe_webhook_secret" in given:
        cleaned["stripe_webhook_secret"] = _clean_key(
            errors,
            "stripe_webhook_secret",
            given["stripe_webhook_secret"],
            (WEBHOOK_SECRET_PREFIX,),
        )
    errors.raise_if_any()
    return cleaned


def _check_whole(settings: PaymentSettings) -> None:
    """The settings as they would stand: a method switched on has what it needs."""
    errors = FieldErrors()
    if settings.bank_transfer and not transfer_account_complete(settings):
        errors.add(
            "bank_transfer",
            _("Enter the account holder and the IBAN before you take bank transfers."),
        )
    if settings.card and not stripe_connected(settings):
        errors.add(
            "card",
            _("Enter the Stripe secret key and webhook signing secret before you take cards."),
        )
    errors.raise_if_any()


def payment_settings_update(*, company: Company, fields: PaymentSettingsFields) -> PaymentSettings:
    """Change the company's payment settings: the fields given, the others as they were.

    Side effects, in order:
    1. validate: every field given (IBAN and BIC in their compact form)
    2. lock: the company's settings row (made with the defaults when missing)
    3. re-check: the settings as they would stand (transfers need holder and IBAN,
       cards both Stripe keys)
    4. write: the fields that changed; an audit entry on the company (the Stripe keys
       as "changed", never their value)
    Raises ValidationFailed; nothing is written then.
    """
    cleaned = _clean(given(fields))
    with transaction.atomic():
        payment_settings(company)
        locked = PaymentSettings.objects.select_for_update(of=("self",)).get(company=company)
        before = row_values(locked, cleaned)
        for name, value in cleaned.items():
            setattr(locked, name, value)
        _check_whole(locked)
        changes = field_changes(before, cleaned)
        if changes:
            locked.save(update_fields=list(changes))
            logged(
                company,
                COMPANY,
                "payment_settings_changed",
                changes,
                company_id=company.pk,
                secrets=SECRETS,
            )
    return locked


def enabled_methods(
    company: Company, service: Service, *, online: bool | None = None
) -> list[Method]:
    """The methods a booking of `service` may be paid by, in the order the booking site
    offers them; none for a service that does not ask for payment.

    `online`: whether the booking is a video meeting (a booking's or a class session's
    own `online`); None: as the service is offered. Paying on site needs a site to pay
    at, so an online booking does not offer it. Cards need Stripe connected, transfers
    the account to send them to.
    """
    if not service.requires_payment:
        return []
    settings = payment_settings_or_defaults(company)
    if online is None:
        online = company.online_meetings_enabled and service.online_meeting
    offered = {
        Method.CARD: settings.card and stripe_connected(settings),
        Method.CREDITS: settings.credits,
        Method.PASS: settings.passes,
        Method.BANK_TRANSFER: settings.bank_transfer and transfer_account_complete(settings),
        Method.ON_SITE: settings.on_site and not online,
    }
    return [method for method, on in offered.items() if on]
