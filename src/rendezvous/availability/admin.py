"""Admin for weekly hours, date exceptions and time off.

The inline classes are also used on the staff member page (companies/admin.py imports
them), so this module imports nothing from the other admin modules.

The models have no `clean()`, and the scheduling core raises on hours it cannot read
(an end before the start, "different hours" without times), so the forms here refuse
what would later break the slots page.
"""

from datetime import time

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from rendezvous.companies.models import Location, StaffMember

from .models import DateException, ExceptionKind, TimeOff, WorkingHours

MIDNIGHT = time(0)


def _staff_of(form: forms.ModelForm) -> StaffMember | None:
    """The form's staff member: chosen in the form, or the inline's parent."""
    staff = form.cleaned_data.get("staff")
    if staff is not None:
        return staff
    try:
        return form.instance.staff
    except StaffMember.DoesNotExist:
        return None


def _check_location(form: forms.ModelForm) -> None:
    location = form.cleaned_data.get("location")
    staff = _staff_of(form)
    if location is not None and staff is not None and location.company_id != staff.company_id:
        form.add_error(
            "location",
            _("Choose a location of the staff member's company (%(company)s).")
            % {"company": staff.company},
        )


def _check_hours(form: forms.ModelForm, start: time | None, end: time | None) -> None:
    if start is not None and end is not None and end != MIDNIGHT and end <= start:
        form.add_error("end", _("The end must be after the start (00:00 means midnight)."))


class WorkingHoursForm(forms.ModelForm):
    class Meta:
        model = WorkingHours
        fields = ("staff", "location", "weekday", "start", "end")
        help_texts = {"end": _("00:00 means midnight at the end of the day.")}

    def clean(self):
        cleaned = super().clean()
        _check_location(self)
        _check_hours(self, cleaned.get("start"), cleaned.get("end"))
        return cleaned


class DateExceptionForm(forms.ModelForm):
    class Meta:
        model = DateException
        fields = ("staff", "location", "date", "kind", "start", "end")

    def clean(self):
        cleaned = super().clean()
        _check_location(self)
        kind, start, end = cleaned.get("kind"), cleaned.get("start"), cleaned.get("end")
        if kind == ExceptionKind.CLOSED:
            if start is not None or end is not None:
                self.add_error("start", _("A day closed all day has no hours; leave them empty."))
        elif kind in (ExceptionKind.HOURS, ExceptionKind.EXTRA):
            for name, value in (("start", start), ("end", end)):
                if value is None and name not in self.errors:
                    self.add_error(name, _("Give the hours for this date."))
            _check_hours(self, start, end)
        return cleaned


class TimeOffForm(forms.ModelForm):
    class Meta:
        model = TimeOff
        fields = ("staff", "start", "end", "reason")

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start is not None and end is not None and end <= start:
            self.add_error("end", _("The end must be after the start."))
        return cleaned


class StaffChildFormSet(forms.BaseInlineFormSet):
    """Offers only the locations of the staff member's own company."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        company_id = getattr(self.instance, "company_id", None)
        if "location" in form.fields and company_id is not None:
            form.fields["location"].queryset = Location.objects.filter(company_id=company_id)


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    form = WorkingHoursForm
    formset = StaffChildFormSet
    fields = ("weekday", "start", "end", "location")
    extra = 0


class DateExceptionInline(admin.TabularInline):
    model = DateException
    form = DateExceptionForm
    formset = StaffChildFormSet
    fields = ("date", "kind", "start", "end", "location")
    extra = 0


class TimeOffInline(admin.TabularInline):
    model = TimeOff
    form = TimeOffForm
    fields = ("start", "end", "reason")
    extra = 0


@admin.register(WorkingHours)
class WorkingHoursAdmin(admin.ModelAdmin):
    form = WorkingHoursForm
    list_display = ("staff", "weekday", "start", "end", "location", "company")
    list_filter = ("weekday", "staff__company", "location", "staff")
    search_fields = ("staff__name", "location__name")
    autocomplete_fields = ("staff",)
    list_select_related = ("staff__company", "location")

    @admin.display(description=_("company"), ordering="staff__company__name")
    def company(self, obj: WorkingHours):
        return obj.staff.company


@admin.register(DateException)
class DateExceptionAdmin(admin.ModelAdmin):
    form = DateExceptionForm
    list_display = ("staff", "date", "kind", "start", "end", "location", "company")
    list_filter = ("kind", "staff__company", "location", "staff")
    search_fields = ("staff__name", "location__name")
    autocomplete_fields = ("staff",)
    date_hierarchy = "date"
    list_select_related = ("staff__company", "location")

    @admin.display(description=_("company"), ordering="staff__company__name")
    def company(self, obj: DateException):
        return obj.staff.company


@admin.register(TimeOff)
class TimeOffAdmin(admin.ModelAdmin):
    form = TimeOffForm
    list_display = ("staff", "start", "end", "reason", "company")
    list_filter = ("staff__company", "staff")
    search_fields = ("staff__name", "reason")
    autocomplete_fields = ("staff",)
    date_hierarchy = "start"
    list_select_related = ("staff__company",)

    @admin.display(description=_("company"), ordering="staff__company__name")
    def company(self, obj: TimeOff):
        return obj.staff.company
