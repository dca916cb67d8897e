"""What payments do when a booking changes: the bookings.events they subscribe to.

BookingCancelled runs inside the cancel's transaction with the locked booking, after
meetings and before notifications (priority PAYMENTS): the refunds are written with
the cancel and roll back with it, and the cancellation email reads the payment status
they leave. Provider calls (a card refund) wait for the commit (card_refund).

A cancelled class session needs no subscriber of its own: session_cancel publishes
BookingCancelled (by staff) for each of its bookings first, so every paid seat is
refunded in full by its method.
"""

from rendezvous.bookings import events
from rendezvous.core.audit import CUSTOMER

from .domain.refunds import cancel_refund


def _cancelled(event: events.BookingCancelled) -> None:
    cancel_refund(
        booking=event.booking,
        by_customer=event.actor == CUSTOMER or event.customer_asked,
        now=event.now,
    )


def subscribe() -> None:
    events.subscribe(events.BookingCancelled, _cancelled, priority=events.PAYMENTS)
