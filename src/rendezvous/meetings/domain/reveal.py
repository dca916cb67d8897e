"""The one reveal rule (docs/architecture.md invariant 5): who sees which meeting link, when.

`meeting_view` is the only function that decides; the join page, the manage page and
confirmation, My bookings, the API's meeting object, the admin and emails all ask it.

| condition (checked in this order) | what the viewer gets (`reason`) |
| --- | --- |
| not the booking's customer (their token) nor staff allowed to see the booking (access_bookings; juniors only their own staff profile's) | nothing (`forbidden`) |
| booking cancelled, token or meeting revoked | nothing (`revoked`) |
| booking requested, not yet confirmed | nothing (`unconfirmed`) |
| payment required and not paid | nothing (`unpaid`) |
| the provider's link is not known yet / creation failed | nothing (`pending` / `failed`) |
| otherwise | `join_url` (our /join/<token>/ link: the customer's token, or the host token for staff), instructions, password |
| ... and inside the window | also `raw_url`, the provider's URL for this participant |

The window opens `company.join_window_minutes` before the start (the host: at least
HOST_EARLY before) and closes at the end. Emails and pages never show `raw_url`; only
the join page redirects to it. So `raw_url` is minted only for a join token viewer (the
join page; `mint` overrides): minting may call the provider (BigBlueButton re-creates
a reaped room, Zoom fetches a fresh host start URL), which must never happen inside a
booking transaction (emails render there) or once per row of a list.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.db.models import F

from rendezvous.bookings.access import access_bookings
from rendezvous.bookings.models import Booking
from rendezvous.companies.access import Actor, access_sees_staff
from rendezvous.core.tokens import hash_token

from ..links import join_link
from ..models import JoinRole, JoinToken, Meeting, MeetingState
from ..providers import MeetingRef, Participant, ProviderError, get_provider

HOST_EARLY = timedelta(minutes=15)


@dataclass(frozen=True)
class CustomerViewer:
    """The booking's customer, proven by its manage token, a signed link or My bookings."""

    booking_id: uuid.UUID


Viewer = CustomerViewer | Actor | JoinToken


@dataclass(frozen=True)
class MeetingView:
    provider: str | None
    state: str
    opens_at: datetime
    closes_at: datetime
    is_open: bool
    is_over: bool
    host: bool
    reason: str = ""
    join_url: str | None = None
    raw_url: str | None = None
    instructions: str | None = None
    password: str | None = None

    @property
    def ready(self) -> bool:
        """The meeting exists at the provider, whether or not this viewer gets its link."""
        return self.state == MeetingState.READY


@dataclass(frozen=True)
class Prefetched:
    """What a list of bookings loads at once for one staff viewer (meeting_prefetch), so
    the rule below runs for every row without a query per row. The rule is unchanged:
    only its inputs come from here instead of one query each."""

    meetings: dict  # booking id -> its Meeting (the session's, for a class booking)
    host_tokens: dict  # meeting id -> the host token _resolve would pick
    visible: frozenset  # ids of the bookings the viewer may see (access_bookings)


def meeting_prefetch(bookings: list[Booking], viewer: Actor) -> Prefetched:
    """Three queries for any number of bookings: their meetings (with accounts), the
    meetings' host tokens, and which bookings access_bookings lets the viewer see."""
    online = [b for b in bookings if b.online]
    by_booking = Meeting.objects.filter(booking_id__in=[b.pk for b in online if not b.session_id])
    by_session = Meeting.objects.filter(
        session_id__in={b.session_id for b in online if b.session_id}
    )
    rows = list((by_booking | by_session).select_related("account", "company"))
    for_booking = {m.booking_id: m for m in rows if m.booking_id}
    for_session = {m.session_id: m for m in rows if m.session_id}
    meetings = {
        b.pk: for_session.get(b.session_id) if b.session_id else for_booking.get(b.pk)
        for b in online
    }
    host_tokens: dict = {}
    # The same order as _resolve's query, first one per meeting.
    for token in JoinToken.objects.filter(meeting__in=rows, role=JoinRole.HOST).order_by(
        F("revoked_at").asc(nulls_first=True), "-created_at"
    ):
        host_tokens.setdefault(token.meeting_id, token)
    visible = frozenset(
        access_bookings(viewer).filter(pk__in=[b.pk for b in online]).values_list("pk", flat=True)
    )
    return Prefetched(meetings=meetings, host_tokens=host_tokens, visible=visible)


def meeting_for(booking: Booking) -> Meeting | None:
    if booking.session_id:
        return Meeting.objects.filter(session_id=booking.session_id).first()
    return Meeting.objects.filter(booking_id=booking.pk).first()


def token_lookup(token: str) -> JoinToken | None:
    if not token or len(token) > 100:
        return None
    return (
        JoinToken.objects.select_related(
            "meeting__company",
            "meeting__account",
            "meeting__session__staff",
            "booking__company",
            "booking__service",
        )
        .filter(token_hash=hash_token(token))
        .first()
    )


def meeting_view(
    *,
    booking: Booking | None,
    viewer: Viewer | None,
    now: datetime,
    meeting: Meeting | None = None,
    prefetched: Prefetched | None = None,
    mint: bool | None = None,
) -> MeetingView | None:
    """What `viewer` may see of the meeting of `booking` (or of a class session's
    `meeting` for its host) at `now`. None for an in-person booking. `prefetched`
    (meeting_prefetch, for lists) supplies the rows the rule would otherwise query."""
    if booking is not None and not booking.online:
        return None
    if prefetched is not None and booking is not None:
        meeting = prefetched.meetings.get(booking.pk)
    elif meeting is None and booking is not None:
        meeting = meeting_for(booking)
    if booking is None and meeting is None:
        return None
    if booking is not None:
        company = booking.company
        start, end = booking.start, booking.end
    else:
        assert meeting is not None  # returned above otherwise
        company = meeting.company
        start, end = meeting.start, meeting.end
    allowed, role, token = _resolve(viewer, booking, meeting, prefetched)
    host = role == JoinRole.HOST
    window = timedelta(minutes=company.join_window_minutes)
    opens = start - (max(window, HOST_EARLY) if host else window)
    state = meeting.state if meeting is not None else MeetingState.PENDING
    if state == MeetingState.READY and now >= end:
        state = MeetingState.ENDED
    view = MeetingView(
        provider=meeting.provider if meeting is not None else None,
        state=state,
        opens_at=opens,
        closes_at=end,
        is_open=opens <= now < end,
        is_over=now >= end,
        host=host,
    )
    reason = _hidden(allowed, booking, meeting, token)
    if reason:
        return replace(view, reason=reason)
    assert meeting is not None and token is not None  # "pending" otherwise (_hidden)
    raw = None
    if mint is None:
        mint = isinstance(viewer, JoinToken)
    if view.is_open and mint:
        try:
            raw = _raw_url(meeting, booking, host, token, opens, end) or None
        except ProviderError:
            return replace(view, reason="failed")
    return replace(
        view,
        join_url=join_link(token.nonce),
        raw_url=raw,
        instructions=meeting.instructions or None,
        password=meeting.password or None,
    )


def _resolve(viewer, booking, meeting, prefetched=None) -> tuple[bool, str, JoinToken | None]:
    """(allowed, role, the viewer's token) for this booking's meeting."""
    if isinstance(viewer, JoinToken):
        if meeting is None or viewer.meeting_id != meeting.pk:
            return False, viewer.role, None
        if viewer.role == JoinRole.CUSTOMER and (
            booking is None or viewer.booking_id != booking.pk
        ):
            return False, viewer.role, None
        return True, viewer.role, viewer
    if isinstance(viewer, CustomerViewer):
        if booking is None or viewer.booking_id != booking.pk:
            return False, JoinRole.CUSTOMER, None
        token = None
        if meeting is not None:
            token = (
                JoinToken.objects.filter(meeting=meeting, booking=booking, role=JoinRole.CUSTOMER)
                .order_by(F("revoked_at").asc(nulls_first=True), "-created_at")
                .first()
            )
        return True, JoinRole.CUSTOMER, token
    if isinstance(viewer, Actor):
        company_id = booking.company_id if booking is not None else meeting.company_id
        if viewer.company.pk != company_id:
            return False, JoinRole.HOST, None
        if booking is not None and prefetched is not None:
            allowed = booking.pk in prefetched.visible
        elif booking is not None:
            allowed = access_bookings(viewer).filter(pk=booking.pk).exists()
        else:
            allowed = access_sees_staff(viewer, meeting.session.staff_id)
        token = None
        if allowed and meeting is not None and prefetched is not None:
            token = prefetched.host_tokens.get(meeting.pk)
        elif allowed and meeting is not None:
            token = (
                JoinToken.objects.filter(meeting=meeting, role=JoinRole.HOST)
                .order_by(F("revoked_at").asc(nulls_first=True), "-created_at")
                .first()
            )
        return allowed, JoinRole.HOST, token
    return False, JoinRole.CUSTOMER, None


def _hidden(allowed, booking, meeting, token) -> str:
    if not allowed:
        return "forbidden"
    hold = booking.link_hold() if booking is not None else ""
    if hold == "revoked":
        return hold
    if meeting is not None and meeting.state == MeetingState.REVOKED:
        return "revoked"
    if token is not None and token.revoked_at is not None:
        return "revoked"
    if hold:
        return hold
    if meeting is None or token is None or meeting.state == MeetingState.PENDING:
        return "pending"
    if meeting.state == MeetingState.FAILED or not meeting.join_url:
        return "failed"
    return ""


def _raw_url(meeting, booking, host, token, opens, end) -> str:
    ref = MeetingRef(
        external_id=meeting.external_id,
        join_url=meeting.join_url,
        host_url=meeting.host_url,
        password=meeting.password,
        instructions=meeting.instructions,
    )
    if host:
        owner = booking or meeting.session
        staff = owner.staff if owner.staff_id else None
        name, email = (staff.name, staff.email) if staff else ("", "")
        pid = f"host-{meeting.pk.hex[:12]}"
    else:
        name, email = f"{booking.first_name} {booking.last_name}", booking.email
        pid = f"guest-{token.pk}"
    participant = Participant(
        id=pid, name=name, email=email or "", host=host, not_before=opens, expires=end
    )
    return get_provider(meeting.provider, meeting.account).join_url(ref, participant)
