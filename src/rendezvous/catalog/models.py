"""What a company offers: appointment services and classes with dated sessions."""

from datetime import timedelta
from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from rendezvous.companies.models import Company, Location, Resource, StaffMember


class Category(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="categories")
    name = models.CharField(_("name"), max_length=200)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["company", "position", "name"]

    def __str__(self) -> str:
        return self.name


class ServiceKind(models.TextChoices):
    APPOINTMENT = "appointment", _("Appointment")
    CLASS = "class", _("Class")


class Service(models.Model):
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
