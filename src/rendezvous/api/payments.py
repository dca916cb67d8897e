"""The card provider's webhook: `POST /companies/{company}/payments/stripe/webhook`.

No token and no CSRF (ninja's operations are CSRF-exempt): the provider's signature
over the raw body, checked with the company's signing secret, is the authentication.
Answers: 200 for an event handled, already handled, or authentic and ignored (so the
provider stops resending it); 400 for one refused (no valid signature, stale, another
company's); nothing is written then."""

import logging

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Schema

from rendezvous.core.errors import error_response
from rendezvous.payments.domain.card import card_webhook
from rendezvous.payments.providers.base import WebhookRefused

from .common import get_company
from .errors import answers
from .routing import router

logger = logging.getLogger(__name__)


class WebhookOut(Schema):
    received: bool
    outcome: str


@router.post(
    "/companies/{company}/payments/stripe/webhook",
    tags=["payments"],
    response=answers(WebhookOut, 400, 404, 413),
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "A Stripe event, signed in the Stripe-Signature header.",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
def stripe_webhook(request: HttpRequest, company: str):
    c = get_company(company)
    try:
        outcome = card_webhook(
            company=c,
            payload=request.body,
            signature=request.headers.get("Stripe-Signature", ""),
            now=timezone.now(),
        )
    except WebhookRefused as exc:
        logger.warning("stripe webhook for %s refused: %s", c.slug, exc.reason)
        return error_response(
            "validation_error",
            _("This webhook call was refused."),
            fields={"Stripe-Signature": [exc.reason]},
        )
    return {"received": True, "outcome": outcome}
