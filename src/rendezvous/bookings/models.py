"""Customers and bookings. State changes go through bookings.domain, never direct saves."""

import uuid
from datetime import datetime, timedelta

from django.db import models
from django.db.models import OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce, Lower
from django.utils.translation import gettext_lazy as _

from rendezvous.catalog.models import ClassSession, Service
from rendezvous.companies.models import Company, Resource, StaffMember


class Customer(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="customers")
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    email = models.EmailField(_("email"), max_length=254)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    language = models.CharField(_("language"), max_length=8, default="en")
    # Staff's own notes on the customer (the back office's profile), never shown to them.
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["company", "last_name", "first_name"]
        constraints = [
            # Case-insensitive: Ana@x and ana@x are one customer.
            models.UniqueConstraint("company", Lower("email"), name="one_customer_per_email")
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} <{self.email}>"


class BookingStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    CONFIRMED = "confirmed", _("Confirmed")
    CANCELLED = "cancelled", _("Cancelled")
    COMPLETED = "completed", _("Completed")
    NO_SHOW = "no_show", _("No-show")


# Statuses that hold time (and seats). A request holds its time until confirmed or declined.
ACTIVE_STATUSES = (BookingStatus.REQUESTED, BookingStatus.CONFIRMED)


class PaymentStatus(models.TextChoices):
    NOT_REQUIRED = "not_required", _("Not required")
    PENDING = "pending", _("Pending")
    PAID = "paid", _("Paid")
    REFUNDED = "refunded", _("Refunded")


class BookingSource(models.TextChoices):
    WEB = "web", _("Booking site")
    API = "api", _("API")
    STAFF = "staff", _("Staff")
    ADMIN = "admin", _("Admin")


class Booking(models.Model):
    """One appointment, or one customer's seats in a class session.

    The customer's details are kept on the booking itself: a request creates no
    Customer record until staff confirm it (booking_confirm links or creates one).
    `blocked_start`/`blocked_end` is the time the booking holds, buffers included;
    on PostgreSQL exclusion constraints keep active ranges of one staff member (and
    one resource) disjoint (migration bookings 0002).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="bookings")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="bookings")
    staff = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="bookings"
    )
    resource = models.ForeignKey(
        Resource, on_delete=models.PROTECT, null=True, blank=True, related_name="bookings"
    )
    session = models.ForeignKey(
        ClassSession, on_delete=models.PROTECT, null=True, blank=True, related_name="bookings"
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="bookings"
    )
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    email = models.EmailField(_("email"), max_length=254)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    language = models.CharField(_("language"), max_length=8, default="en")
    timezone = models.CharField(
        _("customer's time zone"),
        max_length=64,
        blank=True,
        help_text=_("The zone the customer booked in (IANA name); empty: the company's."),
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    blocked_start = models.DateTimeField(editable=False)
    blocked_end = models.DateTimeField(editable=False)
    status = models.CharField(_("status"), max_length=10, choices=BookingStatus.choices)
    online = models.BooleanField(_("by video"), default=False)
    payment_status = models.CharField(
        _("payment"),
        max_length=12,
        choices=PaymentStatus.choices,
        default=PaymentStatus.NOT_REQUIRED,
    )
    participants = models.PositiveSmallIntegerField(_("participants"), default=1)
    manage_token_hash = models.CharField(max_length=64, unique=True, editable=False)
    source = models.CharField(
        _("source"), max_length=8, choices=BookingSource.choices, default=BookingSource.WEB
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # What staff wrote to the customer when they declined the request ([staff_message]).
    staff_message = models.TextField(_("message to the customer"), blank=True)

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["-start"]
        indexes = [
            models.Index(fields=["staff", "blocked_start"]),
            models.Index(fields=["resource", "blocked_start"]),
            models.Index(fields=["company", "start"]),
            models.Index(fields=["session", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="booking_end_after_start"
            ),
            models.CheckConstraint(
                condition=models.Q(
                    blocked_start__lte=models.F("start"), blocked_end__gte=models.F("end")
                ),
                name="booking_blocked_covers_booking",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service} {self.start:%Y-%m-%d %H:%M} {self.first_name} {self.last_name}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def before_cancel_cutoff(self, now: datetime) -> bool:
        """Whether `now` is not later than the company's cancel cut-off before the start:
        what a customer may still cancel, and what a customer's cancel refunds in full
        (payments.domain.refunds.refund_share, asked once the booking is cancelled)."""
        return now <= self.start - timedelta(hours=self.company.cancel_cutoff_hours)

    def customer_may_cancel(self, now: datetime) -> bool:
        """Whether the customer may still cancel it themself: active, and before the
        cancel cut-off (staff may at any time)."""
        return self.is_active and self.before_cancel_cutoff(now)

    def customer_may_reschedule(self, now: datetime) -> bool:
        """Whether the customer may still move it themself (the reschedule cut-off)."""
        cutoff = timedelta(hours=self.company.reschedule_cutoff_hours)
        return self.is_active and now <= self.start - cutoff

    def link_hold(self) -> str:
        """Why the booking itself keeps its meeting link back, "" when it does not.

        The booking's half of the reveal rule (meetings.domain.meeting_view adds the
        viewer, the meeting and the window): a cancelled booking has lost its link, a
        request has none until confirmed, a payment due or refunded withholds it.
        """
        if self.status == BookingStatus.CANCELLED:
            return "revoked"
        if self.status == BookingStatus.REQUESTED:
            return "unconfirmed"
        if self.payment_status in (PaymentStatus.PENDING, PaymentStatus.REFUNDED):
            return "unpaid"
        return ""


# -- seats -----------------------------------------------------------------------------
# A class session's seats taken: the participants of its active bookings. These three
# shapes of that one sum serve one session (under its lock), many at once (lists), and
# every row of a session queryset (the admin's sortable column, the slot engine).


def seats_taken(session: ClassSession) -> int:
    """Seats held in one session (call with the session row locked before a re-check)."""
    return seats_taken_by_session([session]).get(session.pk, 0)


def _seats_held(bookings: models.QuerySet) -> models.QuerySet:
    """The one definition of the seats a session's bookings hold: the participants of
    its active bookings, summed per session (`total`)."""
    return (
        bookings.filter(status__in=ACTIVE_STATUSES)
        .order_by()
        .values("session")
        .annotate(total=Sum("participants"))
    )


def seats_taken_by_session(sessions) -> dict[int, int]:
    """Seats held per session id, for many sessions in one query; absent ids hold none."""
    held = _seats_held(Booking.objects.filter(session__in=sessions))
    return dict(held.values_list("session", "total"))


def seats_taken_subquery() -> Coalesce:
    """Seats held, as an annotation for each row of a ClassSession queryset. A correlated
    subquery rather than a JOIN + GROUP BY, so filters, search and date hierarchies work
    on the queryset unchanged and no row is duplicated."""
    held = _seats_held(Booking.objects.filter(session=OuterRef("pk")))
    return Coalesce(Subquery(held.values("total")), 0)


class SignInLink(models.Model):
    """A My bookings sign-in link sent by email: its nonce's hash, so that the link
    signs in once (core.tokens.signin_token carries the nonce; the database alone does
    not give a link away). Written by bookings.domain.signin only."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    email = models.EmailField(max_length=254)
    nonce_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("sign-in link")
        verbose_name_plural = _("sign-in links")

    def __str__(self) -> str:
        return f"{self.email} ({self.created_at:%Y-%m-%d %H:%M})"
