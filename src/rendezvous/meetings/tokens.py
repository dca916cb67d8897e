"""Join tokens: our /join/<token>/ links.

| part | value |
| --- | --- |
| nonce | 128 random bits, stored on the JoinToken row |
| token | base64url(HMAC-SHA256(SECRET_KEY, salt "rendezvous.meetings.join", nonce)), 43 characters, 256 bits |
| stored | SHA-256 of the token (unique, looked up on every visit) |
| revoked by | JoinToken.revoked_at (or rotating SECRET_KEY) |

Deriving instead of storing lets every later email (reminder, link added) carry the
same link, as the signed manage links do (notifications/links.py); the database alone
does not give a link away.
"""

import base64
import hashlib
import secrets

from django.conf import settings
from django.utils.crypto import salted_hmac

SALT = "rendezvous.meetings.join"


def new_nonce() -> str:
    return secrets.token_hex(16)


def token_for(nonce: str) -> str:
    digest = salted_hmac(SALT, nonce, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def join_path(nonce: str) -> str:
    return f"/join/{token_for(nonce)}/"


def join_link(nonce: str) -> str:
    return settings.BASE_URL + join_path(nonce)
