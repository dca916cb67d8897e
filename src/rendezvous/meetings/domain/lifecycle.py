"""A meeting's life: created with its booking, provisioned, moved, revoked.

| booking change | inside the booking's transaction | after commit (task) |
| --- | --- | --- |
| created (online) | Meeting `pending` (or the session's existing one), a host token, the customer's token; a `local` provider (builtin, manual, static_link, jitsi: no network) is asked at once, so the confirmation email can carry the link | a remote provider creates the meeting; retries with backoff, `failed` (staff told) after MAX_ATTEMPTS or a permanent error |
| rescheduled | tokens kept; the meeting's times moved (a class booking's token moves to the new session's meeting); a remote provider's update marked due | the provider's meeting updated; retried like a create |
| cancelled / declined | the booking's tokens revoked; an appointment's meeting `revoked`, a remote provider's delete marked due | the provider's meeting deleted; retried like a create |
| class session cancelled (bookings.domain.session_cancel) | every booking cancelled as above; the session's meeting and host token revoked, its delete marked due | the provider's meeting deleted |
| link known later (task, or staff typing a manual link) | `ready`; confirmed and paid bookings get MeetingLinkAdded (bookings.events: the email) | - |
| its OAuth account connected again (meeting_retry_failed) | a `failed` meeting that has not ended: `pending` again, attempts reset | created as above |

Retries share one bookkeeping (no column of its own): `attempts`, `last_error` and
`next_attempt_at`, read together with the state. The every-minute sweep
(meeting_retry_due) runs whatever is due; the task enqueued after commit usually gets
there first.

| state | next_attempt_at | last_error | means |
| --- | --- | --- | --- |
| pending | set | maybe | create due (a retry after a temporary error) |
| pending | empty | - | create running, or waiting for staff (manual) |
| failed | empty | set | create gave up (staff told by email) |
| ready | set | maybe | update due: the meeting moved and the provider has not heard yet |
| ready | empty | set | update gave up: the provider's meeting keeps its old time (a problem in the report) |
| revoked | set (and an external id) | maybe | delete due |
| revoked | empty | set | delete gave up: the meeting may still exist at the provider (a problem in the report) |

A worker claims an update or delete by moving next_attempt_at LEASE ahead under the
row lock, so the sweep and the after-commit task do not both call the provider; a
worker that dies leaves the claim to expire and the sweep takes it up again. An update
that finishes after the meeting moved again leaves the next update due.
Backoff: 1, 2, 4 ... minutes up to an hour (core.retry), or longer when the provider sent
Retry-After; MAX_ATTEMPTS in all, and a permanent error stops at once.

No network call runs inside a transaction (docs/architecture.md invariant 4).
"""

import logging
import uuid
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rendezvous.bookings import events
from rendezvous.bookings.models import ACTIVE_STATUSES, Booking
from rendezvous.companies.models import Company
from rendezvous.core.errors import InvalidState, ValidationFailed
from rendezvous.core.retry import backoff
from rendezvous.core.text import has_control_chars
from rendezvous.core.tokens import hash_token, join_token, new_nonce

from ..models import JoinRole, JoinToken, Meeting, MeetingAccount, MeetingState
from ..providers import MeetingRef, MeetingSpec, ProviderError, get_provider, provider_class

if TYPE_CHECKING:
    from django.tasks import Task

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
# How long a worker holds an update or delete it claimed: longer than any provider call
# (timeouts in providers.http), short enough that a crashed worker's job comes back soon.
LEASE = timedelta(minutes=2)
# A company with online meetings on and no account gets the room Rendezvous serves itself.
DEFAULT_PROVIDER = "builtin"


def account_for(company: Company, staff_id: int | None) -> MeetingAccount | None:
    """The staff member's own active account, else the company's default, else None."""
    accounts = MeetingAccount.objects.filter(company=company, active=True).order_by("id")
    own = accounts.filter(staff_id=staff_id).first() if staff_id else None
    return own or accounts.filter(staff__isnull=True).first()


def meeting_booking_changed(
    *, booking: Booking, now: datetime | None = None, new: bool = False
) -> None:
    """Bring the booking's meeting and join tokens in line with the booking. Called by
    bookings.domain inside its transaction with the locked booking, after create,
    reschedule, cancel and decline.

    Side effects, in order:
    1. write: active online booking: the meeting (new, or the class session's), its host
       token, the customer's token (kept, or moved to the new session's meeting); a
       local provider's meeting details; moved times; an appointment whose staff
       member's account is not the meeting's any more: the meeting made again there
       (_rehost), the customer's link unchanged
       inactive or no longer online: the booking's tokens revoked, an appointment's
       meeting `revoked`
    2. after commit: a task creates, updates or deletes the provider's meeting

    `new`: the booking was created in this transaction (bookings.domain.create).
    """
    now = now or timezone.now()
    if booking.online and booking.status in ACTIVE_STATUSES:
        _attach(booking, now)
    elif not new:
        # A booking created just now has no tokens and no meeting to let go of.
        _detach(booking, now)


def _attach(booking: Booking, now: datetime) -> None:
    session = booking.session
    if session is not None:
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
            _move(meeting, session.start, session.end, now)
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
            # An online toggle back on: start afresh. A delete still due for the old
            # meeting loses its row, so it gets one try after commit (best effort).
            if _delete_due(meeting):
                _delete_after_commit(meeting)
            meeting.delete()
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
        return
    account = account_for(booking.company, booking.staff_id)
    if (account.pk if account else None) != meeting.account_id:
        _rehost(meeting, account, booking, now)
    elif (meeting.start, meeting.end) != (booking.start, booking.end):
        _move(meeting, booking.start, booking.end, now)


def _rehost(meeting: Meeting, account: MeetingAccount | None, booking: Booking, now) -> None:
    """The booking went to a staff member whose meetings another account hosts: the
    same row is created again there (so the customer's link stays the one they have),
    the old host's link stops working and the old provider's meeting is deleted after
    commit (best effort: nobody can join it any more through us)."""
    if meeting.external_id:
        _delete_after_commit(meeting)
    JoinToken.objects.filter(meeting=meeting, role=JoinRole.HOST, revoked_at__isnull=True).update(
        revoked_at=now
    )
    meeting.account = account
    meeting.provider = account.provider if account else DEFAULT_PROVIDER
    meeting.state = MeetingState.PENDING
    meeting.start, meeting.end = booking.start, booking.end
    meeting.external_id = meeting.join_url = meeting.host_url = ""
    meeting.password = meeting.instructions = meeting.last_error = ""
    meeting.attempts, meeting.next_attempt_at, meeting.ready_at = 0, None, None
    meeting.link_missing_notified_at = None
    meeting.save()
    _provision(meeting, now, announce_to=booking)


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
    _provision(meeting, now, announce_to=announce_to)
    return meeting


def _provision(meeting: Meeting, now: datetime, *, announce_to: Booking | None) -> None:
    """A new host link, then the meeting itself: at once for a local provider, after
    commit (a task) for a remote one."""
    account = meeting.account
    _issue(meeting, None, JoinRole.HOST)
    try:
        provider = get_provider(meeting.provider, account)
    except ProviderError as exc:
        _record_failure(meeting, exc, now, booking=announce_to)
        return
    if provider.local:
        try:
            _apply(meeting, provider.create_meeting(_spec(meeting)), now)
        except ProviderError as exc:
            _record_failure(meeting, exc, now, booking=announce_to)
    else:
        _after_commit("provision", meeting.pk)


def _issue(meeting: Meeting, booking: Booking | None, role: str) -> JoinToken:
    nonce = new_nonce()
    return JoinToken.objects.create(
        meeting=meeting,
        booking=booking,
        role=role,
        nonce=nonce,
        token_hash=hash_token(join_token(nonce)),
    )


def _move(meeting: Meeting, start: datetime, end: datetime, now: datetime) -> None:
    meeting.start, meeting.end = start, end
    meeting.link_missing_notified_at = None  # a new time deserves a new warning
    fields = ["start", "end", "link_missing_notified_at", "updated_at"]
    if meeting.state == MeetingState.ENDED and end > now:
        # The host ended it early (the built-in room); the new time opens it again.
        meeting.state = MeetingState.READY
        fields.append("state")
    if meeting.state == MeetingState.READY and meeting.external_id:
        if _is_remote(meeting):
            # Due now, for the task below or, if the provider is down, the sweep.
            meeting.next_attempt_at, meeting.attempts, meeting.last_error = now, 0, ""
            fields += ["next_attempt_at", "attempts", "last_error"]
            meeting.save(update_fields=fields)
            _after_commit("update", meeting.pk)
            return
        _update_locally(meeting, fields)
    # A pending meeting is created with its current times; meeting_provision checks
    # whether it moved while the provider was creating it.
    meeting.save(update_fields=fields)


def _is_remote(meeting: Meeting) -> bool:
    try:
        return not provider_class(meeting.provider).local
    except ProviderError:
        return False  # an unknown provider: nothing to call


def _update_locally(meeting: Meeting, fields: list[str]) -> None:
    """A local provider (no network) hears of the move inside the transaction."""
    try:
        ref = get_provider(meeting.provider, meeting.account).update_meeting(
            _ref(meeting), _spec(meeting)
        )
    except ProviderError as exc:
        log.warning("meeting %s: local update failed: %s", meeting.pk, exc)
        return
    if ref != _ref(meeting):
        _copy_ref(meeting, ref)
        fields += ["external_id", "join_url", "host_url", "password", "instructions"]


def _detach(booking: Booking, now: datetime) -> None:
    JoinToken.objects.filter(booking=booking, revoked_at__isnull=True).update(revoked_at=now)
    if booking.session_id:
        return  # the class's meeting goes on for the other participants
    meeting = Meeting.objects.filter(booking=booking).first()
    if meeting is None or meeting.state == MeetingState.REVOKED:
        return
    _revoke(meeting, now)


def _revoke(meeting: Meeting, now: datetime) -> None:
    """Revoke the meeting and every token into it; a remote provider's meeting is
    deleted after commit (a delete due, retried by the sweep)."""
    JoinToken.objects.filter(meeting=meeting, revoked_at__isnull=True).update(revoked_at=now)
    meeting.state = MeetingState.REVOKED
    meeting.revoked_at = now
    due = bool(meeting.external_id) and _is_remote(meeting)
    meeting.next_attempt_at = now if due else None
    meeting.attempts, meeting.last_error = 0, ""
    meeting.save(
        update_fields=[
            "state",
            "revoked_at",
            "next_attempt_at",
            "attempts",
            "last_error",
            "updated_at",
        ]
    )
    if due:
        _after_commit("delete", meeting.pk)


def meeting_session_cancelled(*, session, now: datetime | None = None) -> Meeting | None:
    """A class session was cancelled (bookings.domain.session_cancel, inside its
    transaction, after cancelling its bookings): its meeting and every token revoked.

    Side effects, in order:
    1. write: the meeting `revoked`, its tokens revoked, a delete due
    2. after commit: the provider's meeting deleted (retried by the sweep)
    Returns the meeting, None when the session had none.
    """
    now = now or timezone.now()
    meeting = Meeting.objects.select_for_update(of=("self",)).filter(session=session).first()
    if meeting is None or meeting.state == MeetingState.REVOKED:
        return meeting
    _revoke(meeting, now)
    return meeting


def _after_commit(what: str, meeting_id: uuid.UUID) -> None:
    transaction.on_commit(partial(_enqueue, what, meeting_id), robust=True)


def _enqueue(what: str, meeting_id: uuid.UUID) -> None:
    from .. import tasks  # noqa: PLC0415 (tasks import this module)

    jobs: dict[str, Task[[str], Any]] = {
        "provision": tasks.provision_meeting,
        "update": tasks.update_meeting,
        "delete": tasks.delete_meeting,
    }
    job = jobs[what]
    job.enqueue(str(meeting_id))


def _spec(meeting: Meeting) -> MeetingSpec:
    owner = meeting.booking or meeting.session
    assert owner is not None  # a booking's or a session's (meeting_for_booking_or_session)
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


def _copy_ref(meeting: Meeting, ref: MeetingRef) -> None:
    meeting.external_id = ref.external_id
    meeting.join_url = ref.join_url
    meeting.host_url = ref.host_url
    meeting.password = ref.password or meeting.password
    meeting.instructions = ref.instructions or meeting.instructions


def _apply(meeting: Meeting, ref: MeetingRef, now: datetime) -> None:
    _copy_ref(meeting, ref)
    if ref.join_url:
        meeting.state = MeetingState.READY
        meeting.ready_at = now
    meeting.next_attempt_at = None
    meeting.last_error = ""
    meeting.save()


def _record_failure(
    meeting: Meeting,
    exc: ProviderError,
    now: datetime,
    *,
    booking: Booking | None = None,
    what: str = "create",
) -> None:
    """A provider call failed: the next attempt's time, or give up. A create that gives
    up fails the meeting (staff told); an update or delete that gives up leaves the
    state as it is, with last_error, for the report's problem list."""
    meeting.attempts += 1
    # Provider messages name no secret (adapters make sure); keep them short.
    meeting.last_error = str(exc)[:500]
    log.warning(
        "meeting %s: provider %s %s failed (attempt %d, permanent=%s)",
        meeting.pk,
        meeting.provider,
        what,
        meeting.attempts,
        exc.permanent,
    )
    if what != "create":
        if exc.permanent or meeting.attempts >= MAX_ATTEMPTS:
            meeting.next_attempt_at = None
        else:
            meeting.next_attempt_at = now + _wait(meeting.attempts, exc)
        meeting.save(update_fields=["attempts", "last_error", "next_attempt_at", "updated_at"])
        return
    if exc.permanent or meeting.attempts >= MAX_ATTEMPTS:
        meeting.state = MeetingState.FAILED
        meeting.next_attempt_at = None
        meeting.save()
        for target in [booking] if booking is not None else _bookings(meeting)[:1]:
            events.publish(events.MeetingCreationFailing(booking=target))
    else:
        meeting.next_attempt_at = now + _wait(meeting.attempts, exc)
        meeting.save()


def _wait(attempts: int, exc: ProviderError) -> timedelta:
    wait = backoff(attempts)
    if exc.retry_after is not None:  # the provider said when (429 / 503 Retry-After)
        wait = max(wait, timedelta(seconds=exc.retry_after))
    return wait


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
    for booking in _bookings(meeting):
        if not booking.link_hold():
            events.publish(events.MeetingLinkAdded(booking=booking))


def meeting_provision(*, meeting_id: uuid.UUID, now: datetime | None = None) -> str | None:
    """Ask the provider to create a pending meeting (a task, after commit).

    Side effects, in order:
    1. network: provider.create_meeting, outside any transaction
    2. lock: the meeting row; re-check it is still pending
    3. write: the link and `ready` (and MeetingLinkAdded), or the failure with
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
    sent = (meeting.start, meeting.end)
    try:
        provider = get_provider(meeting.provider, meeting.account)
        ref = provider.create_meeting(_spec(meeting))
    except ProviderError as exc:
        with transaction.atomic():
            locked = Meeting.objects.select_for_update().filter(pk=meeting.pk).first()
            if locked is None:
                return None
            if locked.state == MeetingState.PENDING:
                _record_failure(locked, exc, now)
            return locked.state
    with transaction.atomic():
        locked = Meeting.objects.select_for_update().filter(pk=meeting.pk).first()
        if locked is not None and locked.state == MeetingState.REVOKED and not locked.external_id:
            # Cancelled while the provider was creating it: delete it, with retries.
            _copy_ref(locked, ref)
            locked.next_attempt_at, locked.attempts, locked.last_error = now, 0, ""
            locked.save()
            _after_commit("delete", locked.pk)
            return locked.state
        if (
            locked is None
            or locked.state != MeetingState.PENDING
            or locked.account_id != meeting.account_id
        ):
            # Deleted (an online toggle), another worker won, or the booking went to a
            # staff member of another account meanwhile (_rehost): this copy is an orphan.
            transaction.on_commit(partial(_delete_quietly, provider, ref), robust=True)
            return locked.state if locked is not None else None
        _apply(locked, ref, now)
        if locked.state == MeetingState.READY:
            if (locked.start, locked.end) != sent and _is_remote(locked):
                # Moved while the provider was creating it at the old time.
                locked.next_attempt_at = now
                locked.save(update_fields=["next_attempt_at", "updated_at"])
                _after_commit("update", locked.pk)
            _announce(locked)
        return locked.state


def _delete_quietly(provider, ref: MeetingRef) -> None:
    try:
        provider.delete_meeting(ref)
    except ProviderError as exc:
        log.warning("could not delete an orphaned %s meeting: %s", provider.name, exc)


def _delete_due(meeting: Meeting) -> bool:
    return (
        meeting.state == MeetingState.REVOKED
        and bool(meeting.external_id)
        and meeting.next_attempt_at is not None
    )


def _delete_after_commit(meeting: Meeting) -> None:
    try:
        provider = get_provider(meeting.provider, meeting.account)
    except ProviderError:
        return
    transaction.on_commit(partial(_delete_quietly, provider, _ref(meeting)), robust=True)


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


def meeting_retry_failed(*, account: MeetingAccount, now: datetime | None = None) -> int:
    """Start over the meetings that gave up on `account` and have not ended: it was just
    connected again, and most of them failed because the old connection died.

    Call inside the transaction that stores the new connection. Side effects, in order:
    1. lock: the account's failed meetings that end after `now`
    2. write: `pending`, attempts 0, due now (last_error stays until one succeeds)
    3. after commit: a create task each (the every-minute sweep would also find them)
    Returns how many.
    """
    now = now or timezone.now()
    ids = list(
        Meeting.objects.select_for_update()
        .filter(account=account, state=MeetingState.FAILED, end__gt=now)
        .order_by("start")
        .values_list("pk", flat=True)
    )
    Meeting.objects.filter(pk__in=ids).update(
        state=MeetingState.PENDING, attempts=0, next_attempt_at=now, updated_at=now
    )
    for pk in ids:
        _after_commit("provision", pk)
    return len(ids)


def meeting_warn_missing_links(*, now: datetime | None = None, hours: int | None = None) -> int:
    """Tell staff, once per meeting, that a meeting starting within `hours` still has no link.

    Side effects, in order, per meeting: lock the meeting row; re-check it is still
    pending, unwarned and has an active booking; queue the "link still missing" email to
    the staff member (outbox, same transaction); mark the meeting as warned.
    Returns how many meetings were warned about.
    """
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
            if meeting is None:
                continue
            bookings = _bookings(meeting)
            if not bookings:
                continue
            events.publish(events.MeetingLinkMissing(booking=bookings[0]))
            meeting.link_missing_notified_at = now
            meeting.save(update_fields=["link_missing_notified_at", "updated_at"])
            warned += 1
    return warned


def _claim(meeting_id: uuid.UUID, state: str, now: datetime) -> Meeting | None:
    """Take an update or delete that is due: its next_attempt_at moves LEASE ahead under
    the row lock, so a second worker finds nothing due. None when nothing is due."""
    with transaction.atomic():
        meeting = (
            Meeting.objects.select_for_update()
            .filter(pk=meeting_id, state=state, next_attempt_at__lte=now)
            .exclude(external_id="")
            .first()
        )
        if meeting is None:
            return None
        meeting.next_attempt_at = now + LEASE
        meeting.save(update_fields=["next_attempt_at", "updated_at"])
    return meeting


def meeting_push_update(*, meeting_id: uuid.UUID, now: datetime | None = None) -> str | None:
    """Tell the provider the meeting moved (a task after a reschedule commits, and the
    sweep while it keeps failing).

    Side effects, in order:
    1. lock: the meeting row; claim the due update (next_attempt_at + LEASE)
    2. network: provider.update_meeting with the meeting's current times
    3. lock: the meeting row again; write: done (nothing due, a changed link kept), or
       due again at once when it moved meanwhile, or the failure with the next attempt's
       time (none after MAX_ATTEMPTS or a permanent error: the report shows it)
    Returns "done", "retry", "gave_up", or None when no update was due.
    """
    now = now or timezone.now()
    meeting = _claim(meeting_id, MeetingState.READY, now)
    if meeting is None:
        return None
    sent = (meeting.start, meeting.end)
    try:
        ref = get_provider(meeting.provider, meeting.account).update_meeting(
            _ref(meeting), _spec(meeting)
        )
    except ProviderError as exc:
        return _settle_failure(meeting.pk, MeetingState.READY, exc, now, "update")
    with transaction.atomic():
        locked = Meeting.objects.select_for_update().filter(pk=meeting.pk).first()
        if locked is None or locked.state != MeetingState.READY:
            return None  # cancelled meanwhile: its delete is due instead
        if ref.join_url and ref != _ref(locked):
            _copy_ref(locked, ref)
        if (locked.start, locked.end) != sent:
            locked.next_attempt_at = now  # moved again while we talked: once more
            _after_commit("update", locked.pk)
        else:
            locked.next_attempt_at = None
            locked.attempts, locked.last_error = 0, ""
        locked.save()
    return "done"


def meeting_delete_remote(*, meeting_id: uuid.UUID, now: datetime | None = None) -> str | None:
    """Delete a revoked meeting at the provider (a task after a cancel commits, and the
    sweep while it keeps failing). "Already gone" is success (the adapters' rule).

    Side effects, in order:
    1. lock: the meeting row; claim the due delete (next_attempt_at + LEASE)
    2. network: provider.delete_meeting
    3. lock: the meeting row again; write: done, or the failure with the next attempt's
       time (none after MAX_ATTEMPTS or a permanent error: the report shows it)
    Returns "done", "retry", "gave_up", or None when no delete was due.
    """
    now = now or timezone.now()
    meeting = _claim(meeting_id, MeetingState.REVOKED, now)
    if meeting is None:
        return None
    try:
        get_provider(meeting.provider, meeting.account).delete_meeting(_ref(meeting))
    except ProviderError as exc:
        return _settle_failure(meeting.pk, MeetingState.REVOKED, exc, now, "delete")
    with transaction.atomic():
        Meeting.objects.filter(pk=meeting.pk, state=MeetingState.REVOKED).update(
            next_attempt_at=None, attempts=0, last_error="", updated_at=now
        )
    return "done"


def _settle_failure(
    meeting_id: uuid.UUID, state: str, exc: ProviderError, now: datetime, what: str
) -> str | None:
    with transaction.atomic():
        locked = Meeting.objects.select_for_update().filter(pk=meeting_id, state=state).first()
        if locked is None:
            return None
        _record_failure(locked, exc, now, what=what)
        return "retry" if locked.next_attempt_at else "gave_up"


def meeting_retry_due(*, now: datetime | None = None, limit: int = 100) -> int:
    """Every due provider call (every minute): creates (pending meetings whose backoff
    passed), updates (ready meetings that moved) and deletes (revoked meetings with a
    provider meeting). Returns how many were tried."""
    now = now or timezone.now()
    tried = meeting_provision_due(now=now, limit=limit)
    for state, run in (
        (MeetingState.READY, meeting_push_update),
        (MeetingState.REVOKED, meeting_delete_remote),
    ):
        due = list(
            Meeting.objects.filter(state=state, next_attempt_at__lte=now)
            .exclude(external_id="")
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:limit]
        )
        for pk in due:
            run(meeting_id=pk, now=now)
        tried += len(due)
    return tried


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
    1. validate: http(s) URLs of at most LINK_MAX characters; instructions and password
       as meeting_set_details has them
    2. lock: the meeting row; re-check it is not revoked
    3. write: link, host link, instructions, password; `ready`
    4. write: MeetingLinkAdded (the email) for every booking that may see it, when the
       link is new or changed
    Raises ValidationFailed or InvalidState.
    """
    now = now or timezone.now()
    check = URLValidator(schemes=["https", "http"])
    errors = _details_errors(instructions, password)
    for name, value in (("url", url), ("host_url", host_url)):
        if value or name == "url":
            try:
                check(value)
            except ValidationError:
                errors[name] = [_("Enter a link that starts with https://.")]
            else:
                # The host link's column (ciphertext) has no length of its own: both
                # links keep join_url's.
                if len(value) > LINK_MAX:
                    errors[name] = [_("At most %(n)d characters.") % {"n": LINK_MAX}]
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


INSTRUCTIONS_MAX = 5000
PASSWORD_MAX = 200
LINK_MAX = 2000  # join_url's column


def _details_errors(instructions: str, password: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if len(instructions) > INSTRUCTIONS_MAX or has_control_chars(instructions, allow_newlines=True):
        errors["instructions"] = [
            _("At most %(n)d characters, no control characters.") % {"n": INSTRUCTIONS_MAX}
        ]
    if len(password) > PASSWORD_MAX or has_control_chars(password):
        errors["password"] = [
            _("At most %(n)d characters, no control characters.") % {"n": PASSWORD_MAX}
        ]
    return errors


def meeting_set_details(*, meeting: Meeting, instructions: str, password: str) -> Meeting:
    """Staff change what a meeting's participants read beside its link (instructions,
    a password), the link itself unchanged.

    Side effects, in order:
    1. validate: lengths; no control characters in the password (it goes into emails)
    2. lock: the meeting row; re-check it is not revoked
    3. write: instructions and password (only here: the provider's copy is not changed)
    Raises ValidationFailed or InvalidState.
    """
    errors = _details_errors(instructions, password)
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if locked.state == MeetingState.REVOKED:
            raise InvalidState(_("This meeting was cancelled."))
        locked.instructions, locked.password = instructions, password
        locked.save(update_fields=["instructions", "password", "updated_at"])
    return locked
