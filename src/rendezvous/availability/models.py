"""When staff work: weekly hours per location, date exceptions and time off."""

from datetime import time

from django.db import models
from django.utils.translation import gettext_lazy as _

from rendezvous.companies.models import Location, StaffMember


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class WorkingHours(models.Model):
    """One span of a staff member's weekly hours at a location, in the location's wall time.

    An end of 00:00 means midnight at the end of the day.
    """

    staff = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="working_hours")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, null=True, blank=True)
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start = models.TimeField(_("from"))
    end = models.TimeField(_("until"))

    class Meta:
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")
        ordering = ["staff", "weekday", "start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")) | models.Q(end=time(0)),
                name="working_hours_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.staff} {self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"


class ExceptionKind(models.TextChoices):
    CLOSED = "closed", _("Closed all day")
    HOURS = "hours", _("Different hours")
    EXTRA = "extra", _("Extra hours")


class DateException(models.Model):
    """A date whose hours differ from the weekly ones: closed, replaced, or extended."""

    staff = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="date_exceptions")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, null=True, blank=True)
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=10, choices=ExceptionKind.choices)
    start = models.TimeField(_("from"), null=True, blank=True)
    end = models.TimeField(_("until"), null=True, blank=True)

    class Meta:
        verbose_name = _("date exception")
        verbose_name_plural = _("date exceptions")
        ordering = ["staff", "date", "start"]
        constraints = [
            # "Different" and "extra" hours need a span that ends after it starts
            # (00:00 = midnight); "closed" needs none.
            models.CheckConstraint(
                condition=models.Q(kind="closed")
                | (
                    models.Q(start__isnull=False, end__isnull=False)
                    & (models.Q(end__gt=models.F("start")) | models.Q(end=time(0)))
                ),
                name="date_exception_hours_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.staff} {self.date} {self.get_kind_display()}"


class TimeOff(models.Model):
    staff = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="time_off")
    start = models.DateTimeField(_("from"))
    end = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("time off")
        verbose_name_plural = _("time off")
        ordering = ["staff", "start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="time_off_end_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.staff} {self.start:%Y-%m-%d}"
