"""Meetings, provider accounts and join tokens. Behaviour lives in meetings.domain.

| model | one per | holds |
| --- | --- | --- |
| MeetingAccount | company (staff empty: the company's default) or staff member (overrides it) | which provider, and its settings: a static room URL, or a Jitsi domain, app id and secret (encrypted, core.crypto); for OAuth providers (teams, google_meet, zoom's OAuth app) the connected user's tokens, encrypted (core.crypto), and the refresh lease (providers.oauth) |
| Meeting | online booking (appointment) or online class session | the provider's meeting: state, external id, raw join URL (host URL apart, encrypted), instructions, password (encrypted), retry bookkeeping |
| JoinToken | participant | the SHA-256 of our /join/<token>/ secret, its role, revoked_at |

A join token is never stored: it is HMAC(SECRET_KEY, nonce) (core.tokens), so a
reminder written days later can rebuild the link while a leaked database alone cannot.
"""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from rendezvous.bookings.models import Booking
from rendezvous.catalog.models import ClassSession
from rendezvous.companies.models import Company, StaffMember
from rendezvous.core.crypto import EncryptedTextField


class MeetingAccount(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="meeting_accounts")
    staff = models.ForeignKey(
        StaffMember,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="meeting_accounts",
        help_text=_("Empty: the company's default for every staff member without their own."),
    )
    provider = models.CharField(_("provider"), max_length=32)
    active = models.BooleanField(_("active"), default=True)
    url = models.URLField(
        _("URL"),
        max_length=500,
        blank=True,
        help_text=_("static_link: the permanent room link; jitsi: https://your-jitsi-domain"),
    )
    app_id = models.CharField(_("app id"), max_length=200, blank=True)
    # Ciphertext in the database, like the OAuth tokens: a leaked dump or backup must not
    # hand out the Zoom, BigBlueButton or Jitsi credentials that sign our meetings.
    secret = EncryptedTextField(_("secret"), blank=True)
    tenant = models.CharField(
        _("Microsoft tenant"),
        max_length=100,
        blank=True,
        help_text=_(
            "teams: your directory (tenant) ID or domain; empty: any work or school account."
        ),
    )
    # OAuth connection (providers.oauth): written by the connect callback and by token
    # refreshes only, never by a form. The tokens are ciphertext in the database.
    access_token = EncryptedTextField(blank=True, editable=False)
    refresh_token = EncryptedTextField(blank=True, editable=False)
    token_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    connected_as = models.CharField(_("connected as"), max_length=254, blank=True, editable=False)
    connected_at = models.DateTimeField(_("connected at"), null=True, blank=True, editable=False)
    needs_reconnect = models.BooleanField(_("needs reconnecting"), default=False, editable=False)
    # One refresh at a time: the worker that set this spends the refresh token; the
    # others wait for its result (a crashed worker's lease simply runs out).
    refresh_lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("meeting account")
        verbose_name_plural = _("meeting accounts")
        ordering = ["company", "staff", "id"]

    def __str__(self) -> str:
        # Never the secret: accounts show up in logs and admin lists.
        who = self.staff.name if self.staff else str(self.company)
        return f"{self.provider} ({who})"


class MeetingState(models.TextChoices):
    PENDING = "pending", _("Pending")
    READY = "ready", _("Ready")
    ENDED = "ended", _("Ended")
    FAILED = "failed", _("Failed")
    REVOKED = "revoked", _("Revoked")


class Meeting(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="meetings")
    booking = models.OneToOneField(
        Booking, on_delete=models.CASCADE, null=True, blank=True, related_name="meeting"
    )
    session = models.OneToOneField(
        ClassSession, on_delete=models.CASCADE, null=True, blank=True, related_name="meeting"
    )
    account = models.ForeignKey(
        MeetingAccount, on_delete=models.SET_NULL, null=True, blank=True, related_name="meetings"
    )
    provider = models.CharField(_("provider"), max_length=32)
    state = models.CharField(
        _("state"), max_length=8, choices=MeetingState.choices, default=MeetingState.PENDING
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    external_id = models.CharField(_("provider's id"), max_length=255, blank=True)
    # Plain: the participant's link, handed out only by the reveal rule, inside the
    # window; and a key that no longer fits must not turn every meeting linkless.
    join_url = models.URLField(_("join URL"), max_length=2000, blank=True)
    # Ciphertext in the database (core.crypto), like the account's secret: Zoom's
    # start_url starts the meeting as its host (and can end it for everyone), and the
    # password lets anyone in. Neither is ever filtered or ordered by; the domain checks
    # their form where staff type them (meeting_set_link, meeting_set_details).
    host_url = EncryptedTextField(_("host URL"), blank=True)
    instructions = models.TextField(_("instructions"), blank=True)
    password = EncryptedTextField(_("password"), blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # When staff were told the meeting still has no link; cleared when the meeting moves.
    link_missing_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-start"]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(booking__isnull=False, session__isnull=True)
                | models.Q(booking__isnull=True, session__isnull=False),
                name="meeting_for_booking_or_session",
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.start:%Y-%m-%d %H:%M} ({self.state})"


class JoinRole(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    HOST = "host", _("Host")


class JoinToken(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="tokens")
    booking = models.ForeignKey(
        Booking, on_delete=models.CASCADE, null=True, blank=True, related_name="join_tokens"
    )
    role = models.CharField(max_length=8, choices=JoinRole.choices)
    nonce = models.CharField(max_length=32, unique=True, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("join token")
        verbose_name_plural = _("join tokens")
        indexes = [models.Index(fields=["meeting", "role"])]

    def __str__(self) -> str:
        return f"{self.role} token for {self.meeting_id}"
