"""What happened to a booking, told to the apps above bookings (the domain events).

bookings.domain must not import meetings or notifications (docs/architecture.md,
layers), yet a booking change has to move its meeting and queue its emails. So the
domain function publishes one of the events below and the higher apps subscribe to
them in their AppConfig.ready.

Delivery is synchronous and inside the publisher's transaction, not on commit: the
meeting's rows and join tokens and the outbox rows are written with the booking (and
roll back with it), and the emails read the tokens the meeting wrote. So subscribers
run in priority order (MEETINGS, then PAYMENTS, then NOTIFICATIONS), in registration
order within a priority, and an exception from one propagates to the publisher, whose transaction
is undone. Network work (provider calls, email delivery) stays after commit, as each
subscriber's own on_commit hooks arrange.

| event | published by | meetings | notifications |
| --- | --- | --- | --- |
| BookingCreated | booking_create, seat_reserve | meeting_booking_changed(new) | notify_booking_created |
| BookingCancelled | booking_cancel, session_cancel | meeting_booking_changed | notify_booking_cancelled |
| BookingDeclined | booking_decline | meeting_booking_changed | notify_booking_declined |
| BookingMoved | booking_reschedule, session_update (booking_save_moved) | meeting_booking_changed | notify_booking_rescheduled |
| BookingConfirmed | booking_confirm | - | notify_booking_confirmed |
| ConfirmationResent | booking_resend_confirmation | - | notify_confirmation_again |
| PaymentRecorded | booking_record_payment | - | notify_payment_recorded |
| OnlineChanged | booking_set_online | meeting_booking_changed; MeetingLinkAdded when the link is known at once | notify_meeting_removed (turned off, confirmed) |
| ClassSessionCancelled | session_cancel (after its bookings' events) | meeting_session_cancelled | - |
| ClassSessionChecked | session_create, session_update (before the write) | meeting_session_fits (raises) | - |
| MeetingLinkAdded | meetings | - | notify_meeting_link_added |
| MeetingLinkMissing | meetings | - | notify_meeting_link_missing |
| MeetingCreationFailing | meetings | - | notify_meeting_creation_failing |

Payments (priority PAYMENTS, payments/subscribers.py) answers BookingCancelled with
the booking's refunds by policy (payments.domain.refunds); a cancelled class session
reaches it through its bookings' BookingCancelled.

The Meeting* events are a booking's too: meetings and notifications are peers that
may not import each other, so the events between them live here, below both.

booking_create and seat_reserve also run their transaction inside `creation()`, the
context managers higher apps add with `wrap_creation` (notifications: its outbox
rows are rendered after the booking's lock is released).
"""

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rendezvous.catalog.models import ClassSession

from .models import Booking

# Delivery order: the meeting and its join tokens first, the emails that carry them after.
MEETINGS = 100
# The refunds of a cancelled booking, before its emails: they read its payment status
# (refunded, or still paid while a refund is under way) as the refunds left it.
PAYMENTS = 150
NOTIFICATIONS = 200


@dataclass(frozen=True, kw_only=True)
class BookingEvent:
    """The locked booking, as saved in the publisher's transaction."""

    booking: Booking


@dataclass(frozen=True, kw_only=True)
class BookingCreated(BookingEvent):
    now: datetime
    notify_customer: bool = True
    notify_staff: bool = True


@dataclass(frozen=True, kw_only=True)
class BookingCancelled(BookingEvent):
    now: datetime
    actor: str  # core.audit CUSTOMER or STAFF: which email the customer gets
    notify_customer: bool = True
    # Staff cancelled at the customer's request: refunds follow the customer's policy.
    customer_asked: bool = False


@dataclass(frozen=True, kw_only=True)
class BookingDeclined(BookingEvent):
    now: datetime


@dataclass(frozen=True, kw_only=True)
class BookingMoved(BookingEvent):
    """New start, end, staff, resource or session (a reschedule, or its session moved)."""

    now: datetime


@dataclass(frozen=True, kw_only=True)
class BookingConfirmed(BookingEvent):
    now: datetime


@dataclass(frozen=True, kw_only=True)
class ConfirmationResent(BookingEvent):
    pass


@dataclass(frozen=True, kw_only=True)
class PaymentRecorded(BookingEvent):
    pass


@dataclass(frozen=True, kw_only=True)
class OnlineChanged(BookingEvent):
    now: datetime
    online: bool


@dataclass(frozen=True, kw_only=True)
class MeetingLinkAdded(BookingEvent):
    """The booking's join link became known and the customer may see it."""


@dataclass(frozen=True, kw_only=True)
class MeetingLinkMissing(BookingEvent):
    """The booking's meeting starts soon and still has no link."""


@dataclass(frozen=True, kw_only=True)
class MeetingCreationFailing(BookingEvent):
    """The provider gave up creating the booking's meeting."""


@dataclass(frozen=True, kw_only=True)
class ClassSessionCancelled:
    """A class session was cancelled (its bookings had BookingCancelled first)."""

    session: ClassSession
    now: datetime


@dataclass(frozen=True, kw_only=True)
class ClassSessionChecked:
    """A class session is about to be written as it stands: a subscriber refuses it by
    raising (ValidationFailed), and nothing is written."""

    session: ClassSession


_subscribers: dict[type, list[tuple[int, Callable[[Any], None]]]] = {}
_wrappers: list[Callable[[], AbstractContextManager[object]]] = []


def subscribe[E](event_type: type[E], handler: Callable[[E], None], *, priority: int) -> None:
    """Call `handler(event)` for every published `event_type`, by `priority` (lower
    first; MEETINGS, NOTIFICATIONS), then in registration order. Subscribing the same
    handler again changes nothing (ready() may run more than once)."""
    handlers = _subscribers.setdefault(event_type, [])
    if any(h is handler for _, h in handlers):
        return
    handlers.append((priority, handler))
    # sort is stable: equal priorities keep their registration order.
    handlers.sort(key=lambda entry: entry[0])


def unsubscribe(event_type: type, handler: Callable[[Any], None]) -> None:
    handlers = _subscribers.get(event_type, [])
    handlers[:] = [(p, h) for p, h in handlers if h is not handler]


def publish(event: object) -> None:
    """Deliver `event` to its subscribers now, inside the caller's transaction; the
    first exception stops delivery and propagates (the transaction is undone)."""
    for _, handler in list(_subscribers.get(type(event), ())):
        handler(event)


def wrap_creation(factory: Callable[[], AbstractContextManager[object]]) -> None:
    """Run booking_create's and seat_reserve's transaction inside `factory()`."""
    if factory not in _wrappers:
        _wrappers.append(factory)


@contextmanager
def creation() -> Iterator[None]:
    """The context a new booking's transaction runs in (see wrap_creation)."""
    with ExitStack() as stack:
        for factory in _wrappers:
            stack.enter_context(factory())
        yield
