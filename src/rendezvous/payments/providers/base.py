"""The card-provider interface (docs/payments.md) and its registry.

A provider knows nothing of our models' rows: the domain (payments.domain) passes plain
values in, stores what comes back, and owns every state change. One instance serves one
company: it is built from that company's PaymentSettings (its keys).

| method | when | network |
| --- | --- | --- |
| `create_checkout(...) -> Checkout` | the customer pressed "pay"; outside any transaction | yes; idempotent by `idempotency_key` (a double click gets the same checkout) |
| `expire_checkout(id) -> str` | a hold is released (abandoned checkout, booking cancelled) | yes; answers the checkout's final status: `expired`, or `complete` when the customer paid just before |
| `refund(...) -> RefundResult` | a cancellation's refund, after its transaction | yes; idempotent by `idempotency_key` |
| `parse_webhook(payload, signature, now=...) -> ProviderEvent` | the provider called our webhook endpoint | none: the signature and the timestamp are checked locally |

Errors: `ProviderDown` when the provider cannot be reached or failed on its side
(connection refused, timeout, 409 "in progress", 429, 5xx): nothing may be assumed
done, the same call with the same idempotency key may be tried again. `ProviderRefused` when it answered "no"
(4xx): `message` is the provider's, fit for staff (never for a log line with secrets),
`code` its machine code. `WebhookRefused(reason)` for a webhook we do not act on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from importlib import import_module
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from ..models import PaymentSettings

REGISTRY: dict[str, str] = {
    "stripe": "rendezvous.payments.providers.stripe.Provider",
}

# The event types a card provider reports and the domain acts on.
CHECKOUT_COMPLETED = "checkout.session.completed"
CHECKOUT_EXPIRED = "checkout.session.expired"
PAYMENT_FAILED = "payment_intent.payment_failed"
CHARGE_REFUNDED = "charge.refunded"
HANDLED_EVENTS = frozenset({CHECKOUT_COMPLETED, CHECKOUT_EXPIRED, PAYMENT_FAILED, CHARGE_REFUNDED})


class PaymentProviderError(Exception):
    """Base of ProviderDown and ProviderRefused."""


class ProviderDown(PaymentProviderError):
    """Not reached, timed out, or failed on its side: retrying later may help."""


class ProviderRefused(PaymentProviderError):
    """The provider answered with a refusal (4xx): the same call will be refused again."""

    def __init__(self, message: str, *, code: str = "", status: int | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


class WebhookRefused(Exception):
    """A webhook call we do not act on. `reason` is one of the constants below.

    Only UNKNOWN_TYPE is authentic (signed, fresh): the endpoint may answer it with a
    2xx so the provider stops resending an event we will never handle. Every other
    reason means "not from the provider, or not now" and is answered with a 400."""

    SIGNATURE = "signature"  # missing, malformed or not ours
    STALE = "stale"  # signed longer ago than the tolerance (a replay, or a very late retry)
    FUTURE = "future"  # signed for a time beyond the tolerance ahead of ours
    MALFORMED = "malformed"  # signed, but not an event we can read
    UNKNOWN_TYPE = "unknown_type"  # signed and fresh, of a type we do not handle
    NOT_CONFIGURED = "not_configured"  # the company has no webhook secret

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail

    @property
    def authentic(self) -> bool:
        return self.reason == self.UNKNOWN_TYPE


@dataclass(frozen=True)
class Checkout:
    """A hosted payment page: send the customer to `url` until `expires_at`."""

    id: str
    url: str
    expires_at: datetime


@dataclass(frozen=True)
class RefundResult:
    """`state` is a RefundState value: `done`, `pending` (the provider is still on it)
    or `failed`."""

    id: str
    state: str
    amount: Decimal


@dataclass(frozen=True)
class ProviderEvent:
    """One verified webhook event, in our terms.

    `payment_id`, `booking_id` and `company_id` come from the metadata we attached at
    checkout (None when absent: an object made outside Rendezvous on the same account).
    `amount` is what the object is about (the checkout's total, the intent's or the
    charge's amount) in `currency` (upper case), `refunded` the charge's refunded total
    (charge.refunded only). `payment_status` is the checkout's (`paid`, `unpaid`) or the
    intent's status; `failure_code` the decline code of a failed payment."""

    id: str
    type: str
    created: datetime
    checkout_id: str
    payment_intent: str
    payment_id: int | None
    booking_id: str | None
    company_id: int | None
    amount: Decimal
    currency: str
    refunded: Decimal | None
    payment_status: str = ""
    failure_code: str = ""
    livemode: bool = False


class CardProvider:
    name = ""

    def __init__(self, settings: PaymentSettings):
        self.settings = settings

    def create_checkout(
        self,
        *,
        payment_id: int,
        booking_id: str | None,
        amount: Decimal,
        currency: str,
        description: str,
        customer_email: str,
        success_url: str,
        cancel_url: str,
        expires_at: datetime,
        idempotency_key: str,
    ) -> Checkout:
        raise NotImplementedError

    def expire_checkout(self, checkout_id: str) -> str:
        raise NotImplementedError

    def refund(
        self, *, payment_intent: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> RefundResult:
        raise NotImplementedError

    def parse_webhook(self, payload: bytes, signature: str, *, now: datetime) -> ProviderEvent:
        raise NotImplementedError


def provider_class(name: str) -> type[CardProvider]:
    try:
        dotted = REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown payment provider {name!r}") from None
    module, _dot, attr = dotted.rpartition(".")
    return cast("type[CardProvider]", getattr(import_module(module), attr))


def get_provider(name: str, settings: PaymentSettings) -> CardProvider:
    return provider_class(name)(settings)
