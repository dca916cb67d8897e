"""Links in emails that must still work long after the booking was made.

**Manage link.** The booking's manage token is shown once and only its SHA-256 is
stored (bookings/domain/tokens.py), so a reminder written days later cannot rebuild
`/manage/<id>/<token>/`. Emails therefore carry a *signed* token instead:

| part | value |
| --- | --- |
| URL | `{BASE_URL}/manage/{booking.id}/{signed}/`, same path as the API's manage_url; `?action=cancel` / `?action=reschedule` for [cancel_link] / [reschedule_link] |
| signed | `django.core.signing.Signer(salt="rendezvous.manage").sign_object({"b": booking.id.hex, "h": booking.manage_token_hash[:16]})`; no timestamp |
| accepted when | the signature is valid for that salt and SECRET_KEY, `b` is the booking in the path, and `h` equals the first 16 hex characters of the booking's current manage_token_hash |
| revoked by | rotating the booking's manage token (a new hash), or SECRET_KEY |
| told apart from a plain token | a signed token contains `:`; `secrets.token_urlsafe` never does |

The manage page (issue 3) calls `manage_link_valid(booking=..., token=...)` when the
token contains a colon, else compares hashes as it does for the API.

**Staff feed.** `GET /calendar/<token>.ics`: 256 random bits, stored as SHA-256 in
StaffCalendarFeed; issuing a new one replaces (revokes) the old.
"""

import hashlib
import secrets

from django.conf import settings
from django.core import signing

from rendezvous.bookings.models import Booking
from rendezvous.companies.models import StaffMember

MANAGE_SALT = "rendezvous.manage"
HASH_PREFIX = 16


def manage_link_token(booking: Booking) -> str:
    return signing.Signer(salt=MANAGE_SALT).sign_object(
        {"b": booking.id.hex, "h": booking.manage_token_hash[:HASH_PREFIX]}
    )


def manage_link_valid(*, booking: Booking, token: str) -> bool:
    try:
        data = signing.Signer(salt=MANAGE_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError, TypeError):
        return False
    return (
        isinstance(data, dict)
        and data.get("b") == booking.id.hex
        and data.get("h") == booking.manage_token_hash[:HASH_PREFIX]
    )


def manage_link(booking: Booking, action: str = "") -> str:
    url = f"{settings.BASE_URL}/manage/{booking.id}/{manage_link_token(booking)}/"
    return f"{url}?action={action}" if action else url


def feed_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_url(token: str) -> str:
    return f"{settings.BASE_URL}/calendar/{token}.ics"


def new_feed_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, feed_token_hash(token)


def staff_for_feed_token(token: str) -> StaffMember | None:
    from .models import StaffCalendarFeed

    feed = (
        StaffCalendarFeed.objects.select_related("staff__company")
        .filter(token_hash=feed_token_hash(token))
        .first()
    )
    return feed.staff if feed else None
