"""Every token Rendezvous hands out or accepts: how each kind is made, checked and ended.

The one place that signs with SECRET_KEY or hashes a token for storage, so that the
code making a link and the code accepting it cannot drift apart. Each kind has a
purpose (Django's salt) of its own: a token of one kind never passes for another.

| kind | made | stored | accepted when | ended by |
| --- | --- | --- | --- | --- |
| manage, random | `new_random_token()`: 256 random bits, shown once | SHA-256 (Booking.manage_token_hash) | its hash matches | a new manage token |
| manage, signed | `manage_token(booking_id, manage_token_hash)`: `Signer(salt=MANAGE).sign_object({"b": id hex, "h": first 16 hex of the hash})`; no timestamp, contains `:` | nothing | signature valid, `b` is the booking, `h` its current hash | a new manage token; SECRET_KEY |
| sign-in (My bookings) | `signin_token(company_id, nonce)`: `signing.dumps({"c", "n"}, salt=SIGNIN)`, timestamped | SHA-256 of the nonce, on a row | signature valid, younger than SIGNIN_MAX_AGE, its company, row not yet used | first use; SIGNIN_MAX_AGE; SECRET_KEY |
| join | `join_token(nonce)`: base64url(HMAC-SHA256(SECRET_KEY, salt JOIN, nonce)), 43 characters | SHA-256 of the token, the nonce (JoinToken) | its hash is found | JoinToken.revoked_at; SECRET_KEY |
| staff calendar feed | `new_random_token()` | SHA-256 (StaffCalendarFeed) | its hash is found | a new feed |
| API token | `"rdv_"` + `new_random_token()` | SHA-256 (ApiToken) | its hash is found, not revoked | revoking |
| OAuth state | `oauth_state(data)`: `signing.dumps(salt=OAUTH_STATE)`, timestamped | the nonce, in the session | signature valid, younger than OAUTH_STATE_MAX_AGE | first use (a cache entry); SECRET_KEY |
| proof-of-work keys | `proof_of_work_key(purpose)`: HMAC-SHA256(SECRET_KEY, salt PROOF_OF_WORK, purpose) | nothing | (the ALTCHA library's HMAC) | SECRET_KEY |

Random tokens are not passwords, so a fast hash is enough: a leaked database does not
give the links away, and a lookup by hash needs no constant-time compare.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from typing import Any

from django.core import signing
from django.utils.crypto import salted_hmac

MANAGE = "rendezvous.manage"
SIGNIN = "rendezvous.signin"
# Join tokens are derived, and their hashes stored: a new purpose would end every link.
JOIN = "rendezvous.meetings.join"
OAUTH_STATE = "rendezvous.meetings.oauth.state"
PROOF_OF_WORK = "rendezvous.public.proof_of_work"

MANAGE_HASH_PREFIX = 16
MAX_TOKEN_LENGTH = 200  # longer than any we make: refused before any work
SIGNIN_MAX_AGE = 30 * 60  # seconds a My bookings sign-in link works
OAUTH_STATE_MAX_AGE = 600  # seconds between the redirect to a provider and its callback


# -- random tokens, stored as hashes -----------------------------------------------------


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(token: str, token_hash: str) -> bool:
    return hmac.compare_digest(hash_token(token), token_hash)


def new_random_token() -> tuple[str, str]:
    """256 random bits, URL-safe, and the hash to store instead."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def new_nonce() -> str:
    return secrets.token_hex(16)


# -- manage links ------------------------------------------------------------------------


def manage_token(booking_id: uuid.UUID, manage_token_hash: str) -> str:
    """A manage token for links sent later (emails, My bookings): nothing stored."""
    return signing.Signer(salt=MANAGE).sign_object(
        {"b": booking_id.hex, "h": manage_token_hash[:MANAGE_HASH_PREFIX]}
    )


def manage_token_valid(booking_id: uuid.UUID, manage_token_hash: str, token: str) -> bool:
    """Does this token open this booking's manage page? Every kind of manage token."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return False
    if ":" not in token:  # secrets.token_urlsafe never makes a colon
        return token_matches(token, manage_token_hash)
    try:
        data = signing.Signer(salt=MANAGE).unsign_object(token)
    except (signing.BadSignature, ValueError, TypeError):
        return False
    return (
        isinstance(data, dict)
        and data.get("b") == booking_id.hex
        and data.get("h") == manage_token_hash[:MANAGE_HASH_PREFIX]
    )


# -- My bookings sign-in links -------------------------------------------------------------


def signin_token(company_id: int, nonce: str) -> str:
    return signing.dumps({"c": company_id, "n": nonce}, salt=SIGNIN)


def signin_nonce(company_id: int, token: str) -> str | None:
    """The nonce of a sign-in token made for this company and not expired, else None.
    Whether it was used already is the row's business."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        data = signing.loads(token, salt=SIGNIN, max_age=SIGNIN_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("c") != company_id:
        return None
    nonce = data.get("n")
    return nonce if isinstance(nonce, str) and nonce else None


# -- join links ------------------------------------------------------------------------------


def join_token(nonce: str) -> str:
    digest = salted_hmac(JOIN, nonce, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


# -- OAuth state ----------------------------------------------------------------------------


def oauth_state(data: dict[str, Any]) -> str:
    return signing.dumps(data, salt=OAUTH_STATE)


def oauth_state_read(state: str) -> Any:
    """The signed data. Raises signing.SignatureExpired or signing.BadSignature."""
    return signing.loads(state or "", salt=OAUTH_STATE, max_age=OAUTH_STATE_MAX_AGE)


# -- keys for other libraries -----------------------------------------------------------


def proof_of_work_key(purpose: str) -> str:
    """A key of its own for `purpose` (the proof of work's HMAC keys), from SECRET_KEY."""
    return salted_hmac(PROOF_OF_WORK, purpose, algorithm="sha256").hexdigest()
