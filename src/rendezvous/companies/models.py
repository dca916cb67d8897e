"""Tenants and who works where. Behaviour lives in domain/ modules, not here."""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from rendezvous.core.tokens import hash_token, new_random_token

from .validators import validate_frame_ancestors, validate_languages, validate_timezone


def default_languages() -> list[str]:
    return ["en"]


class Company(models.Model):
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=200)
    timezone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_timezone]
    )
    languages = models.JSONField(
        _("languages"), default=default_languages, validators=[validate_languages]
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    online_meetings_enabled = models.BooleanField(_("online meetings on"), default=False)
    join_window_minutes = models.PositiveSmallIntegerField(
        _("join window (minutes before start)"), default=5
    )
    cancel_cutoff_hours = models.PositiveIntegerField(
        _("cancel cut-off (hours before start)"), default=24
    )
    reschedule_cutoff_hours = models.PositiveIntegerField(
        _("reschedule cut-off (hours before start)"), default=24
    )
    min_notice_minutes = models.PositiveIntegerField(_("minimum notice (minutes)"), default=60)
    max_days_ahead = models.PositiveIntegerField(_("bookable days ahead"), default=90)
    slot_step_minutes = models.PositiveSmallIntegerField(_("slot step (minutes)"), default=15)
    frame_ancestors = models.CharField(
        _("sites that may embed the booking pages"),
        max_length=500,
        default="'self'",
        blank=True,
        validators=[validate_frame_ancestors],
        help_text=_(
            "Space-separated origins allowed to frame the embeddable booking pages and to "
            "receive their events (e.g. https://www.example.com https://*.example.org); "
            "'self' (the default, also when empty) for this booking site only, * for any "
            "site. Only the /embed/ pages can be framed. The embed snippet and links are on "
            "the company's share page: /en/<slug>/share/."
        ),
    )
    altcha_enabled = models.BooleanField(
        _("proof-of-work spam check (ALTCHA)"),
        default=False,
        help_text=_(
            "The booking form asks the customer's browser to solve a small puzzle "
            "(about a second on a phone, no third party involved) before it is sent. "
            "It needs JavaScript: without it the booking form cannot be sent."
        ),
    )
    # Changes whenever the company's free times may change (availability.cache).
    availability_version = models.BigIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        # The version only ever moves by its own UPDATE (availability.cache): a company
        # saved from a copy loaded earlier must not write that copy's older number back,
        # or answers cached under a newer one could be read again.
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name != "availability_version"
            ]
        super().save(*args, **kwargs)

    @property
    def default_language(self) -> str:
        """The language of the company's own texts and of anyone who did not pick one."""
        return self.languages[0] if self.languages else settings.LANGUAGE_CODE

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class Location(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="locations")
    name = models.CharField(_("name"), max_length=200)
    address = models.TextField(_("address"), blank=True)
    timezone = models.CharField(_("time zone"), max_length=64, validators=[validate_timezone])

    class Meta:
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        ordering = ["company", "name"]

    def __str__(self) -> str:
        return self.name


class Resource(models.Model):
    """A room, cabin or device a service may need; `kind` is matched by Service.resource_kind."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="resources")
    location = models.ForeignKey(
        Location, on_delete=models.CASCADE, null=True, blank=True, related_name="resources"
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.SlugField(_("kind"), max_length=60, help_text=_("e.g. cabin, room"))
    online_bookable = models.BooleanField(_("released for online booking"), default=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("resource")
        verbose_name_plural = _("resources")
        ordering = ["company", "kind", "name"]

    def __str__(self) -> str:
        return self.name


class StaffMember(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="staff")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="staff_profile",
    )
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"), blank=True)
    locations = models.ManyToManyField(
        Location, blank=True, related_name="staff", verbose_name=_("locations")
    )
    online_bookable = models.BooleanField(_("released for online booking"), default=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff members")
        ordering = ["company", "name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    SENIOR = "senior", _("Senior employee")
    JUNIOR = "junior", _("Junior employee")


class Membership(models.Model):
    """A user's role in one company; a junior is tied to the staff profile whose bookings they see."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.JUNIOR)
    staff = models.ForeignKey(StaffMember, on_delete=models.SET_NULL, null=True, blank=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["company", "user"], name="one_membership_per_company")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.company} ({self.role})"


class ApiToken(models.Model):
    """A bearer token for the staff API. Only a SHA-256 of the secret is stored."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="api_tokens")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True
    )
    name = models.CharField(_("name"), max_length=100)
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.SENIOR)
    staff = models.ForeignKey(StaffMember, on_delete=models.SET_NULL, null=True, blank=True)
    prefix = models.CharField(max_length=8, editable=False)
    secret_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(
        _("expires at"), null=True, blank=True, help_text=_("Empty: valid until revoked.")
    )
    # Written at most once a minute (companies.domain.api_token_touch), so it is as
    # fresh as that and no request pays a write for it.
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked = models.BooleanField(_("revoked"), default=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, **fields) -> tuple["ApiToken", str]:
        """Create a token; the plain secret is returned once and never stored."""
        secret = "rdv_" + new_random_token()[0]
        token = cls.objects.create(prefix=secret[4:12], secret_hash=hash_token(secret), **fields)
        return token, secret
