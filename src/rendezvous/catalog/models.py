"""What a company offers: appointment services and classes with dated sessions."""

from datetime import timedelta
from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from rendezvous.companies.models import Company, Location, Resource, StaffMember


class Translated(models.Model):
    """Customer-visible texts per language on top of the base fields.

    The base fields (name, description) hold the text in the company's default
    language; `translations` holds the other languages, {"de": {"name": ...}}, written
    only through catalog.domain.clean_translations (offered languages, no control
    characters). It lives on the row, so a list of services costs no extra query.
    """

    translations = models.JSONField(_("translations"), default=dict, blank=True)
    company: Company

    class Meta:
        abstract = True

    def text_in(
        self, field: str, language: str | None = None, *, company: Company | None = None
    ) -> str:
        """`field` in `language` (default: the active one), else in the company's
        default language, else the base field: the one rule every page, API answer,
        email and calendar file follows. Pass `company` where the row's company is not
        loaded with it; it is only read when a translation exists but not this one."""
        translations = self.translations or {}
        text = _entry(translations, language or translation.get_language() or "", field)
        if not text and translations:
            company = company or self.company
            text = _entry(translations, company.default_language, field)
        return text or getattr(self, field)


def _entry(translations: dict, language: str, field: str) -> str:
    entry = translations.get(language)
    text = entry.get(field) if isinstance(entry, dict) else None
    return text if isinstance(text, str) else ""


class Category(Translated):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="categories")
    name = models.CharField(_("name"), max_length=200)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["company", "position", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def local_name(self) -> str:
        return self.text_in("name")


class ServiceKind(models.TextChoices):
    APPOINTMENT = "appointment", _("Appointment")
    CLASS = "class", _("Class")


class Service(Translated):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="services")
    category = models.ForeignKey(
        Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="services"
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(
        _("kind"), max_length=12, choices=ServiceKind.choices, default=ServiceKind.APPOINTMENT
    )
    duration_minutes = models.PositiveIntegerField(
        _("duration (minutes)"), validators=[MinValueValidator(5)]
    )
    buffer_before_minutes = models.PositiveIntegerField(_("buffer before (minutes)"), default=0)
    buffer_after_minutes = models.PositiveIntegerField(_("buffer after (minutes)"), default=0)
    price = models.DecimalField(_("price"), max_digits=10, decimal_places=2, default=Decimal("0"))
    currency = models.CharField(
        _("currency"), max_length=3, blank=True, help_text=_("Empty: the company's")
    )
    online_meeting = models.BooleanField(_("online meeting"), default=False)
    requires_confirmation = models.BooleanField(_("requires confirmation"), default=False)
    requires_payment = models.BooleanField(_("requires payment"), default=False)
    resource_kind = models.SlugField(
        _("needs a resource of kind"),
        max_length=60,
        blank=True,
        help_text=_("Empty: no resource needed"),
    )
    max_per_staff_per_day = models.PositiveIntegerField(
        _("max bookings per staff member per day"), null=True, blank=True
    )
    staff = models.ManyToManyField(
        StaffMember, blank=True, related_name="services", verbose_name=_("staff")
    )
    location = models.ForeignKey(Location, on_delete=models.SET_NULL, null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["company", "position", "name"]

    def __str__(self) -> str:
        return self.name

    # The active language's texts, for templates (text_in takes the language explicitly).
    @property
    def local_name(self) -> str:
        return self.text_in("name")

    @property
    def local_description(self) -> str:
        return self.text_in("description")

    @property
    def local_category_name(self) -> str:
        """The category's name in the active language ("" without a category); the
        service's company stands in for the category's, which is not loaded with it."""
        if self.category is None:
            return ""
        return self.category.text_in("name", company=self.company)

    @property
    def duration(self) -> timedelta:
        return timedelta(minutes=self.duration_minutes)

    @property
    def buffer_before(self) -> timedelta:
        return timedelta(minutes=self.buffer_before_minutes)

    @property
    def buffer_after(self) -> timedelta:
        return timedelta(minutes=self.buffer_after_minutes)

    @property
    def effective_currency(self) -> str:
        return self.currency or self.company.currency


class ClassSession(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="class_sessions")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="sessions")
    staff = models.ForeignKey(
        StaffMember, on_delete=models.SET_NULL, null=True, blank=True, related_name="sessions"
    )
    location = models.ForeignKey(Location, on_delete=models.SET_NULL, null=True, blank=True)
    resource = models.ForeignKey(Resource, on_delete=models.SET_NULL, null=True, blank=True)
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    capacity = models.PositiveIntegerField(_("capacity"), validators=[MinValueValidator(1)])
    online = models.BooleanField(_("online"), default=False)
    # Set only by bookings.domain.session_cancel, which cancels the bookings with it.
    cancelled = models.BooleanField(_("cancelled"), default=False)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    # Not a field: set on the sessions availability.domain.open_sessions returns.
    seats_left: int

    class Meta:
        verbose_name = _("class session")
        verbose_name_plural = _("class sessions")
        ordering = ["start"]
        indexes = [models.Index(fields=["service", "start"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="session_end_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.service} {self.start:%Y-%m-%d %H:%M}"
