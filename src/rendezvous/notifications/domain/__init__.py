"""Notification behaviour. bookings.domain calls the notify_* functions inside its
transactions; issue 3 calls send_sign_in_link; issue 4 calls the meeting ones."""

from .bookings import (
    notify_booking_cancelled,
    notify_booking_confirmed,
    notify_booking_created,
    notify_booking_declined,
    notify_booking_rescheduled,
    notify_meeting_creation_failing,
    notify_meeting_link_added,
    notify_meeting_link_missing,
    notify_meeting_removed,
    notify_payment_recorded,
    reminders_schedule,
    reminders_send_due,
)
from .misc import (
    send_sign_in_link,
    send_staff_account_email,
    staff_feed_issue,
    staff_feed_render,
    template_errors,
    template_preview,
    template_save,
)
from .outbox import (
    outbox_deliver,
    outbox_deliver_due,
    outbox_enqueue,
    outbox_render,
    outbox_resend,
    render_after_commit,
)

__all__ = [
    "notify_booking_cancelled",
    "notify_booking_confirmed",
    "notify_booking_created",
    "notify_booking_declined",
    "notify_booking_rescheduled",
    "notify_meeting_creation_failing",
    "notify_meeting_link_added",
    "notify_meeting_removed",
    "notify_meeting_link_missing",
    "notify_payment_recorded",
    "outbox_deliver",
    "outbox_deliver_due",
    "outbox_enqueue",
    "outbox_render",
    "outbox_resend",
    "reminders_schedule",
    "render_after_commit",
    "reminders_send_due",
    "send_sign_in_link",
    "send_staff_account_email",
    "staff_feed_issue",
    "staff_feed_render",
    "template_errors",
    "template_preview",
    "template_save",
]
