"""Booking behaviour: every write to a Booking goes through these functions."""

from .change import (
    CUSTOMER,
    STAFF,
    booking_cancel,
    booking_confirm,
    booking_decline,
    booking_mark_outcome,
    booking_record_payment,
    booking_reschedule,
    booking_resend_confirmation,
    booking_set_notes,
    booking_set_online,
)
from .create import Created, booking_create, seat_reserve
from .customers import customer_erase, customer_export, customer_merge, customer_update
from .details import CustomerDetails, clean_details
from .sessions import (
    REFUND_DUE,
    SessionCancelled,
    SessionFields,
    session_cancel,
    session_create,
    session_delete,
    session_update,
)
from .signin import signin_link_check, signin_link_issue, signin_link_use

__all__ = [
    "CUSTOMER",
    "STAFF",
    "Created",
    "CustomerDetails",
    "REFUND_DUE",
    "SessionCancelled",
    "SessionFields",
    "booking_cancel",
    "booking_confirm",
    "booking_create",
    "booking_decline",
    "booking_mark_outcome",
    "booking_record_payment",
    "booking_resend_confirmation",
    "booking_reschedule",
    "booking_set_notes",
    "booking_set_online",
    "clean_details",
    "customer_erase",
    "customer_export",
    "customer_merge",
    "customer_update",
    "seat_reserve",
    "session_cancel",
    "session_create",
    "session_delete",
    "session_update",
    "signin_link_check",
    "signin_link_issue",
    "signin_link_use",
]
