"""Links in emails that must still work long after the booking was made.

**Manage link.** `{BASE_URL}/manage/{booking.id}/{token}/`, the same path as the API's
manage_url, with `?action=cancel` / `?action=reschedule` for [cancel_link] /
[reschedule_link]. The booking's own manage token is shown once and only its hash is
stored, so a reminder written days later carries a signed one instead
(core.tokens.manage_token); the manage page accepts both (public.access).

**Staff feed.** `GET /calendar/<token>.ics`: a random token stored as its hash in
StaffCalendarFeed (core.tokens); issuing a new one replaces (revokes) the old.
"""

from django.conf import settings

from rendezvous.bookings.models import Booking
from rendezvous.companies.models import StaffMember
from rendezvous.core.tokens import hash_token, manage_token

from .models import StaffCalendarFeed


def manage_link(booking: Booking, action: str = "") -> str:
    token = manage_token(booking.id, booking.manage_token_hash)
    url = f"{settings.BASE_URL}/manage/{booking.id}/{token}/"
    return f"{url}?action={action}" if action else url


def feed_url(token: str) -> str:
    return f"{settings.BASE_URL}/calendar/{token}.ics"


def staff_for_feed_token(token: str) -> StaffMember | None:
    feed = (
        StaffCalendarFeed.objects.select_related("staff__company")
        .filter(token_hash=hash_token(token))
        .first()
    )
    return feed.staff if feed else None
