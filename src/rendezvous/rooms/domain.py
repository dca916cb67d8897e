"""Who may be in a built-in room, right now: checked on the server on every connect.

The join page only decides what to draw; the WebSocket (rooms.consumers) asks
`room_admit` again on every connect and every RECHECK seconds after, so a page kept
open, a copied URL or a hand-written client gets exactly what the reveal rule allows.

| check, in this order | refusal (WebSocket close code) |
| --- | --- |
| the token exists | `unknown` (4404) |
| the meeting is a `builtin` one | `forbidden` (4403) |
| meeting_view allows it (token not revoked, booking confirmed, paid, ...) | `forbidden` (4403) |
| the meeting was not ended by its host, and `now` is before its end | `ended` (4410) |
| the viewer's window is open (`opens_at <= now`) | `early` (4425) |
| fewer than ROOM_MAX_PARTICIPANTS others are in the room (rooms.presence) | `full` (4429) |

Names come from the booking and the staff profile; nothing the browser sends names
anyone. A customer appears by their first name only, because a class puts strangers in
one room; the host appears under the staff profile's display name. Every message
(welcome, joined) carries the name decided here, so no client can ask for more.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from rendezvous.meetings.domain import meeting_view, token_lookup
from rendezvous.meetings.models import JoinRole, Meeting, MeetingState

log = logging.getLogger(__name__)

PROVIDER = "builtin"

# Close codes: 4000-4999 are the application's own (RFC 6455 section 7.4.2).
CLOSE_CODES = {
    "unknown": 4404,
    "forbidden": 4403,
    "ended": 4410,
    "early": 4425,
    "full": 4429,
    "replaced": 4409,
}


@dataclass(frozen=True)
class Admission:
    """A participant let into a room. `pid` is stable per join token (a reload or a
    reconnect is the same participant), and names no secret."""

    meeting_id: uuid.UUID
    pid: str
    name: str
    host: bool
    opens_at: datetime
    closes_at: datetime


@dataclass(frozen=True)
class Refusal:
    reason: str

    @property
    def code(self) -> int:
        return CLOSE_CODES[self.reason]


def room_admit(*, token: str, now: datetime | None = None) -> Admission | Refusal:
    """May the holder of `token` be in its meeting's room at `now`? Reads only."""
    now = now or timezone.now()
    row = token_lookup(token)
    if row is None:
        return Refusal("unknown")
    meeting = row.meeting
    if meeting.provider != PROVIDER:
        return Refusal("forbidden")
    booking = row.booking if row.role == JoinRole.CUSTOMER else meeting.booking
    view = meeting_view(booking=booking, viewer=row, now=now, meeting=meeting)
    if view is None or view.reason:
        return Refusal("forbidden")
    if meeting.state == MeetingState.ENDED or view.is_over:
        return Refusal("ended")
    if not view.is_open:
        return Refusal("early")
    host = row.role == JoinRole.HOST
    return Admission(
        meeting_id=meeting.pk,
        pid=f"{'h' if host else 'c'}{row.pk}",
        name=_name(row, meeting, booking, host),
        host=host,
        opens_at=view.opens_at,
        closes_at=view.closes_at,
    )


def _name(row, meeting: Meeting, booking, host: bool) -> str:
    if not host:
        return row.booking.first_name.strip()
    owner = booking or meeting.session
    if owner is not None and owner.staff is not None:
        return owner.staff.name
    return meeting.company.name


def room_end(*, token: str, now: datetime | None = None) -> uuid.UUID | None:
    """The host ends the meeting for everyone.

    Side effects, in order:
    1. validate: the token is admitted now and is the host's
    2. lock: the meeting row; re-check it is not ended or revoked
    3. write: state `ended` (every later connect is refused with `ended`)
    Returns the meeting's id, or None when the token may not end it.
    """
    now = now or timezone.now()
    admitted = room_admit(token=token, now=now)
    if not isinstance(admitted, Admission) or not admitted.host:
        return None
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().filter(pk=admitted.meeting_id).first()
        if meeting is None or meeting.state in (MeetingState.ENDED, MeetingState.REVOKED):
            return None
        meeting.state = MeetingState.ENDED
        meeting.save(update_fields=["state", "updated_at"])
    log.info("room %s ended by its host", admitted.meeting_id)
    return admitted.meeting_id


def ice_servers(*, pid: str, closes_at: datetime, now: datetime | None = None) -> list[dict]:
    """The RTCIceServer list for one participant.

    TURN credentials follow coturn's REST convention (`use-auth-secret`): the username
    is `<expiry unix time>:<participant id>`, the credential base64(HMAC-SHA1(secret,
    username)); coturn recomputes it and refuses it after the expiry. They last
    ROOM_TURN_TTL seconds, and at least until the meeting's end.
    """
    now = now or timezone.now()
    servers: list[dict] = []
    if settings.ROOM_STUN_URLS:
        servers.append({"urls": list(settings.ROOM_STUN_URLS)})
    if settings.ROOM_TURN_URLS and settings.ROOM_TURN_SECRET:
        expiry = max(now + timedelta(seconds=settings.ROOM_TURN_TTL), closes_at)
        username = f"{int(expiry.timestamp())}:{pid}"
        digest = hmac.new(
            settings.ROOM_TURN_SECRET.encode(), username.encode(), hashlib.sha1
        ).digest()
        servers.append(
            {
                "urls": list(settings.ROOM_TURN_URLS),
                "username": username,
                "credential": base64.b64encode(digest).decode(),
            }
        )
    return servers
