"""Admin for weekly hours, date exceptions and time off.

The inline classes are also shown on the staff member page: this module adds them to
companies.admin.StaffMemberAdmin (companies sits below availability, so it cannot name
them itself).

Every write goes through availability.domain, the functions the staff API calls, so
the admin refuses what the API refuses (an end before the start, hours of one weekday
that overlap, a "different hours" date without hours, another company's location):

| page | writes through |
| --- | --- |
| weekly hours (one span) | working_hours_add / working_hours_change / working_hours_delete |
| a staff member's week (inline) | working_hours_replace, the whole week at once |
| date exception, page or inline | date_exception_create / date_exception_update / date_exception_delete |
| time off, page or inline | time_off_create / time_off_update / time_off_delete |

A row stays with the staff member it was made for: the staff field is read-only once
it exists. The inlines need a saved staff member, so they show on its change page.
"""

import copy

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from rendezvous.companies.admin import StaffMemberAdmin
from rendezvous.companies.models import Location
from rendezvous.core.admin_forms import DomainAdmin, DomainForm, DomainInline, DomainInlineFormSet
from rendezvous.core.errors import DomainError

from .domain import (
    DateExceptionFields,
    HoursFields,
    TimeOffFields,
    date_exception_create,
    date_exception_delete,
    date_exception_update,
    time_off_create,
    time_off_delete,
    time_off_update,
    working_hours_add,
    working_hours_change,
    working_hours_delete,
    working_hours_replace,
)
from .models import DateException, TimeOff, WorkingHours

HOURS_FIELDS = ("weekday", "start", "end", "location")
EXCEPTION_FIELDS = ("date", "kind", "start", "end", "location")
TIME_OFF_FIELDS = ("start", "end", "reason")


class ChecksInEditing(forms.ModelForm):
    """These models' constraints are check constraints (an end after the start) that
    availability.domain checks first, naming the field; Django's own check would
    answer "constraint violated" before the domain is asked. The database keeps them
    as the last guard."""

    def clean(self):
        cleaned = super().clean()
        self._validate_constraints = False
        return cleaned


class WorkingHoursForm(ChecksInEditing, DomainForm):
    class Meta:
        model = WorkingHours
        fields = ("staff", *HOURS_FIELDS)
        help_texts = {"end": _("00:00 means midnight at the end of the day.")}

    def domain_write(self) -> WorkingHours:
        fields = HoursFields(**self.domain_values(HOURS_FIELDS))
        if self.instance.pk is None:
            return working_hours_add(staff=self.cleaned_data["staff"], fields=fields)
        return working_hours_change(hours=self.instance, fields=fields)


class DateExceptionForm(ChecksInEditing, DomainForm):
    class Meta:
        model = DateException
        fields = ("staff", *EXCEPTION_FIELDS)

    def domain_write(self) -> DateException:
        fields = DateExceptionFields(**self.domain_values(EXCEPTION_FIELDS))
        if self.instance.pk is None:
            return date_exception_create(staff=self.cleaned_data["staff"], fields=fields)
        return date_exception_update(exception=self.instance, fields=fields)


class TimeOffForm(ChecksInEditing, DomainForm):
    class Meta:
        model = TimeOff
        fields = ("staff", *TIME_OFF_FIELDS)

    def domain_write(self) -> TimeOff:
        fields = TimeOffFields(**self.domain_values(TIME_OFF_FIELDS))
        if self.instance.pk is None:
            return time_off_create(staff=self.cleaned_data["staff"], fields=fields)
        return time_off_update(time_off=self.instance, fields=fields)


# -- on the staff member's page ----------------------------------------------------


class StaffChildForm(ChecksInEditing):
    """An inline row: validated as fields here, saved by its formset's domain calls."""

    # The values a domain function takes, as the admin's own pages pass them.
    domain_values = DomainForm.domain_values


class StaffChildFormSet(DomainInlineFormSet):
    """Offers only the locations of the staff member's own company."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        company_id = getattr(self.instance, "company_id", None)
        if "location" in form.fields and company_id is not None:
            form.fields["location"].queryset = Location.objects.filter(company_id=company_id)

    def rows(self):
        """(form, kept) for each row that is or will be stored: kept False when ticked
        for deletion; empty extra rows left out."""
        for form in self.forms:
            deleted = self.can_delete and self._should_delete_form(form)
            if form.instance.pk is None and (deleted or not form.has_changed()):
                continue
            yield form, not deleted


class WorkingHoursFormSet(StaffChildFormSet):
    """The week is saved whole through working_hours_replace: hours that swap (Monday
    9-12 becomes 13-17 while 13-17 becomes 9-12) would overlap if saved row by row."""

    def domain_write(self) -> None:
        kept: list[forms.ModelForm] = []
        deleted: list[forms.ModelForm] = []
        for form, keep in self.rows():
            (kept if keep else deleted).append(form)
        self._kept = kept
        spans = []
        for form in kept:
            location = form.cleaned_data.get("location")
            spans.append(
                HoursFields(
                    weekday=form.cleaned_data.get("weekday"),
                    start=form.cleaned_data.get("start"),
                    end=form.cleaned_data.get("end"),
                    location=str(location.pk) if location else None,
                )
            )
        created = self.domain_call(None, working_hours_replace, staff=self.instance, spans=spans)
        if created is None:
            return
        self.deleted_objects = [form.instance for form in deleted]
        for row, form in zip(created, kept, strict=True):
            if form.instance.pk is None:
                self.new_objects.append(row)
            elif form.has_changed():
                self.changed_objects.append((row, form.changed_data))

    def domain_refused(self, form, exc: DomainError) -> None:
        # working_hours_replace names its fields hours.<n>.<field>, n counting the spans.
        for name, problems in (exc.fields or {"hours": [exc.message]}).items():
            parts = name.split(".")
            if len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(self._kept):
                row_form = self._kept[int(parts[1])]
                row_form.add_error(parts[2] if parts[2] in row_form.fields else None, problems)
            else:
                self._domain_errors.extend(problems)


class _RowByRowFormSet(StaffChildFormSet):
    """Date exceptions and time off are saved one row at a time: deletions first, so
    a date freed by one row may be taken by another."""

    fields: tuple[str, ...] = ()
    # The domain's input for a row, made from the row's changed fields.
    fields_class: type = object

    def domain_create(self, fields):
        raise NotImplementedError

    def domain_update(self, row, fields):
        raise NotImplementedError

    def domain_delete(self, row) -> None:
        raise NotImplementedError

    def domain_write(self) -> None:
        rows = list(self.rows())
        for form, keep in rows:
            if not keep:
                # A copy: deleting clears the row's id, and the trial run is rolled back.
                self.domain_call(form, self.domain_delete, row=copy.copy(form.instance))
                self.deleted_objects.append(form.instance)
        for form, keep in rows:
            if keep and form.instance.pk is not None and form.has_changed():
                given = self.fields_class(**form.domain_values(self.fields))
                row = self.domain_call(form, self.domain_update, row=form.instance, fields=given)
                self.changed_objects.append((row, form.changed_data))
        for form, keep in rows:
            if keep and form.instance.pk is None:
                given = self.fields_class(**form.domain_values(self.fields))
                row = self.domain_call(form, self.domain_create, fields=given)
                self.new_objects.append(row)


class DateExceptionFormSet(_RowByRowFormSet):
    fields = EXCEPTION_FIELDS
    fields_class = DateExceptionFields

    def domain_create(self, fields):
        return date_exception_create(staff=self.instance, fields=fields)

    def domain_update(self, row, fields):
        return date_exception_update(exception=row, fields=fields)

    def domain_delete(self, row) -> None:
        date_exception_delete(exception=row)


class TimeOffFormSet(_RowByRowFormSet):
    fields = TIME_OFF_FIELDS
    fields_class = TimeOffFields

    def domain_create(self, fields):
        return time_off_create(staff=self.instance, fields=fields)

    def domain_update(self, row, fields):
        return time_off_update(time_off=row, fields=fields)

    def domain_delete(self, row) -> None:
        time_off_delete(time_off=row)


class WorkingHoursInline(DomainInline, admin.TabularInline):
    model = WorkingHours
    form = StaffChildForm
    formset = WorkingHoursFormSet
    fields = HOURS_FIELDS
    extra = 0


class DateExceptionInline(DomainInline, admin.TabularInline):
    model = DateException
    form = StaffChildForm
    formset = DateExceptionFormSet
    fields = EXCEPTION_FIELDS
    extra = 0


class TimeOffInline(DomainInline, admin.TabularInline):
    model = TimeOff
    form = StaffChildForm
    formset = TimeOffFormSet
    fields = TIME_OFF_FIELDS
    extra = 0


# -- their own pages -----------------------------------------------------------------


class StaffRowAdmin(DomainAdmin):
    """The staff member is chosen once: a row moved to another staff member would skip
    the checks against that person's other hours."""

    autocomplete_fields = ("staff",)

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        return ("staff", *readonly) if obj is not None else readonly

    @admin.display(description=_("company"), ordering="staff__company__name")
    def company(self, obj):
        return obj.staff.company


@admin.register(WorkingHours)
class WorkingHoursAdmin(StaffRowAdmin):
    form = WorkingHoursForm
    list_display = ("staff", "weekday", "start", "end", "location", "company")
    list_filter = ("weekday", "staff__company", "location", "staff")
    search_fields = ("staff__name", "location__name")
    list_select_related = ("staff__company", "location")

    def domain_delete(self, obj: WorkingHours) -> None:
        working_hours_delete(hours=obj)


@admin.register(DateException)
class DateExceptionAdmin(StaffRowAdmin):
    form = DateExceptionForm
    list_display = ("staff", "date", "kind", "start", "end", "location", "company")
    list_filter = ("kind", "staff__company", "location", "staff")
    search_fields = ("staff__name", "location__name")
    date_hierarchy = "date"
    list_select_related = ("staff__company", "location")

    def domain_delete(self, obj: DateException) -> None:
        date_exception_delete(exception=obj)


@admin.register(TimeOff)
class TimeOffAdmin(StaffRowAdmin):
    form = TimeOffForm
    list_display = ("staff", "start", "end", "reason", "company")
    list_filter = ("staff__company", "staff")
    search_fields = ("staff__name", "reason")
    date_hierarchy = "start"
    list_select_related = ("staff__company",)

    def domain_delete(self, obj: TimeOff) -> None:
        time_off_delete(time_off=obj)


# The staff member's page shows their week, date exceptions and time off (see above).
StaffMemberAdmin.inlines = (
    *StaffMemberAdmin.inlines,
    WorkingHoursInline,
    DateExceptionInline,
    TimeOffInline,
)
