"""Notification rows. Behaviour lives in notifications.domain; these stay slim.

| model | what |
| --- | --- |
| NotificationSettings | per company: reminder offsets, reply-to address |
| MessageTemplate | a company's own subject and body for one event and language, optionally for one service and/or one staff member |
| OutboxMessage | one email to one recipient, written in the transaction that caused it, delivered after commit and retried until delivered or refused for good |
| ScheduledReminder | a reminder due at a time; replaced when the booking moves, removed when it is cancelled |
| CalendarSequence | the iCalendar SEQUENCE of a booking's invitation, raised on every change |
| StaffCalendarFeed | the SHA-256 of a staff member's private ICS feed token |
"""

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from rendezvous.bookings.models import Booking
from rendezvous.catalog.models import Service
from rendezvous.companies.models import Company, StaffMember

from .events import OUTBOX_EVENTS, Event


def default_reminder_offsets() -> list[int]:
    return [24 * 60, 60]


class NotificationSettings(models.Model):
    company = models.OneToOneField(
        Company, on_delete=models.CASCADE, related_name="notification_settings"
    )
    reminder_offsets_minutes = models.JSONField(
        _("reminders (minutes before start)"),
        default=default_reminder_offsets,
        blank=True,
        help_text=_("e.g. [1440, 60] for 24 hours and 1 hour before; [] sends none"),
    )
    reply_to = models.EmailField(
        _("reply-to address"), blank=True, help_text=_("Where customers' replies go")
    )
    notify_staff = models.BooleanField(_("email staff members about their bookings"), default=True)

    class Meta:
        verbose_name = _("notification settings")
        verbose_name_plural = _("notification settings")

    def __str__(self) -> str:
        return str(self.company)


class MessageTemplate(models.Model):
    """A company's wording of one event in one language. The most specific match wins:
    service and staff, then staff, then service, then the company's, then the default."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="message_templates")
    event = models.CharField(_("event"), max_length=32, choices=Event.choices)
    language = models.CharField(_("language"), max_length=8)
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("only for service")
    )
    staff = models.ForeignKey(
        StaffMember,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        verbose_name=_("only for staff member"),
    )
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("body"), max_length=20000)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["company", "event", "language"]
        # NULLs are distinct in a unique index, so each scope gets its own constraint.
        constraints = [
            models.UniqueConstraint(
                fields=["company", "event", "language"],
                condition=Q(service__isnull=True, staff__isnull=True),
                name="one_company_template",
            ),
            models.UniqueConstraint(
                fields=["company", "event", "language", "service"],
                condition=Q(service__isnull=False, staff__isnull=True),
                name="one_service_template",
            ),
            models.UniqueConstraint(
                fields=["company", "event", "language", "staff"],
                condition=Q(service__isnull=True, staff__isnull=False),
                name="one_staff_template",
            ),
            models.UniqueConstraint(
                fields=["company", "event", "language", "service", "staff"],
                condition=Q(service__isnull=False, staff__isnull=False),
                name="one_service_staff_template",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_event_display()} [{self.language}]"


class OutboxState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class OutboxMessage(models.Model):
    """One rendered email. `message_id` is its Message-ID header, fixed when the row is
    written, so a send repeated after a crash is recognisable as the same message."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="outbox")
    booking = models.ForeignKey(
        Booking, on_delete=models.SET_NULL, null=True, blank=True, related_name="messages"
    )
    event = models.CharField(_("event"), max_length=32, choices=OUTBOX_EVENTS)
    to_email = models.EmailField(pgettext_lazy("email recipient", "to"), max_length=254)
    to_name = models.CharField(_("to (name)"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=8)
    subject = models.CharField(_("subject"), max_length=998)
    body_text = models.TextField(_("plain text"))
    body_html = models.TextField(_("HTML"))
    calendar = models.TextField(_("iCalendar"), blank=True)
    calendar_method = models.CharField(_("iCalendar method"), max_length=8, blank=True)
    # A row written by a booking transaction holds only who gets which event; its text
    # is rendered right after the commit (or, if the process died first, before its
    # first send). See domain/outbox.py.
    to_render = models.BooleanField(_("not rendered yet"), default=False, editable=False)
    calendar_sequence = models.IntegerField(null=True, blank=True, editable=False)
    message_id = models.CharField(_("Message-ID"), max_length=200, unique=True, editable=False)
    state = models.CharField(
        _("state"), max_length=8, choices=OutboxState.choices, default=OutboxState.QUEUED
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outbox")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.get_event_display()} → {self.to_email}"


class ScheduledReminder(models.Model):
    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="reminders")
    offset_minutes = models.PositiveIntegerField(_("minutes before start"))
    booking_start = models.DateTimeField(_("for the start at"))
    due_at = models.DateTimeField(_("due"))
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("scheduled reminder")
        verbose_name_plural = _("scheduled reminders")
        ordering = ["due_at"]
        indexes = [models.Index(fields=["sent_at", "due_at"])]

    def __str__(self) -> str:
        return f"{self.booking_id} -{self.offset_minutes} min"


class CalendarSequence(models.Model):
    booking = models.OneToOneField(
        Booking, on_delete=models.CASCADE, primary_key=True, related_name="calendar_sequence"
    )
    sequence = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("invitation sequence")
        verbose_name_plural = _("invitation sequences")

    def __str__(self) -> str:
        return f"{self.booking_id}: {self.sequence}"


class StaffCalendarFeed(models.Model):
    """Only a SHA-256 of the feed token is stored; the URL is shown once when issued."""

    staff = models.OneToOneField(
        StaffMember, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("staff calendar feed")
        verbose_name_plural = _("staff calendar feeds")

    def __str__(self) -> str:
        return str(self.staff)
