"""A meeting's life: created with its booking, provisioned, moved, revoked.

| booking change | inside the booking's transaction | after commit (task) |
| --- | --- | --- |
| created (online) | Meeting `pending` (or the session's existing one), a host token, the customer's token; a `local` provider (manual, static_link, jitsi: no network) is asked at once, so the confirmation email can carry the link | a remote provider creates the meeting; retries with backoff, `failed` (staff told) after MAX_ATTEMPTS or a permanent error |
| rescheduled | tokens kept; the meeting's times moved (a class booking's token moves to the new session's meeting) | the provider's meeting updated |
| cancelled / declined | the booking's tokens revoked; an appointment's meeting `revoked` | the provider's meeting deleted |
| link known later (task, or staff typing a manual link) | `ready`; confirmed and paid bookings get notify_meeting_link_added | - |

No network call runs inside a transaction (DESIGN.md invariant 4).
"""

import logging
import uuid
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rendezvous.bookings.models import ACTIVE_STATUSES, Booking, BookingStatus, PaymentStatus
from rendezvous.companies.models import Company
from rendezvous.core.errors import InvalidState, ValidationFailed

from ..models import JoinRole, JoinToken, Meeting, MeetingAccount, MeetingState
from ..providers import MeetingRef, MeetingSpec, ProviderError, get_provider
from ..tokens import hash_token, new_nonce, token_for

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
MAX_BACKOFF = timedelta(hours=1)
DEFAULT_PROVIDER = "manual"


def backoff(attempts: int) -> timedelta:
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def account_for(company: Company, staff_id: int | None) -> MeetingAccount | None:
    """The staff member's own active account, else the company's default, else None."""
    accounts = MeetingAccount.objects.filter(company=company, active=True).order_by("id")
    own = accounts.filter(staff_id=staff_id).first() if staff_id else None
    return own or accounts.filter(staff__isnull=True).first()


def meeting_booking_changed(*, booking: Booking, now: datetime | None = None) -> None:
    """Bring the booking's meeting and join tokens in line with the booking. Called by
    bookings.domain inside its transaction with the locked booking, after create,
    reschedule, cancel and decline.

    Side effects, in order:
    1. write: active online booking: the meeting (new, or the class session's), its host
       token, the customer's token (kept, or moved to the new session's meeting); a
       local provider's meeting details; moved times
       inactive or no longer online: the booking's tokens revoked, an appointment's
       meeting `revoked`
    2. after commit: a task creates, updates or deletes the provider's meeting
    """
    now = now or timezone.now()
    if booking.online and booking.status in ACTIVE_STATUSES:
        _attach(booking, now)
    else:
        _detach(booking, now)


def _attach(booking: Booking, now: datetime) -> None:
    if booking.session_id:
        session = booking.session
        meeting = Meeting.objects.filter(session_id=session.pk).first()
        if meeting is None:
            meeting = _new_meeting(
                company=booking.company,
                booking=None,
                session=session,
                staff_id=session.staff_id,
                start=session.start,
                end=session.end,
                now=now,
                announce_to=booking,
            )
        elif (meeting.start, meeting.end) != (session.start, session.end):
            _move(meeting, session.start, session.end)
        token = JoinToken.objects.filter(
            booking=booking, role=JoinRole.CUSTOMER, revoked_at__isnull=True
        ).first()
        if token is None:
            _issue(meeting, booking, JoinRole.CUSTOMER)
        elif token.meeting_id != meeting.pk:
            # A class booking moved to another session: the same link, the new room.
            token.meeting = meeting
            token.save(update_fields=["meeting"])
        return
    meeting = Meeting.objects.filter(booking=booking).first()
    if meeting is None or meeting.state == MeetingState.REVOKED:
        if meeting is not None:
            meeting.delete()  # an online toggle back on: start afresh
        meeting = _new_meeting(
            company=booking.company,
            booking=booking,
            session=None,
            staff_id=booking.staff_id,
            start=booking.start,
            end=booking.end,
            now=now,
            announce_to=booking,
        )
        _issue(meeting, booking, JoinRole.CUSTOMER)
    elif (meeting.start, meeting.end) != (booking.start, booking.end):
        _move(meeting, booking.start, booking.end)


def _new_meeting(*, company, booking, session, staff_id, start, end, now, announce_to) -> Meeting:
    account = account_for(company, staff_id)
    meeting = Meeting.objects.create(
        company=company,
        booking=booking,
        session=session,
        account=account,
        provider=account.provider if account else DEFAULT_PROVIDER,
        start=start,
        end=end,
    )
    _issue(meeting, None, JoinRole.HOST)
    try:
        provider = get_provider(meeting.provider, account)
    except ProviderError as exc:
        _record_failure(meeting, exc, now, booking=announce_to)
        return meeting
    if provider.local:
        try:
            _apply(meeting, provider.create_meeting(_spec(meeting)), now)
        except ProviderError as exc:
            _record_failure(meeting, exc, now, booking=announce_to)
    else:
        _after_commit("provision", meeting.pk)
    return meeting


def _issue(meeting: Meeting, booking: Booking | None, role: str) -> JoinToken:
    nonce = new_nonce()
    return JoinToken.objects.create(
        meeting=meeting,
        booking=booking,
        role=role,
        nonce=nonce,
        token_hash=hash_token(token_for(nonce)),
    )


def _move(meeting: Meeting, start: datetime, end: datetime) -> None:
    meeting.start, meeting.end = start, end
    meeting.link_missing_notified_at = None  # a new time deserves a new warning
    meeting.save(update_fields=["start", "end", "link_missing_notified_at", "updated_at"])
    _after_commit("update", meeting.pk)


def _detach(booking: Booking, now: datetime) -> None:
    JoinToken.objects.filter(booking=booking, revoked_at__isnull=True).update(revoked_at=now)
    if booking.session_id:
        return  # the class's meeting goes on for the other participants
    meeting = Meeting.objects.filter(booking=booking).first()
    if meeting is None or meeting.state == MeetingState.REVOKED:
        return
    JoinToken.objects.filter(meeting=meeting, revoked_at__isnull=True).update(revoked_at=now)
    meeting.state = MeetingState.REVOKED
    meeting.revoked_at = now
    meeting.next_attempt_at = None
    meeting.save(update_fields=["state", "revoked_at", "next_attempt_at", "updated_at"])
    _after_commit("delete", meeting.pk)


def _after_commit(what: str, meeting_id: uuid.UUID) -> None:
    transaction.on_commit(partial(_enqueue, what, meeting_id), robust=True)


def _enqueue(what: str, meeting_id: uuid.UUID) -> None:
    from .. import tasks

    job = {
        "provision": tasks.provision_meeting,
        "update": tasks.update_meeting,
        "delete": tasks.delete_meeting,
    }[what]
    job.enqueue(str(meeting_id))


def _spec(meeting: Meeting) -> MeetingSpec:
    owner = meeting.booking or meeting.session
    staff = owner.staff if owner.staff_id else None
    return MeetingSpec(
        meeting_id=meeting.pk.hex,
        title=owner.service.name,
        start=meeting.start,
        end=meeting.end,
        timezone=meeting.company.timezone,
        host_name=staff.name if staff else "",
        host_email=staff.email if staff else "",
    )


def _ref(meeting: Meeting) -> MeetingRef:
    return MeetingRef(
        external_id=meeting.external_id,
        join_url=meeting.join_url,
        host_url=meeting.host_url,
        password=meeting.password,
        instructions=meeting.instructions,
    )


def _apply(meeting: Meeting, ref: MeetingRef, now: datetime) -> None:
    meeting.external_id = ref.external_id
    meeting.join_url = ref.join_url
    meeting.host_url = ref.host_url
    meeting.password = ref.password or meeting.password
    meeting.instructions = ref.instructions or meeting.instructions
    if ref.join_url:
        meeting.state = MeetingState.READY
        meeting.ready_at = now
    meeting.next_attempt_at = None
    meeting.last_error = ""
    meeting.save()


def _record_failure(
    meeting: Meeting, exc: ProviderError, now: datetime, *, booking: Booking | None = None
) -> None:
    meeting.attempts += 1
    # Provider messages name no secret (adapters make sure); keep them short.
    meeting.last_error = str(exc)[:500]
    log.warning(
        "meeting %s: provider %s failed (attempt %d, permanent=%s)",
        meeting.pk,
        meeting.provider,
        meeting.attempts,
        exc.permanent,
    )
    if exc.permanent or meeting.attempts >= MAX_ATTEMPTS:
        meeting.state = MeetingState.FAILED
        meeting.next_attempt_at = None
        meeting.save()
        from rendezvous.notifications.domain import notify_meeting_creation_failing

        for target in [booking] if booking is not None else _bookings(meeting)[:1]:
            notify_meeting_creation_failing(booking=target)
    else:
        wait = backoff(meeting.attempts)
        if exc.retry_after is not None:  # the provider said when (429 / 503 Retry-After)
            wait = max(wait, timedelta(seconds=exc.retry_after))
        meeting.next_attempt_at = now + wait
        meeting.save()


def _bookings(meeting: Meeting) -> list[Booking]:
    """The active bookings a meeting serves (one for an appointment)."""
    qs = Booking.objects.select_related("company", "service", "staff")
    if meeting.booking_id:
        qs = qs.filter(pk=meeting.booking_id)
    else:
        qs = qs.filter(session_id=meeting.session_id)
    return list(qs.filter(status__in=ACTIVE_STATUSES).order_by("created_at"))


def _announce(meeting: Meeting) -> None:
    """The link became known: tell every booking that may see it now (the others hear
    of it with their confirmation or payment email)."""
    from rendezvous.notifications.domain import notify_meeting_link_added

    for booking in _bookings(meeting):
        if booking.status == BookingStatus.CONFIRMED and booking.payment_status not in (
            PaymentStatus.PENDING,
            PaymentStatus.REFUNDED,
        ):
            notify_meeting_link_added(booking=booking)


def meeting_provision(*, meeting_id: uuid.UUID, now: datetime | None = None) -> str | None:
    """Ask the provider to create a pending meeting (a task, after commit).

    Side effects, in order:
    1. network: provider.create_meeting, outside any transaction
    2. lock: the meeting row; re-check it is still pending
    3. write: the link and `ready` (and notify_meeting_link_added), or the failure with
       the next attempt's time (or `failed`, staff told)
    4. after commit: a meeting revoked meanwhile is deleted at the provider
    Returns the meeting's state, None for an unknown or settled meeting.
    """
    now = now or timezone.now()
    meeting = (
        Meeting.objects.select_related("account", "company")
        .filter(pk=meeting_id, state=MeetingState.PENDING)
        .first()
    )
    if meeting is None:
        return None
    try:
        provider = get_provider(meeting.provider, meeting.account)
        ref = provider.create_meeting(_spec(meeting))
    except ProviderError as exc:
        with transaction.atomic():
            locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
            if locked.state == MeetingState.PENDING:
                _record_failure(locked, exc, now)
            return locked.state
    with transaction.atomic():
        locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if locked.state != MeetingState.PENDING:
            transaction.on_commit(partial(_delete_quietly, provider, ref), robust=True)
            return locked.state
        _apply(locked, ref, now)
        if locked.state == MeetingState.READY:
            _announce(locked)
        return locked.state


def _delete_quietly(provider, ref: MeetingRef) -> None:
    try:
        provider.delete_meeting(ref)
    except ProviderError as exc:
        log.warning("could not delete an orphaned %s meeting: %s", provider.name, exc)


def meeting_provision_due(*, now: datetime | None = None, limit: int = 100) -> int:
    """Retry pending meetings whose backoff has passed (every minute). Returns how many."""
    now = now or timezone.now()
    due = list(
        Meeting.objects.filter(state=MeetingState.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in due:
        meeting_provision(meeting_id=pk, now=now)
    return len(due)


def meeting_warn_missing_links(*, now: datetime | None = None, hours: int | None = None) -> int:
    """Tell staff, once per meeting, that a meeting starting within `hours` still has no link.

    Side effects, in order, per meeting: lock the meeting row; re-check it is still
    pending, unwarned and has an active booking; queue the "link still missing" email to
    the staff member (outbox, same transaction); mark the meeting as warned.
    Returns how many meetings were warned about.
    """
    from rendezvous.notifications.domain import notify_meeting_link_missing

    now = now or timezone.now()
    hours = settings.LINK_MISSING_HOURS if hours is None else hours
    candidates = Meeting.objects.filter(
        state=MeetingState.PENDING,
        link_missing_notified_at__isnull=True,
        start__gt=now,
        start__lte=now + timedelta(hours=hours),
    ).values_list("pk", flat=True)
    warned = 0
    for pk in list(candidates):
        with transaction.atomic():
            meeting = (
                Meeting.objects.select_for_update(of=("self",))
                .filter(pk=pk, state=MeetingState.PENDING, link_missing_notified_at__isnull=True)
                .first()
            )
            bookings = _bookings(meeting) if meeting else []
            if not bookings:
                continue
            notify_meeting_link_missing(booking=bookings[0])
            meeting.link_missing_notified_at = now
            meeting.save(update_fields=["link_missing_notified_at", "updated_at"])
            warned += 1
    return warned


def meeting_push_update(*, meeting_id: uuid.UUID) -> None:
    """Tell the provider the meeting moved (a task, after a reschedule commits)."""
    meeting = Meeting.objects.select_related("account", "company").filter(pk=meeting_id).first()
    if meeting is None or meeting.state != MeetingState.READY or not meeting.external_id:
        return
    provider = get_provider(meeting.provider, meeting.account)
    ref = provider.update_meeting(_ref(meeting), _spec(meeting))
    if ref != _ref(meeting):
        with transaction.atomic():
            locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
            if locked.state == MeetingState.READY:
                _apply(locked, ref, timezone.now())


def meeting_delete_remote(*, meeting_id: uuid.UUID) -> None:
    """Delete a revoked meeting at the provider (a task, after a cancel commits)."""
    meeting = Meeting.objects.select_related("account").filter(pk=meeting_id).first()
    if meeting is None or meeting.state != MeetingState.REVOKED:
        return
    if meeting.external_id:
        get_provider(meeting.provider, meeting.account).delete_meeting(_ref(meeting))


def meeting_set_link(
    *,
    meeting: Meeting,
    url: str,
    instructions: str = "",
    password: str = "",
    host_url: str = "",
    now: datetime | None = None,
) -> Meeting:
    """Staff give a meeting its link (the `manual` provider, or a fix by hand).

    Side effects, in order:
    1. validate: http(s) URLs
    2. lock: the meeting row; re-check it is not revoked
    3. write: link, host link, instructions, password; `ready`
    4. write: notify_meeting_link_added for every booking that may see it, when the
       link is new or changed
    Raises ValidationFailed or InvalidState.
    """
    now = now or timezone.now()
    check = URLValidator(schemes=["https", "http"])
    errors: dict[str, list[str]] = {}
    for name, value in (("url", url), ("host_url", host_url)):
        if value or name == "url":
            try:
                check(value)
            except ValidationError:
                errors[name] = [_("Enter a link that starts with https://.")]
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if locked.state == MeetingState.REVOKED:
            raise InvalidState(_("This meeting was cancelled."))
        changed = locked.state != MeetingState.READY or locked.join_url != url
        _apply(
            locked,
            MeetingRef(
                external_id=locked.external_id,
                join_url=url,
                host_url=host_url,
                password=password,
                instructions=instructions,
            ),
            now,
        )
        locked.password, locked.instructions = password, instructions
        locked.attempts = 0
        locked.save(update_fields=["password", "instructions", "attempts"])
        if changed:
            _announce(locked)
    return locked
