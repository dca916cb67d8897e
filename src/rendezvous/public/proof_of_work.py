"""ALTCHA proof of work on the booking form, for companies that switch it on
(`Company.altcha_enabled`). Self-hosted: no third party sees the customer.

| step | where |
| --- | --- |
| challenge | `GET /<lang>/<company>/altcha/challenge/` (rate-limited JSON) from `challenge()` |
| solve | the `altcha` widget in the browser, with web workers from our static files |
| verify | the booking POST, through `check()`, before the domain is called |

The challenge is PBKDF2/SHA-256 in the library's "deterministic mode": the server
picks a secret counter below `MAX_COUNTER` and the browser must find it, so the work
is bounded like ALTCHA v1's max number: on average (MIN + MAX) / 2 attempts of `COST`
iterations, about a second on a phone with its workers, a few milliseconds for us (the
derived key is checked against its HMAC, not derived again).

A solved payload is single-use: the hash of its challenge's signature is kept in the
cache (shared by all web processes: the database or Redis) until the challenge
expires. The signature, not the payload text, is the key: re-encoding a payload does
not make it new. The HMAC keys derive from SECRET_KEY with fixed salts; rotating
SECRET_KEY only voids the challenges still open.
"""

from __future__ import annotations

import logging
import secrets
import time

import altcha
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from rendezvous.core import tokens

logger = logging.getLogger(__name__)

FIELD = "altcha"  # the widget's hidden input
ALGORITHM = "PBKDF2/SHA-256"
COST = 1_000  # PBKDF2 iterations per attempt
MIN_COUNTER = 1_000
MAX_COUNTER = 5_000
TTL_SECONDS = 10 * 60
MAX_PAYLOAD = 4_000  # characters; ours are about 600

MISSING = _(
    "The spam check did not run, so your booking was not sent. It needs JavaScript: "
    "please turn JavaScript on, wait until the check says “Verified” and send the form again."
)
INVALID = _(
    "The spam check has expired or was already used. Please wait until it says "
    "“Verified” and send the form again."
)


def _key(purpose: str) -> str:
    return tokens.proof_of_work_key(purpose)


def challenge(company) -> dict:
    """A new signed challenge for `company`'s booking form, as the widget expects it."""
    made = altcha.create_challenge(
        ALGORITHM,
        COST,
        counter=MIN_COUNTER + secrets.randbelow(MAX_COUNTER - MIN_COUNTER),
        expires_at=int(time.time()) + TTL_SECONDS,
        data={"company": company.pk},
        hmac_secret=_key("challenge"),
        hmac_key_secret=_key("derived-key"),
    )
    return made.to_dict()


def _verified(company, payload: str) -> altcha.Payload | None:
    try:
        parsed = altcha.Payload.from_base64(payload)
        result = altcha.verify_solution(
            parsed, _key("challenge"), hmac_key_secret=_key("derived-key")
        )
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None
    if not result.verified:
        return None
    params = parsed.challenge.parameters
    # Signed by us, so these are ours; a challenge of another company does not count.
    if params.data != {"company": company.pk} or not isinstance(params.expires_at, int):
        return None
    return parsed


def check(company, payload: str | None):
    """None when the booking may go on, else the error message for the form.

    Side effect: a valid payload is spent (kept in the cache until it expires)."""
    if not payload:
        return MISSING
    parsed = _verified(company, payload) if len(payload) <= MAX_PAYLOAD else None
    if parsed is None:
        logger.info("Booking form refused: invalid or expired proof of work")
        return INVALID
    signature = str(parsed.challenge.signature)
    spent = "altcha-spent:" + tokens.hash_token(signature)
    expires_at = parsed.challenge.parameters.expires_at
    assert expires_at is not None  # _verified returned None otherwise
    ttl = max(expires_at - int(time.time()), 0) + 60
    if not cache.add(spent, 1, timeout=ttl):
        logger.info("Booking form refused: proof of work used twice")
        return INVALID
    return None


def widget_strings() -> dict[str, str]:
    """The widget's texts in the current language (keys of the widget's i18n table)."""
    return {
        "label": str(_("I'm not a robot")),
        "verifying": str(_("Checking…")),
        "verified": str(_("Verified")),
        "verify": str(_("Check")),
        "loading": str(_("Loading…")),
        "reload": str(_("Reload")),
        "cancel": str(_("Cancel")),
        "error": str(_("The check failed. Please try again later.")),
        "expired": str(_("The check has expired. Please try again.")),
        "verificationRequired": str(_("Please wait until the check is done.")),
        "waitAlert": str(_("Checking… please wait.")),
        "ariaLinkLabel": str(_("ALTCHA (official website)")),
    }
