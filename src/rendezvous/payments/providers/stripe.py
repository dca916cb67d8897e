"""`stripe`: card payments through Stripe Checkout (docs/payments.md), with the `stripe`
SDK's StripeClient on the company's own secret key.

| call | request | answer |
| --- | --- | --- |
| create_checkout | `POST /v1/checkout/sessions`, `mode=payment`, one line item in minor units, `metadata` and `payment_intent_data[metadata]` = our payment, booking and company ids, `client_reference_id` = our payment id, `expires_at` | the session's `id`, `url`, `expires_at` |
| expire_checkout | `POST /v1/checkout/sessions/{id}/expire`; refused when no longer open, then `GET /v1/checkout/sessions/{id}` | `expired`, or `complete` when the customer paid first |
| refund | `POST /v1/refunds`, `payment_intent`, `amount` | the refund's `id` and `status` |
| parse_webhook | none: `Stripe-Signature` checked with the SDK against the webhook signing secret | a ProviderEvent |

- The API host is `settings.STRIPE_API_BASE` (Stripe's by default; a fake in tests).
- Every POST carries an Idempotency-Key: the caller's for checkouts and refunds (a
  double click, or a retry after a lost answer, gets the first session or refund back),
  `expire:<session id>` for expiries. The SDK retries once after a connection error,
  a timeout, a 409 or a 5xx, with the same key, so a retry never makes a second one.
- Timeouts: a few seconds to connect and to answer (a customer is waiting).
- `expires_at`: Stripe takes 30 minutes to 24 hours after the session is made. A
  shorter hold (the company's `hold_minutes`, 15 by default) is clamped up to 30
  minutes (plus a minute for clock skew and latency): the domain expires the session
  itself when it releases the hold, and a payment that still lands is refunded or
  rebooked there. A later one is clamped down to 24 hours.
- Errors: connection errors, timeouts, 409 (the key still in use), 429 and 5xx raise
  ProviderDown; other 4xx raise ProviderRefused with Stripe's message and code. Neither
  carries the key, the request body or the customer's email.
- Webhooks: the SDK's `WebhookSignature.verify_header` checks the HMAC; the age check is
  ours, against the `now` the caller gives and in both directions (the SDK measures
  only the past, on the wall clock). An event signed more than TOLERANCE seconds before
  `now`, or after it, is refused: a captured call replayed later fails here, and one
  replayed within the tolerance is caught by the domain's per-event-id idempotency.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import stripe
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from ..domain.money import from_minor, to_minor
from ..models import PaymentSettings, RefundState
from .base import (
    CHARGE_REFUNDED,
    CHECKOUT_COMPLETED,
    CHECKOUT_EXPIRED,
    HANDLED_EVENTS,
    PAYMENT_FAILED,
    CardProvider,
    Checkout,
    ProviderDown,
    ProviderEvent,
    ProviderRefused,
    RefundResult,
    WebhookRefused,
)

NAME = "stripe"
TOLERANCE = stripe.Webhook.DEFAULT_TOLERANCE  # 300 seconds, either way
TIMEOUT = (3.0, 8.0)  # seconds to connect, seconds to answer
RETRIES = 1
MIN_EXPIRY = timedelta(minutes=30)
MAX_EXPIRY = timedelta(hours=24)
EXPIRY_MARGIN = timedelta(minutes=1)
REFUND_STATES = {
    "succeeded": RefundState.DONE,
    "pending": RefundState.PENDING,
    "requires_action": RefundState.PENDING,
    "failed": RefundState.FAILED,
    "canceled": RefundState.FAILED,
}

# The SDK logs request and answer bodies (a customer's email, a session's URL) at DEBUG.
if logging.getLogger("stripe").getEffectiveLevel() < logging.INFO:
    logging.getLogger("stripe").setLevel(logging.INFO)

# One transport for every company's client: its sessions are per thread, its timeouts ours.
_http = stripe.RequestsClient(timeout=TIMEOUT)


class Provider(CardProvider):
    name = NAME

    def __init__(
        self, settings: PaymentSettings, *, timeout: tuple[float, float] | None = None
    ) -> None:
        super().__init__(settings)
        self._transport = _http if timeout is None else stripe.RequestsClient(timeout=timeout)

    def _client(self) -> stripe.StripeClient:
        key = self.settings.stripe_secret_key.strip()
        if not key:
            raise ProviderRefused(
                _("Stripe is not connected: the secret key is missing."), code="no_key"
            )
        return stripe.StripeClient(
            key,
            base_addresses={"api": settings.STRIPE_API_BASE},
            http_client=self._transport,
            max_network_retries=RETRIES,
        )

    # -- API calls -------------------------------------------------------------------------

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
        _require_key(idempotency_key)
        metadata = {"payment": str(payment_id), "company": str(self.settings.company_id)}
        if booking_id is not None:
            metadata["booking"] = str(booking_id)
        params: Any = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": currency.lower(),
                        "unit_amount": to_minor(amount, currency),
                        "product_data": {"name": description},
                    },
                }
            ],
            "success_url": success_url,
            "cancel_url": cancel_url,
            "client_reference_id": str(payment_id),
            "metadata": metadata,
            # The intent and its charge carry them too: payment_intent.payment_failed
            # and charge.refunded name no session.
            "payment_intent_data": {"metadata": metadata},
            "expires_at": int(clamp_expiry(expires_at, now=timezone.now()).timestamp()),
        }
        if customer_email:
            params["customer_email"] = customer_email
        with _errors("checkout"):
            session = self._client().v1.checkout.sessions.create(
                params=params, options={"idempotency_key": idempotency_key}
            )
        if not session.url:
            raise ProviderDown("stripe: checkout: no URL in the answer")
        return Checkout(
            id=session.id,
            url=session.url,
            expires_at=datetime.fromtimestamp(session.expires_at, UTC),
        )

    def expire_checkout(self, checkout_id: str) -> str:
        client = self._client()
        try:
            with _errors("expire"):
                session = client.v1.checkout.sessions.expire(
                    checkout_id, options={"idempotency_key": f"expire:{checkout_id}"}
                )
        except ProviderRefused:
            # Only an open session can be expired: one already complete (paid just now)
            # or expired answers with its status instead.
            with _errors("expire"):
                session = client.v1.checkout.sessions.retrieve(checkout_id)
            if session.status == "open":
                raise
        return str(session.status)

    def refund(
        self, *, payment_intent: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> RefundResult:
        _require_key(idempotency_key)
        if amount <= 0:
            raise ValueError("a refund needs a positive amount")
        params: Any = {"payment_intent": payment_intent, "amount": to_minor(amount, currency)}
        with _errors("refund"):
            refund = self._client().v1.refunds.create(
                params=params, options={"idempotency_key": idempotency_key}
            )
        return RefundResult(
            id=refund.id,
            state=str(REFUND_STATES.get(str(refund.status), RefundState.PENDING)),
            amount=from_minor(refund.amount, refund.currency or currency),
        )

    # -- webhooks --------------------------------------------------------------------------

    def parse_webhook(self, payload: bytes, signature: str, *, now: datetime) -> ProviderEvent:
        secret = self.settings.stripe_webhook_secret.strip()
        if not secret:
            raise WebhookRefused(WebhookRefused.NOT_CONFIGURED)
        try:
            stripe.WebhookSignature.verify_header(payload, signature, secret, tolerance=None)
        except (stripe.SignatureVerificationError, UnicodeDecodeError):
            raise WebhookRefused(WebhookRefused.SIGNATURE) from None
        signed = datetime.fromtimestamp(_signed_at(signature), UTC)
        if signed < now - timedelta(seconds=TOLERANCE):
            raise WebhookRefused(WebhookRefused.STALE, f"signed at {signed.isoformat()}")
        if signed > now + timedelta(seconds=TOLERANCE):
            raise WebhookRefused(WebhookRefused.FUTURE, f"signed at {signed.isoformat()}")
        try:
            data = json.loads(payload)
        except ValueError:
            raise WebhookRefused(WebhookRefused.MALFORMED, "not JSON") from None
        if not isinstance(data, dict) or data.get("object") != "event":
            raise WebhookRefused(WebhookRefused.MALFORMED, "not an event")
        kind = _text(data, "type")
        if kind not in HANDLED_EVENTS:
            raise WebhookRefused(WebhookRefused.UNKNOWN_TYPE, kind[:100])
        return _event(data, kind)


def clamp_expiry(expires_at: datetime, *, now: datetime) -> datetime:
    """`expires_at` within what Stripe accepts (30 minutes to 24 hours from now)."""
    earliest = now + MIN_EXPIRY + EXPIRY_MARGIN
    latest = now + MAX_EXPIRY - EXPIRY_MARGIN
    return min(max(expires_at, earliest), latest)


def _require_key(key: str) -> None:
    # Without one the SDK would make up a random key, and a double click two sessions.
    if not key:
        raise ValueError("an idempotency key is required")


class _errors:
    """Stripe's exceptions as ours, without the request (it may hold the customer's email)."""

    def __init__(self, call: str) -> None:
        self.call = call

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        if exc is None or not isinstance(exc, stripe.StripeError):
            return None
        if isinstance(exc, stripe.APIConnectionError):
            raise ProviderDown(f"stripe: {self.call}: not reached") from None
        status = exc.http_status
        # 409: the same key is still being worked on, or a lock timed out at Stripe.
        if status is None or status in (409, 429) or status >= 500:
            raise ProviderDown(f"stripe: {self.call}: HTTP {status}") from None
        raise ProviderRefused(
            exc.user_message or f"HTTP {status}", code=exc.code or "", status=status
        ) from None


def _signed_at(header: str) -> int:
    """The `t=` of a header verify_header accepted (so it is there and an integer)."""
    for item in header.split(","):
        name, _eq, value = item.partition("=")
        if name.strip() == "t":
            return int(value)
    raise WebhookRefused(WebhookRefused.SIGNATURE)


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if isinstance(value, dict):  # an expanded object in place of its id
        value = value.get("id")
    return value if isinstance(value, str) else ""


def _whole(data: dict[str, Any], key: str) -> int:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise WebhookRefused(WebhookRefused.MALFORMED, f"no {key}")
    return value


def _our_id(metadata: dict[str, Any], key: str) -> int | None:
    value = metadata.get(key)
    return int(value) if isinstance(value, str) and value.isdecimal() else None


def _our_uuid(metadata: dict[str, Any], key: str) -> str | None:
    """A booking's id (a UUID), as we wrote it; None for anything else."""
    value = metadata.get(key)
    try:
        return str(uuid.UUID(value)) if isinstance(value, str) else None
    except ValueError:
        return None


def _event(data: dict[str, Any], kind: str) -> ProviderEvent:
    body = data.get("data")
    obj = body.get("object") if isinstance(body, dict) else None
    if not isinstance(obj, dict):
        raise WebhookRefused(WebhookRefused.MALFORMED, "no data.object")
    expected = {
        CHECKOUT_COMPLETED: "checkout.session",
        CHECKOUT_EXPIRED: "checkout.session",
        PAYMENT_FAILED: "payment_intent",
        CHARGE_REFUNDED: "charge",
    }[kind]
    if obj.get("object") != expected or not _text(obj, "id"):
        raise WebhookRefused(WebhookRefused.MALFORMED, f"not a {expected}")
    currency = _text(obj, "currency").upper()
    if len(currency) != 3 or not currency.isalpha():
        raise WebhookRefused(WebhookRefused.MALFORMED, "no currency")
    metadata = obj.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    checkout_id = payment_intent = payment_status = failure_code = ""
    refunded = None
    if expected == "checkout.session":
        checkout_id = _text(obj, "id")
        payment_intent = _text(obj, "payment_intent")
        amount = _whole(obj, "amount_total")
        payment_status = _text(obj, "payment_status")
    elif expected == "payment_intent":
        payment_intent = _text(obj, "id")
        amount = _whole(obj, "amount")
        payment_status = _text(obj, "status")
        error = obj.get("last_payment_error")
        if isinstance(error, dict):
            failure_code = _text(error, "decline_code") or _text(error, "code")
    else:
        payment_intent = _text(obj, "payment_intent")
        amount = _whole(obj, "amount")
        refunded = from_minor(_whole(obj, "amount_refunded"), currency)
        payment_status = _text(obj, "status")
    event_id = _text(data, "id")
    if not event_id:
        raise WebhookRefused(WebhookRefused.MALFORMED, "no event id")
    return ProviderEvent(
        id=event_id,
        type=kind,
        created=datetime.fromtimestamp(_whole(data, "created"), UTC),
        checkout_id=checkout_id,
        payment_intent=payment_intent,
        payment_id=_our_id(metadata, "payment"),
        booking_id=_our_uuid(metadata, "booking"),
        company_id=_our_id(metadata, "company"),
        amount=from_minor(amount, currency),
        currency=currency,
        refunded=refunded,
        payment_status=payment_status,
        failure_code=failure_code,
        livemode=data.get("livemode") is True,
    )
