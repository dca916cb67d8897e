"""Admin for companies, locations, resources, staff, memberships and API tokens.

Also home to the small helpers the other apps' admin modules share (time zone
choices, company-local times, the same-company check): catalog and bookings import
them from here.

The staff member's page also shows their week, date exceptions and time off: those
inlines are availability's, which adds them to StaffMemberAdmin (availability.admin),
as companies sits below availability.

Every admin write goes through companies.domain (core.admin_forms), the functions
the staff API calls, so the admin refuses what the API refuses.

Every row belongs to one company, and a related row of another company (a service
given by another company's staff member) would leak across tenants. The models do
not check this, so `CompanyScopedForm` does: on a change page it offers only the
company's rows, and on save it refuses rows of another company.
"""

import functools
import zoneinfo
from collections.abc import Iterable
from datetime import datetime

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from rendezvous.core.admin_forms import DomainAdmin, DomainForm
from rendezvous.core.errors import DomainError
from rendezvous.core.zones import known_zones

from .domain import (
    ApiTokenFields,
    CompanyFields,
    LocationFields,
    MembershipFields,
    ResourceFields,
    StaffFields,
    api_token_delete,
    api_token_issue,
    api_token_revoke,
    api_token_update,
    company_create,
    company_delete,
    company_update,
    location_create,
    location_delete,
    location_update,
    membership_create,
    membership_delete,
    membership_update,
    resource_create,
    resource_delete,
    resource_update,
    staff_create,
    staff_deactivate,
    staff_delete,
    staff_update,
)
from .models import ApiToken, Company, Location, Membership, Resource, StaffMember


@functools.cache
def timezone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(known_zones())]


def timezone_field(**kwargs) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("time zone"), choices=lambda: [("", "---------"), *timezone_choices()], **kwargs
    )


def local_datetime(value: datetime | None, zone: zoneinfo.ZoneInfo) -> str:
    """`value` as wall time in `zone`, with the zone's abbreviation (CET, EST ...)."""
    if value is None:
        return ""
    local = timezone.localtime(value, zone)
    return f"{date_format(local, 'SHORT_DATETIME_FORMAT')} {local.tzname()}"


class CompanyScopedForm(forms.ModelForm):
    """A form whose related rows (`company_scoped_fields`) must belong to its company."""

    company_scoped_fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        company_id = getattr(self.instance, "company_id", None)
        if company_id is None:
            return
        for name in self.company_scoped_fields:
            field = self.fields.get(name)
            if field is not None and hasattr(field, "queryset"):
                field.queryset = field.queryset.filter(company_id=company_id)

    def form_company(self) -> Company | None:
        if "company" in self.fields:
            return self.cleaned_data.get("company")
        return self.instance.company if getattr(self.instance, "company_id", None) else None

    def clean(self):
        cleaned = super().clean()
        company = self.form_company()
        if company is None:
            return cleaned
        for name in self.company_scoped_fields:
            value = cleaned.get(name)
            if value is None:
                continue
            rows: Iterable = [value] if hasattr(value, "company_id") else value
            if any(row.company_id != company.pk for row in rows):
                self.add_error(
                    name, _("Choose only rows of the company %(company)s.") % {"company": company}
                )
        return cleaned


class CompanyFixedAdmin(admin.ModelAdmin):
    """A row stays in the company it was made in: moving it would leave its related
    rows (bookings, sessions, staff) in the old one."""

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        if obj is not None and "company" not in readonly:
            readonly = ("company", *readonly)
        return readonly


COMPANY_FIELDS = (
    "name",
    "slug",
    "timezone",
    "currency",
    "online_meetings_enabled",
    "join_window_minutes",
    "cancel_cutoff_hours",
    "reschedule_cutoff_hours",
    "min_notice_minutes",
    "max_days_ahead",
    "slot_step_minutes",
    "altcha_enabled",
    "frame_ancestors",
)


class CompanyForm(DomainForm):
    """`languages` is an ordered list whose first entry is the default booking language;
    checkboxes lose order, so the default is chosen on its own."""

    timezone = timezone_field()
    default_language = forms.ChoiceField(
        label=_("default language"), choices=settings.LANGUAGES, initial="en"
    )
    languages = forms.MultipleChoiceField(
        label=_("other languages"),
        choices=settings.LANGUAGES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Further languages customers can book in."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = list(self.instance.languages or []) or ["en"]
        self.initial["default_language"] = current[0]
        self.initial["languages"] = current[1:]

    def clean(self):
        cleaned = super().clean()
        default = cleaned.get("default_language")
        if default:
            others = [code for code in cleaned.get("languages") or [] if code != default]
            cleaned["languages"] = [default, *others]
        return cleaned

    def domain_write(self) -> Company:
        values = self.domain_values(COMPANY_FIELDS)
        creating = self.instance.pk is None
        if creating or {"languages", "default_language"} & set(self.changed_data):
            values["languages"] = self.cleaned_data["languages"]
        if creating:
            return company_create(fields=CompanyFields(**values))
        return company_update(company=self.instance, fields=CompanyFields(**values))

    class Meta:
        model = Company
        fields = (*COMPANY_FIELDS, "languages")


LOCATION_FIELDS = ("name", "timezone", "address")


class LocationForm(CompanyScopedForm, DomainForm):
    timezone = timezone_field()

    class Meta:
        model = Location
        fields = ("company", *LOCATION_FIELDS)

    def domain_write(self) -> Location:
        values = self.domain_values(LOCATION_FIELDS)
        if self.instance.pk is None:
            return location_create(
                company=self.cleaned_data["company"], fields=LocationFields(**values)
            )
        return location_update(location=self.instance, fields=LocationFields(**values))


class LocationInlineForm(forms.ModelForm):
    """A row of the company page's locations; its formset writes it."""

    timezone = timezone_field()

    class Meta:
        model = Location
        fields = LOCATION_FIELDS


class LocationInlineFormSet(forms.BaseInlineFormSet):
    """Writes the company page's locations through location_create / location_update /
    location_delete while it is validated, once the company itself was written (its
    form's domain function ran first): a refusal is shown at its row, and the admin
    rolls the whole page back (DomainAdmin)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.new_objects, self.changed_objects, self.deleted_objects = [], [], []

    def clean(self):
        super().clean()
        company = self.instance
        if company.pk is None or any(self.errors):
            return
        refused = []
        for form in self.forms:
            row = form.instance
            try:
                if self.can_delete and self._should_delete_form(form):
                    if row.pk is not None:
                        location_delete(location=row)
                        self.deleted_objects.append(row)
                elif row.pk is None and form.has_changed():
                    values = {name: form.cleaned_data.get(name) for name in LOCATION_FIELDS}
                    form.instance = location_create(
                        company=company, fields=LocationFields(**values)
                    )
                    self.new_objects.append(form.instance)
                elif row.pk is not None and form.has_changed():
                    changed = [name for name in LOCATION_FIELDS if name in form.changed_data]
                    values = {name: form.cleaned_data[name] for name in changed}
                    form.instance = location_update(location=row, fields=LocationFields(**values))
                    self.changed_objects.append((form.instance, changed))
            except DomainError as exc:
                if self.can_delete and self._should_delete_form(form):
                    refused.append(f"{row}: {exc.message}")
                    continue
                for key, problems in (exc.fields or {}).items():
                    form.add_error(key if key in form.fields else None, problems)
                if not exc.fields:
                    form.add_error(None, exc.message)
        if refused:
            raise forms.ValidationError(refused)

    def save(self, commit=True):
        # Written while validating (clean); the admin's change message reads the lists.
        return [*self.new_objects, *(row for row, _changed in self.changed_objects)]


class LocationInline(admin.TabularInline):
    model = Location
    form = LocationInlineForm
    formset = LocationInlineFormSet
    fields = LOCATION_FIELDS
    extra = 0


@admin.register(Company)
class CompanyAdmin(DomainAdmin):
    """Saved by company_create / company_update, its locations by the location_*
    functions (LocationInlineFormSet); deleted by company_delete."""

    form = CompanyForm
    list_display = ("name", "slug", "timezone", "currency", "online_meetings_enabled")
    list_filter = ("online_meetings_enabled", "timezone")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("created_at",)
    inlines = (LocationInline,)
    fieldsets = (
        (
            _("Identity"),
            {
                "fields": (
                    "name",
                    "slug",
                    "timezone",
                    "default_language",
                    "languages",
                    "currency",
                    "created_at",
                )
            },
        ),
        (
            _("Booking rules"),
            {
                "fields": (
                    "min_notice_minutes",
                    "max_days_ahead",
                    "slot_step_minutes",
                    "cancel_cutoff_hours",
                    "reschedule_cutoff_hours",
                )
            },
        ),
        (_("Online meetings"), {"fields": ("online_meetings_enabled", "join_window_minutes")}),
        (_("Spam protection"), {"fields": ("altcha_enabled",)}),
        (_("Embedding"), {"fields": ("frame_ancestors",)}),
    )

    def domain_delete(self, obj: Company) -> None:
        company_delete(company=obj)


@admin.register(Location)
class LocationAdmin(CompanyFixedAdmin, DomainAdmin):
    form = LocationForm
    list_display = ("name", "company", "timezone")
    list_filter = ("company", "timezone")
    search_fields = ("name", "address", "company__name")
    list_select_related = ("company",)

    def domain_delete(self, obj: Location) -> None:
        location_delete(location=obj)


RESOURCE_FIELDS = ("location", "name", "kind", "online_bookable", "active")


class ResourceForm(CompanyScopedForm, DomainForm):
    company_scoped_fields = ("location",)

    class Meta:
        model = Resource
        fields = ("company", *RESOURCE_FIELDS)

    def domain_write(self) -> Resource:
        values = self.domain_values(RESOURCE_FIELDS)
        if self.instance.pk is None:
            return resource_create(
                company=self.cleaned_data["company"], fields=ResourceFields(**values)
            )
        return resource_update(resource=self.instance, fields=ResourceFields(**values))


@admin.register(Resource)
class ResourceAdmin(CompanyFixedAdmin, DomainAdmin):
    form = ResourceForm
    list_display = ("name", "kind", "location", "company", "online_bookable", "active")
    list_filter = ("active", "online_bookable", "kind", "company", "location")
    search_fields = ("name", "kind", "company__name")
    list_select_related = ("company", "location")

    def domain_delete(self, obj: Resource) -> None:
        resource_delete(resource=obj)


STAFF_FIELDS = ("user", "name", "email", "locations", "online_bookable", "active")


class StaffMemberForm(CompanyScopedForm, DomainForm):
    company_scoped_fields = ("locations",)

    class Meta:
        model = StaffMember
        fields = ("company", *STAFF_FIELDS)

    def domain_write(self) -> StaffMember:
        values = self.domain_values(STAFF_FIELDS)
        if self.instance.pk is None:
            return staff_create(company=self.cleaned_data["company"], fields=StaffFields(**values))
        return staff_update(staff=self.instance, fields=StaffFields(**values))


@admin.register(StaffMember)
class StaffMemberAdmin(CompanyFixedAdmin, DomainAdmin):
    """Saved by staff_create / staff_update; deleted by staff_delete, which refuses
    someone with bookings: "Deactivate" takes them off the booking pages instead."""

    form = StaffMemberForm
    list_display = ("name", "company", "email", "online_bookable", "active")
    list_filter = ("active", "online_bookable", "company", "locations")
    search_fields = ("name", "email", "company__name")
    filter_horizontal = ("locations",)
    autocomplete_fields = ("user",)
    list_select_related = ("company",)
    # No inlines here: availability.admin adds the week, date exceptions and time off.
    actions = ("deactivate",)
    fieldsets = (
        (None, {"fields": ("company", "name", "email", "user", "locations")}),
        (_("Booking"), {"fields": ("online_bookable", "active")}),
    )

    def domain_delete(self, obj: StaffMember) -> None:
        staff_delete(staff=obj)

    @admin.action(description=_("Deactivate selected staff members"), permissions=["change"])
    def deactivate(self, request, queryset):
        self.apply_each(
            request,
            queryset,
            lambda staff: staff_deactivate(staff=staff),
            done=ngettext_lazy(
                "%(count)d staff member deactivated.",
                "%(count)d staff members deactivated.",
                "count",
            ),
        )


MEMBERSHIP_FIELDS = ("user", "role", "staff")


class MembershipForm(CompanyScopedForm, DomainForm):
    company_scoped_fields = ("staff",)

    class Meta:
        model = Membership
        fields = ("company", *MEMBERSHIP_FIELDS)

    def domain_write(self) -> Membership:
        values = self.domain_values(MEMBERSHIP_FIELDS)
        if self.instance.pk is None:
            return membership_create(
                company=self.cleaned_data["company"], fields=MembershipFields(**values)
            )
        return membership_update(membership=self.instance, fields=MembershipFields(**values))


@admin.register(Membership)
class MembershipAdmin(CompanyFixedAdmin, DomainAdmin):
    form = MembershipForm
    list_display = ("user", "company", "role", "staff")
    list_filter = ("role", "company")
    search_fields = ("user__username", "user__email", "company__name", "staff__name")
    autocomplete_fields = ("user", "staff")
    list_select_related = ("user", "company", "staff")

    def domain_delete(self, obj: Membership) -> None:
        membership_delete(membership=obj)


TOKEN_FIELDS = ("name", "role", "staff", "user", "expires_at", "revoked")


class ApiTokenForm(CompanyScopedForm, DomainForm):
    company_scoped_fields = ("staff",)
    secret = ""  # the new token's secret, shown once

    class Meta:
        model = ApiToken
        fields = ("company", *TOKEN_FIELDS)

    def domain_write(self) -> ApiToken:
        values = self.domain_values(TOKEN_FIELDS)
        if self.instance.pk is None:
            token, self.secret = api_token_issue(
                company=self.cleaned_data["company"], fields=ApiTokenFields(**values)
            )
            return token
        return api_token_update(token=self.instance, fields=ApiTokenFields(**values))


@admin.register(ApiToken)
class ApiTokenAdmin(DomainAdmin):
    """Tokens are issued by api_token_issue; the plain secret is shown once, the hash never."""

    form = ApiTokenForm
    list_display = (
        "name",
        "company",
        "role",
        "staff",
        "prefix",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked",
    )
    list_filter = ("revoked", "role", "company")
    search_fields = ("name", "prefix", "company__name", "user__username")
    autocomplete_fields = ("user", "staff")
    list_select_related = ("company", "staff")
    actions = ("revoke",)

    def get_fields(self, request, obj=None):
        fields = ["company", "name", "role", "staff", "user", "expires_at"]
        if obj is not None:
            fields += ["revoked", "prefix", "created_at", "last_used_at"]
        return fields

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("company", "prefix", "created_at", "last_used_at")

    def save_model(self, request, obj, form, change):
        if form.secret:
            self.message_user(
                request,
                _("Copy the secret of “%(name)s” now, it is not shown again: %(secret)s")
                % {"name": obj.name, "secret": form.secret},
                messages.WARNING,
            )

    def domain_delete(self, obj: ApiToken) -> None:
        api_token_delete(token=obj)

    @admin.action(description=_("Revoke selected tokens"), permissions=["change"])
    def revoke(self, request, queryset):
        count = self.apply_each(
            request, queryset.filter(revoked=False), lambda token: api_token_revoke(token=token)
        )
        self.message_user(request, _("%(count)d token(s) revoked.") % {"count": count})
