"""The booking events (bookings.events): delivered in the booking's transaction, in
priority order (meetings before notifications), an exception undoing the booking."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from rendezvous.bookings import domain, events
from rendezvous.bookings.models import BookingStatus
from rendezvous.core.audit import STAFF
from rendezvous.meetings.models import JoinRole, JoinToken
from rendezvous.notifications.models import OutboxMessage
from tests.conftest import TOMORROW_10, book, snapshot


@contextmanager
def subscribed(event_type, handler, *, priority) -> Iterator[None]:
    events.subscribe(event_type, handler, priority=priority)
    try:
        yield
    finally:
        events.unsubscribe(event_type, handler)


@pytest.mark.unit
def test_subscribers_run_by_priority_then_in_registration_order():
    calls = []

    @dataclass(frozen=True)
    class Ping:
        n: int

    def late(event):
        calls.append(("late", event.n))

    def first(event):
        calls.append(("first", event.n))

    def second(event):
        calls.append(("second", event.n))

    events.subscribe(Ping, late, priority=events.NOTIFICATIONS)
    events.subscribe(Ping, first, priority=events.MEETINGS)
    events.subscribe(Ping, second, priority=events.MEETINGS)
    events.subscribe(Ping, first, priority=events.MEETINGS)  # again: no second delivery
    try:
        events.publish(Ping(1))
    finally:
        for handler in (late, first, second):
            events.unsubscribe(Ping, handler)
    assert calls == [("first", 1), ("second", 1), ("late", 1)]
    events.publish(Ping(2))  # nobody listens any more
    assert len(calls) == 3


@pytest.mark.unit
def test_the_apps_subscribe_meetings_before_notifications():
    for event_type in (
        events.BookingCreated,
        events.BookingCancelled,
        events.BookingDeclined,
        events.BookingMoved,
        events.OnlineChanged,
    ):
        modules = [h.__module__ for _, h in events._subscribers[event_type]]
        # Payments answers a cancel between them: its refunds, before the emails.
        refunds = (
            ["rendezvous.payments.subscribers"] if event_type is events.BookingCancelled else []
        )
        assert modules == [
            "rendezvous.meetings.subscribers",
            *refunds,
            "rendezvous.notifications.subscribers",
        ]


@pytest.mark.integration
def test_notifications_see_the_join_tokens_meetings_wrote_in_the_same_transaction(practice):
    seen = []

    def between(event: events.BookingCreated) -> None:
        # After meetings, before notifications: the customer's token exists, no email yet.
        seen.append(
            (
                JoinToken.objects.filter(booking=event.booking, role=JoinRole.CUSTOMER).count(),
                OutboxMessage.objects.filter(booking=event.booking).count(),
                event.notify_customer,
                event.notify_staff,
            )
        )

    with subscribed(events.BookingCreated, between, priority=events.MEETINGS + 1):
        created = book(practice, TOMORROW_10, service=practice.video, notify_staff=False)
    assert seen == [(1, 0, True, False)]
    assert OutboxMessage.objects.filter(booking=created.booking).count() == 1  # customer only


@pytest.mark.integration
def test_an_event_carries_the_locked_booking_and_what_the_emails_need(practice):
    booking = book(practice, TOMORROW_10).booking
    received = []

    def record(event: events.BookingCancelled) -> None:
        received.append(event)

    with subscribed(events.BookingCancelled, record, priority=events.NOTIFICATIONS + 1):
        domain.booking_cancel(booking=booking, actor=STAFF, notify_customer=False, now=TOMORROW_10)
    (event,) = received
    assert event.booking.pk == booking.pk
    assert event.booking.status == BookingStatus.CANCELLED
    assert (event.actor, event.notify_customer, event.now) == (STAFF, False, TOMORROW_10)


@pytest.mark.integration
def test_a_subscriber_that_raises_undoes_the_booking_change(practice):
    booking = book(practice, TOMORROW_10, service=practice.video).booking
    before = (
        snapshot(),
        list(JoinToken.objects.order_by("id").values_list("id", "revoked_at")),
        OutboxMessage.objects.count(),
    )

    def refuse(event):
        raise RuntimeError("subscriber failed")

    # Last in line: the meeting and the emails were written, and are undone with it.
    with (
        subscribed(events.BookingCancelled, refuse, priority=events.NOTIFICATIONS + 1),
        pytest.raises(RuntimeError, match="subscriber failed"),
    ):
        domain.booking_cancel(booking=booking, actor=STAFF)
    after = (
        snapshot(),
        list(JoinToken.objects.order_by("id").values_list("id", "revoked_at")),
        OutboxMessage.objects.count(),
    )
    assert after == before
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


@pytest.mark.integration
def test_a_new_booking_runs_inside_the_creation_wrappers(practice):
    entered = []

    @contextmanager
    def wrapper() -> Iterator[None]:
        entered.append("in")
        yield
        entered.append("out")

    def during(event: events.BookingCreated) -> None:
        entered.append("event")

    events.wrap_creation(wrapper)
    try:
        with subscribed(events.BookingCreated, during, priority=events.NOTIFICATIONS + 1):
            book(practice, TOMORROW_10)
    finally:
        events._wrappers.remove(wrapper)
    assert entered == ["in", "event", "out"]
