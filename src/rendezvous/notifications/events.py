"""The events that send a message, and who receives each.

| event | to | calendar part |
| --- | --- | --- |
| booking_confirmed | customer | REQUEST |
| booking_confirmed_staff | staff member | REQUEST |
| request_received | customer | none (nothing is booked yet) |
| request_received_staff | staff member (to confirm) | none |
| request_confirmed | customer | REQUEST |
| request_declined | customer | none |
| booking_rescheduled / _staff | customer / staff member | REQUEST, same UID, higher SEQUENCE |
| cancelled_by_customer / cancelled_by_staff | customer | CANCEL |
| booking_cancelled_staff | staff member | CANCEL |
| reminder | customer | none |
| payment_confirmed | customer | REQUEST (the join link may now be in it) |
| meeting_link_added | customer | REQUEST |
| meeting_removed | customer (staff unticked "by video") | REQUEST, higher SEQUENCE, no link |
| meeting_link_missing | staff member | none |
| meeting_creation_failing | staff member | none |
| sign_in_link | customer (My bookings) | none |
| staff_account | a staff user (password reset, sign-in notices from the back office) | none |

staff_account messages are written by django-allauth's templates, not by a company's
message templates, so it is an outbox event only (OUTBOX_EVENTS), never a template's.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

CUSTOMER = "customer"
STAFF = "staff"

REQUEST = "REQUEST"
CANCEL = "CANCEL"


class Event(models.TextChoices):
    BOOKING_CONFIRMED = "booking_confirmed", _("Booking confirmed (customer)")
    BOOKING_CONFIRMED_STAFF = "booking_confirmed_staff", _("New booking (staff)")
    REQUEST_RECEIVED = "request_received", _("Request received (customer)")
    REQUEST_RECEIVED_STAFF = "request_received_staff", _("Request to confirm (staff)")
    REQUEST_CONFIRMED = "request_confirmed", _("Request confirmed (customer)")
    REQUEST_DECLINED = "request_declined", _("Request declined (customer)")
    BOOKING_RESCHEDULED = "booking_rescheduled", _("Booking rescheduled (customer)")
    BOOKING_RESCHEDULED_STAFF = "booking_rescheduled_staff", _("Booking rescheduled (staff)")
    CANCELLED_BY_CUSTOMER = "cancelled_by_customer", _("Cancelled by the customer (customer)")
    CANCELLED_BY_STAFF = "cancelled_by_staff", _("Cancelled by staff (customer)")
    BOOKING_CANCELLED_STAFF = "booking_cancelled_staff", _("Booking cancelled (staff)")
    REMINDER = "reminder", _("Reminder (customer)")
    PAYMENT_CONFIRMED = "payment_confirmed", _("Payment confirmed (customer)")
    MEETING_LINK_ADDED = "meeting_link_added", _("Meeting link added (customer)")
    MEETING_REMOVED = "meeting_removed", _("Video meeting replaced by a visit (customer)")
    MEETING_LINK_MISSING = "meeting_link_missing", _("Meeting link still missing (staff)")
    MEETING_CREATION_FAILING = "meeting_creation_failing", _("Meeting creation failing (staff)")
    SIGN_IN_LINK = "sign_in_link", _("My bookings sign-in link (customer)")


STAFF_ACCOUNT = "staff_account"
OUTBOX_EVENTS = [*Event.choices, (STAFF_ACCOUNT, _("Staff account (password reset, sign-in)"))]


AUDIENCE: dict[str, str] = {
    Event.BOOKING_CONFIRMED: CUSTOMER,
    Event.BOOKING_CONFIRMED_STAFF: STAFF,
    Event.REQUEST_RECEIVED: CUSTOMER,
    Event.REQUEST_RECEIVED_STAFF: STAFF,
    Event.REQUEST_CONFIRMED: CUSTOMER,
    Event.REQUEST_DECLINED: CUSTOMER,
    Event.BOOKING_RESCHEDULED: CUSTOMER,
    Event.BOOKING_RESCHEDULED_STAFF: STAFF,
    Event.CANCELLED_BY_CUSTOMER: CUSTOMER,
    Event.CANCELLED_BY_STAFF: CUSTOMER,
    Event.BOOKING_CANCELLED_STAFF: STAFF,
    Event.REMINDER: CUSTOMER,
    Event.PAYMENT_CONFIRMED: CUSTOMER,
    Event.MEETING_LINK_ADDED: CUSTOMER,
    Event.MEETING_REMOVED: CUSTOMER,
    Event.MEETING_LINK_MISSING: STAFF,
    Event.MEETING_CREATION_FAILING: STAFF,
    Event.SIGN_IN_LINK: CUSTOMER,
}

CALENDAR_METHOD: dict[str, str] = {
    Event.BOOKING_CONFIRMED: REQUEST,
    Event.BOOKING_CONFIRMED_STAFF: REQUEST,
    Event.REQUEST_CONFIRMED: REQUEST,
    Event.BOOKING_RESCHEDULED: REQUEST,
    Event.BOOKING_RESCHEDULED_STAFF: REQUEST,
    Event.CANCELLED_BY_CUSTOMER: CANCEL,
    Event.CANCELLED_BY_STAFF: CANCEL,
    Event.BOOKING_CANCELLED_STAFF: CANCEL,
    Event.PAYMENT_CONFIRMED: REQUEST,
    Event.MEETING_LINK_ADDED: REQUEST,
    Event.MEETING_REMOVED: REQUEST,
}
