"""The outbox: every email is a row first, written in the transaction that caused it.

| step | what happens |
| --- | --- |
| enqueue | `outbox_enqueue` inserts the row (state `queued`, a fixed Message-ID) inside the caller's transaction and asks, on commit, for a delivery task; no network inside the transaction (docs/architecture.md invariant 4) |
| enqueue, deferred | inside `render_after_commit` (booking_create, seat_reserve) the row holds only event, recipient, language and SEQUENCE (`to_render`); its delivery task renders it (templates, links, meeting, iCalendar) when it claims it, then sends. Neither the booking's write lock nor the request waits for rendering; a lost task is covered by the sweep, which renders the same way. When the booking transaction is nested in a caller's, the rows are rendered at the end of the block instead, inside the caller's transaction |
| claim | `outbox_deliver` moves one row to `sending` with a lease by a conditional UPDATE: two workers never send the same row at once |
| send | through Django's mailer (`MAILERS`), outside any transaction |
| success | `sent` |
| temporary failure | connection refused, timeout, a 4xx, a dropped connection: back to `queued` with exponential backoff (1, 2, 4 ... 60 minutes), `failed` after NOTIFICATIONS_MAX_ATTEMPTS |
| permanent failure | a 5xx for the recipient, sender or data, an address that cannot be sent to: `failed` at once, shown in the admin and the back office's outbox with a resend button |
| worker killed mid-send | the row stays `sending`; once its lease has run out the sweep (`outbox_deliver_due`, every minute) sends it again with the same Message-ID, so a receiving system that did get the first copy can recognise the second |

Log lines name the row id and event, never an address or a name.
"""

import logging
import smtplib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.utils import make_msgid
from functools import partial
from urllib.parse import urlsplit

from django.conf import settings
from django.core import mail
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from rendezvous.bookings.models import Booking
from rendezvous.companies.models import Company
from rendezvous.core.errors import InvalidState
from rendezvous.core.retry import backoff
from rendezvous.core.text import one_line

from ..ics import organizer_address
from ..mime import BookingEmail
from ..models import NotificationSettings, OutboxMessage, OutboxState
from .render import Rendered

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)


def max_attempts() -> int:
    return getattr(settings, "NOTIFICATIONS_MAX_ATTEMPTS", 30)


# Row ids written inside render_after_commit, to render once it ends; None outside.
_deferred: ContextVar[list[uuid.UUID] | None] = ContextVar("outbox_deferred", default=None)


def rendering_deferred() -> bool:
    return _deferred.get() is not None


@contextmanager
def render_after_commit() -> Iterator[None]:
    """Write outbox rows inside the block unrendered; they are rendered when sent.

    Wrap a booking transaction in it: its rows still commit (or roll back) with the
    booking, but rendering them (templates, links, meeting, iCalendar: half the
    queries of a booking and most of its CPU) is done by their delivery task, outside
    the write lock and off the request. If the block ends inside a caller's
    transaction (the booking was nested in it), the rows are rendered right away
    instead, so that whoever reads them in that transaction sees them complete. Left
    by an exception, nothing is rendered: the transaction inside rolled back.
    """
    token = _deferred.set([])
    try:
        yield
        pending = _deferred.get()
    finally:
        _deferred.reset(token)
    if pending and connection.in_atomic_block:
        outbox_render(message_ids=pending)


def outbox_enqueue(
    *,
    company: Company,
    event: str,
    to_email: str,
    to_name: str,
    language: str,
    rendered: Rendered | None,
    booking: Booking | None = None,
    calendar: str = "",
    calendar_method: str = "",
    sequence: int | None = None,
    now: datetime | None = None,
) -> OutboxMessage:
    """Queue one email.

    Side effects, in order:
    1. write: an OutboxMessage (queued, due now, with its Message-ID); with
       ``rendered=None`` (inside render_after_commit, booking required) a row that its
       delivery renders, its id noted for the end of the block
    2. after commit: a delivery task is enqueued (a failure to enqueue is logged; the
       every-minute sweep sends the row anyway)
    """
    host = urlsplit(settings.BASE_URL).hostname or "rendezvous"
    deferred = _deferred.get()
    later = rendered is None
    if later and (booking is None or deferred is None):
        raise ValueError("only a booking's message inside render_after_commit renders later")
    row = OutboxMessage.objects.create(
        company=company,
        booking=booking,
        event=event,
        to_email=to_email,
        to_name=one_line(to_name)[:200],
        language=language,
        subject="" if rendered is None else rendered.subject[:998],
        body_text="" if rendered is None else rendered.text,
        body_html="" if rendered is None else rendered.html,
        calendar=calendar,
        calendar_method=calendar_method,
        to_render=later,
        calendar_sequence=sequence,
        message_id=make_msgid(idstring=uuid.uuid4().hex[:12], domain=host),
        next_attempt_at=now or timezone.now(),
    )
    if later:
        assert deferred is not None  # the ValueError above otherwise
        deferred.append(row.pk)
    transaction.on_commit(partial(_enqueue_delivery, row.pk), robust=True)
    return row


def outbox_render(*, message_ids: list[uuid.UUID]) -> None:
    """Render rows written by render_after_commit now (a booking nested in a caller's
    transaction). Side effects: reads each row's booking, templates, meeting and links;
    writes each row still `to_render` with its text. Delivery was already asked for."""
    rows = OutboxMessage.objects.filter(pk__in=message_ids, to_render=True).select_related(
        "booking__company", "booking__service", "booking__staff"
    )
    for row in rows:
        _render_row(row)


def _content(row: OutboxMessage) -> tuple[Rendered, str, str]:
    from .bookings import message_content  # noqa: PLC0415 (bookings imports this module)

    if row.booking is None:
        raise ValueError("the booking of this message was deleted before it was rendered")
    return message_content(
        row.booking,
        row.event,
        to_email=row.to_email,
        to_name=row.to_name,
        language=row.language,
        sequence=row.calendar_sequence,
        now=row.created_at,
    )


def _render_row(row: OutboxMessage) -> None:
    """Fill in a `to_render` row's text (its delivery, or outbox_render)."""
    rendered, calendar, method = _content(row)
    row.subject, row.body_text, row.body_html = rendered.subject[:998], rendered.text, rendered.html
    row.calendar, row.calendar_method, row.to_render = calendar, method, False
    row.save(
        update_fields=[
            "subject",
            "body_text",
            "body_html",
            "calendar",
            "calendar_method",
            "to_render",
        ]
    )


def _enqueue_delivery(message_id: uuid.UUID) -> None:
    from ..tasks import deliver_message  # noqa: PLC0415 (tasks import this module)

    deliver_message.enqueue(str(message_id))


@dataclass(frozen=True)
class Failure:
    permanent: bool
    reason: str
    connection: bool = False  # the server could not be reached at all


def classify(exc: Exception) -> Failure:
    """Temporary or permanent, with a short reason for the admin."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        detail = "; ".join(
            f"{code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg}"
            for code, msg in exc.recipients.values()
        )
        return Failure(bool(codes) and all(code >= 500 for code in codes), f"refused: {detail}")
    if isinstance(exc, smtplib.SMTPResponseException):
        message = exc.smtp_error
        text = message.decode(errors="replace") if isinstance(message, bytes) else str(message)
        # 5xx on sender or data is final for this message; authentication is a
        # configuration problem that an operator fixes, after which delivery resumes.
        permanent = exc.smtp_code >= 500 and not isinstance(exc, smtplib.SMTPAuthenticationError)
        return Failure(permanent, f"{exc.smtp_code} {text}")
    if isinstance(exc, ValueError):
        return Failure(True, f"invalid message: {exc}")
    if isinstance(exc, smtplib.SMTPServerDisconnected | OSError):
        return Failure(False, f"{type(exc).__name__}: {exc}", connection=True)
    return Failure(False, f"{type(exc).__name__}: {exc}")


def _claim(message_id: uuid.UUID, now: datetime) -> bool:
    due = Q(state=OutboxState.QUEUED, next_attempt_at__lte=now) | Q(
        state=OutboxState.SENDING, lease_until__lt=now
    )
    claimed = OutboxMessage.objects.filter(due, pk=message_id).update(
        state=OutboxState.SENDING, lease_until=now + LEASE, attempts=F("attempts") + 1
    )
    return claimed == 1


def outbox_deliver(*, message_id: uuid.UUID, now: datetime | None = None) -> str | None:
    """Send one queued row if it is due and nobody else is sending it.

    Side effects, in order:
    1. claim: the row becomes `sending` with a lease, attempts + 1 (one UPDATE)
    2. network: the email goes to the mail server (no transaction is open)
    3. write: `sent`, or back to `queued` with a later next attempt, or `failed`
    Returns the new state, or None when the row was not due or already taken.
    """
    return _deliver(message_id, now or timezone.now())[0]


def _deliver(message_id: uuid.UUID, now: datetime) -> tuple[str | None, bool]:
    """(new state, whether the mail server could not be reached at all)."""
    if not _claim(message_id, now):
        return None, False
    row = OutboxMessage.objects.select_related("company").get(pk=message_id)
    try:
        if row.to_render:
            _render_row(row)
        _send(row)
    except Exception as exc:  # every failure is recorded on the row
        failure = classify(exc)
        state = _record_failure(row, failure, now)
        logger.warning(
            "outbox %s (%s) attempt %d: %s -> %s",
            row.pk,
            row.event,
            row.attempts,
            type(exc).__name__,
            state,
        )
        return state, failure.connection
    OutboxMessage.objects.filter(pk=row.pk, state=OutboxState.SENDING).update(
        state=OutboxState.SENT, sent_at=timezone.now(), lease_until=None, last_error=""
    )
    logger.info("outbox %s (%s) sent", row.pk, row.event)
    return OutboxState.SENT, False


def _record_failure(row: OutboxMessage, failure: Failure, now: datetime) -> str:
    final = failure.permanent or row.attempts >= max_attempts()
    state = OutboxState.FAILED if final else OutboxState.QUEUED
    OutboxMessage.objects.filter(pk=row.pk, state=OutboxState.SENDING).update(
        state=state,
        lease_until=None,
        next_attempt_at=now + backoff(row.attempts),
        last_error=failure.reason[:2000],
    )
    return state


def _display_name(name: str) -> str:
    # One header line, and runs of white space as one: a client shows no more.
    return " ".join(one_line(name).split())


def _send(row: OutboxMessage) -> None:
    options = NotificationSettings.objects.filter(company_id=row.company_id).first()
    sender = organizer_address()
    email = BookingEmail(
        subject=one_line(row.subject),
        body=row.body_text,
        from_email=sender,
        to=[row.to_email],
        from_address=Address(display_name=_display_name(row.company.name), addr_spec=sender),
        to_addresses=[Address(display_name=_display_name(row.to_name), addr_spec=row.to_email)],
        reply_to=[options.reply_to] if options and options.reply_to else None,
        headers={
            "Message-ID": row.message_id,
            "Content-Language": row.language,
            "Auto-Submitted": "auto-generated",
        },
        calendar=row.calendar,
        calendar_method=row.calendar_method,
    )
    email.attach_alternative(row.body_html, "text/html")
    mailer = getattr(settings, "NOTIFICATIONS_MAILER", "default")
    mail.mailers[mailer].send_messages([email])


def outbox_deliver_due(*, now: datetime | None = None, limit: int = 200) -> int:
    """Send every due row (queued and due, or sending with an expired lease), oldest
    first; stop at the first row the mail server cannot even be reached for.
    Returns how many were sent."""
    now = now or timezone.now()
    due = (
        OutboxMessage.objects.filter(
            Q(state=OutboxState.QUEUED, next_attempt_at__lte=now)
            | Q(state=OutboxState.SENDING, lease_until__lt=now)
        )
        .order_by("next_attempt_at", "created_at")
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for message_id in list(due):
        state, unreachable = _deliver(message_id, now)
        sent += state == OutboxState.SENT
        if unreachable:
            break
    return sent


def outbox_delete(*, message: OutboxMessage) -> None:
    """Delete a message that is done with: sent, or given up on.

    Side effects: lock the row; re-check its state; delete it. Raises InvalidState for
    a queued or sending message (the delivery task would lose it mid-send).
    """
    with transaction.atomic():
        row = OutboxMessage.objects.select_for_update(of=("self",)).filter(pk=message.pk).first()
        if row is None:
            return
        if row.state not in (OutboxState.SENT, OutboxState.FAILED):
            raise InvalidState(_("Only sent or failed messages can be deleted."))
        row.delete()


def outbox_resend(*, message: OutboxMessage, now: datetime | None = None) -> OutboxMessage:
    """Send a message again (the admin's and the back office's "Resend").

    Side effects, in order:
    1. write: a failed row is queued again with its attempts reset (it never arrived,
       so it keeps its Message-ID); a sent row is copied to a new queued row with a
       new Message-ID (the copy is a new message); a queued row is made due now
    2. after commit: a delivery task for that row
    Returns the row that will be sent.
    """
    now = now or timezone.now()
    with transaction.atomic():
        row = OutboxMessage.objects.select_for_update().get(pk=message.pk)
        if row.state == OutboxState.SENT:
            host = urlsplit(settings.BASE_URL).hostname or "rendezvous"
            row.pk = None
            row.id = uuid.uuid4()
            row._state.adding = True
            row.message_id = make_msgid(idstring=uuid.uuid4().hex[:12], domain=host)
            row.state = OutboxState.QUEUED
            row.attempts = 0
            row.sent_at = None
            row.last_error = ""
            row.next_attempt_at = now
            row.lease_until = None
            row.save(force_insert=True)
        elif row.state == OutboxState.SENDING:
            return row
        else:
            row.state = OutboxState.QUEUED
            row.attempts = 0
            row.next_attempt_at = now
            row.save(update_fields=["state", "attempts", "next_attempt_at"])
        transaction.on_commit(partial(_enqueue_delivery, row.pk), robust=True)
    return row
