"""Meeting behaviour. meetings.subscribers call meeting_booking_changed inside the
booking's transaction (bookings.events); pages, API, emails and admin call
meeting_view (the one reveal rule)."""

from .accounts import (
    AccountTest,
    MeetingAccountFields,
    StaffMeetingFields,
    meeting_account_create,
    meeting_account_delete,
    meeting_account_test,
    meeting_account_update,
    meeting_default_set,
    meeting_staff_assign,
)
from .lifecycle import (
    account_for,
    meeting_booking_changed,
    meeting_delete_remote,
    meeting_provision,
    meeting_provision_due,
    meeting_push_update,
    meeting_retry_due,
    meeting_retry_failed,
    meeting_session_cancelled,
    meeting_set_details,
    meeting_set_link,
    meeting_warn_missing_links,
)
from .reveal import CustomerViewer, MeetingView, meeting_for, meeting_view, token_lookup
from .room_size import meeting_session_fits

__all__ = [
    "AccountTest",
    "CustomerViewer",
    "MeetingAccountFields",
    "MeetingView",
    "StaffMeetingFields",
    "account_for",
    "meeting_account_create",
    "meeting_account_delete",
    "meeting_account_test",
    "meeting_account_update",
    "meeting_booking_changed",
    "meeting_default_set",
    "meeting_delete_remote",
    "meeting_for",
    "meeting_provision",
    "meeting_provision_due",
    "meeting_push_update",
    "meeting_retry_due",
    "meeting_retry_failed",
    "meeting_session_cancelled",
    "meeting_session_fits",
    "meeting_staff_assign",
    "meeting_set_details",
    "meeting_set_link",
    "meeting_view",
    "meeting_warn_missing_links",
    "token_lookup",
]
