"""Admin for companies, locations, resources, staff, memberships and API tokens.

Also home to the small helpers the other apps' admin modules share (time zone
choices, company-local times, the same-company check): catalog and bookings import
them from here; availability does not, because this module imports its inlines.

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

from rendezvous.availability.admin import DateExceptionInline, TimeOffInline, WorkingHoursInline
from rendezvous.core.zones import known_zones

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


class CompanyForm(forms.ModelForm):
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

    class Meta:
        model = Company
        fields = (
            "name",
            "slug",
            "timezone",
            "languages",
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


class LocationForm(forms.ModelForm):
    timezone = timezone_field()

    class Meta:
        model = Location
        fields = ("company", "name", "timezone", "address")


class LocationInline(admin.TabularInline):
    model = Location
    form = LocationForm
    fields = ("name", "timezone", "address")
    extra = 0


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
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


@admin.register(Location)
class LocationAdmin(CompanyFixedAdmin):
    form = LocationForm
    list_display = ("name", "company", "timezone")
    list_filter = ("company", "timezone")
    search_fields = ("name", "address", "company__name")
    list_select_related = ("company",)


class ResourceForm(CompanyScopedForm):
    company_scoped_fields = ("location",)

    class Meta:
        model = Resource
        fields = ("company", "location", "name", "kind", "online_bookable", "active")


@admin.register(Resource)
class ResourceAdmin(CompanyFixedAdmin):
    form = ResourceForm
    list_display = ("name", "kind", "location", "company", "online_bookable", "active")
    list_filter = ("active", "online_bookable", "kind", "company", "location")
    search_fields = ("name", "kind", "company__name")
    list_select_related = ("company", "location")


class StaffMemberForm(CompanyScopedForm):
    company_scoped_fields = ("locations",)

    class Meta:
        model = StaffMember
        fields = ("company", "user", "name", "email", "locations", "online_bookable", "active")


@admin.register(StaffMember)
class StaffMemberAdmin(CompanyFixedAdmin):
    form = StaffMemberForm
    list_display = ("name", "company", "email", "online_bookable", "active")
    list_filter = ("active", "online_bookable", "company", "locations")
    search_fields = ("name", "email", "company__name")
    filter_horizontal = ("locations",)
    autocomplete_fields = ("user",)
    list_select_related = ("company",)
    inlines = (WorkingHoursInline, DateExceptionInline, TimeOffInline)
    fieldsets = (
        (None, {"fields": ("company", "name", "email", "user", "locations")}),
        (_("Booking"), {"fields": ("online_bookable", "active")}),
    )


class MembershipForm(CompanyScopedForm):
    company_scoped_fields = ("staff",)

    class Meta:
        model = Membership
        fields = ("company", "user", "role", "staff")


@admin.register(Membership)
class MembershipAdmin(CompanyFixedAdmin):
    form = MembershipForm
    list_display = ("user", "company", "role", "staff")
    list_filter = ("role", "company")
    search_fields = ("user__username", "user__email", "company__name", "staff__name")
    autocomplete_fields = ("user", "staff")
    list_select_related = ("user", "company", "staff")


class ApiTokenForm(CompanyScopedForm):
    company_scoped_fields = ("staff",)

    class Meta:
        model = ApiToken
        fields = ("company", "user", "name", "role", "staff", "expires_at", "revoked")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are made by `ApiToken.issue`; the plain secret is shown once, the hash never."""

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
        if change:
            super().save_model(request, obj, form, change)
            return
        token, secret = ApiToken.issue(
            company=obj.company,
            user=obj.user,
            name=obj.name,
            role=obj.role,
            staff=obj.staff,
            expires_at=obj.expires_at,
            revoked=obj.revoked,
        )
        # The admin goes on with `obj` (log entry, redirect): make it the stored row.
        obj.pk = token.pk
        obj.prefix, obj.secret_hash, obj.created_at = (
            token.prefix,
            token.secret_hash,
            token.created_at,
        )
        obj._state.adding, obj._state.db = False, token._state.db
        self.message_user(
            request,
            _("Copy the secret of “%(name)s” now, it is not shown again: %(secret)s")
            % {"name": token.name, "secret": secret},
            messages.WARNING,
        )

    @admin.action(description=_("Revoke selected tokens"), permissions=["change"])
    def revoke(self, request, queryset):
        count = queryset.filter(revoked=False).update(revoked=True)
        self.message_user(request, _("%(count)d token(s) revoked.") % {"count": count})
