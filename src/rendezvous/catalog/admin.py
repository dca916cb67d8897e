"""Admin for categories and services (class sessions hold bookings: bookings.admin).

Both save and delete through catalog.domain (core.admin_forms), the functions the
staff API calls, so the admin refuses what the API refuses.
"""

from collections.abc import Mapping

from django import forms
from django.conf import settings
from django.contrib import admin
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from rendezvous.companies.admin import CompanyFixedAdmin, CompanyScopedForm
from rendezvous.core.admin_forms import DomainAdmin, DomainForm

from .domain import (
    CATEGORY_TEXTS,
    SERVICE_TEXTS,
    CategoryFields,
    ServiceFields,
    category_create,
    category_delete,
    category_update,
    service_create,
    service_deactivate,
    service_delete,
    service_update,
)
from .models import Category, Service, ServiceKind

TEXT_LABELS = {"name": _("name"), "description": _("description")}


def translation_field_name(text: str, language: str) -> str:
    return f"{text}_{language}"


def with_translation_fields(cls):
    """Add the per-language fields to a TranslatedForm subclass. After the class exists,
    since the form metaclass collects fields from the class body only; the admin's
    modelform_factory copies them on from `declared_fields`."""
    added = {}
    for language, label in settings.LANGUAGES:
        for text, (max_length, multiline) in cls.translated_texts.items():
            added[translation_field_name(text, language)] = forms.CharField(
                label=format_lazy("{} ({})", TEXT_LABELS[text], label),
                required=False,
                max_length=max_length,
                widget=forms.Textarea(attrs={"rows": 3}) if multiline else None,
            )
    cls.base_fields = {**cls.base_fields, **added}
    cls.declared_fields = {**cls.declared_fields, **added}
    return cls


class TranslatedForm(CompanyScopedForm, DomainForm):
    """One field per text and language (`name_de`), handed to the domain function as
    the row's `translations`, which catalog.domain.clean_translations checks."""

    translated_texts: Mapping[str, tuple[int, bool]] = {}

    @classmethod
    def translation_field_names(cls) -> tuple[str, ...]:
        return tuple(
            translation_field_name(text, language)
            for language, _label in settings.LANGUAGES
            for text in cls.translated_texts
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for language, entry in (self.instance.translations or {}).items():
            for text, value in entry.items():
                self.initial.setdefault(translation_field_name(text, language), value)

    def translation_values(self) -> dict:
        """{"translations": {...}} as the API sends it, when creating or when one of the
        translation fields changed; {} otherwise."""
        names = self.translation_field_names()
        if self.instance.pk is not None and not set(names) & set(self.changed_data):
            return {}
        given = {
            language: {
                text: self.cleaned_data.get(translation_field_name(text, language)) or ""
                for text in self.translated_texts
            }
            for language, _label in settings.LANGUAGES
        }
        return {
            "translations": {
                language: entry for language, entry in given.items() if any(entry.values())
            }
        }

    def domain_error_field(self, key: str) -> str | None:
        parts = key.split(".")
        if parts[0] == "translations" and len(parts) == 3:
            key = translation_field_name(parts[2], parts[1])
        elif parts[0] == "translations" and len(parts) == 2:
            # A language the company does not offer: shown at its first text.
            key = translation_field_name(next(iter(self.translated_texts)), parts[1])
        return super().domain_error_field(key)


CATEGORY_FIELDS = ("name", "position")


@with_translation_fields
class CategoryForm(TranslatedForm):
    translated_texts = CATEGORY_TEXTS

    class Meta:
        model = Category
        fields = ("company", *CATEGORY_FIELDS)

    def domain_write(self) -> Category:
        fields = CategoryFields(**self.domain_values(CATEGORY_FIELDS), **self.translation_values())
        if self.instance.pk is None:
            return category_create(company=self.cleaned_data["company"], fields=fields)
        return category_update(category=self.instance, fields=fields)


class CategoryListForm(DomainForm):
    """A row of the category list, whose position is edited in place."""

    class Meta:
        model = Category
        fields = ("position",)

    def domain_write(self) -> Category:
        fields = CategoryFields(**self.domain_values(("position",)))
        return category_update(category=self.instance, fields=fields)


@admin.register(Category)
class CategoryAdmin(CompanyFixedAdmin, DomainAdmin):
    """Saved by category_create / category_update, deleted by category_delete."""

    form = CategoryForm
    changelist_form = CategoryListForm
    list_display = ("name", "company", "position")
    list_editable = ("position",)
    list_filter = ("company",)
    search_fields = ("name", "company__name")
    list_select_related = ("company",)
    fieldsets = (
        (None, {"fields": ("company", "name", "position")}),
        (
            _("Translations"),
            {
                "fields": CategoryForm.translation_field_names(),
                "description": _(
                    "The name in the company's other languages. Empty: the name above, "
                    "which is in the company's default language."
                ),
            },
        ),
    )

    def domain_delete(self, obj: Category) -> None:
        category_delete(category=obj)


SERVICE_FIELDS = (
    "category",
    "name",
    "description",
    "kind",
    "duration_minutes",
    "buffer_before_minutes",
    "buffer_after_minutes",
    "price",
    "currency",
    "online_meeting",
    "requires_confirmation",
    "requires_payment",
    "resource_kind",
    "max_per_staff_per_day",
    "staff",
    "location",
    "active",
    "position",
)


@with_translation_fields
class ServiceForm(TranslatedForm):
    company_scoped_fields = ("category", "location", "staff")
    translated_texts = SERVICE_TEXTS

    class Meta:
        model = Service
        fields = ("company", *SERVICE_FIELDS)

    def domain_write(self) -> Service:
        fields = ServiceFields(**self.domain_values(SERVICE_FIELDS), **self.translation_values())
        if self.instance.pk is None:
            return service_create(company=self.cleaned_data["company"], fields=fields)
        return service_update(service=self.instance, fields=fields)


@admin.register(Service)
class ServiceAdmin(CompanyFixedAdmin, DomainAdmin):
    """Saved by service_create / service_update; deleted by service_delete, which
    refuses a service with bookings or sessions: "Deactivate" takes it off the site."""

    form = ServiceForm
    actions = ("deactivate",)
    list_display = (
        "name",
        "company",
        "kind",
        "duration_minutes",
        "price_display",
        "online_meeting",
        "requires_confirmation",
        "requires_payment",
        "active",
    )
    list_filter = (
        "active",
        "kind",
        "online_meeting",
        "requires_confirmation",
        "requires_payment",
        "company",
        "category",
    )
    search_fields = ("name", "description", "company__name", "category__name")
    filter_horizontal = ("staff",)
    list_select_related = ("company",)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "company",
                    "name",
                    "kind",
                    "category",
                    "description",
                    "active",
                    "position",
                )
            },
        ),
        (
            _("Time"),
            {
                "fields": (
                    "duration_minutes",
                    "buffer_before_minutes",
                    "buffer_after_minutes",
                    "max_per_staff_per_day",
                )
            },
        ),
        (_("Price"), {"fields": ("price", "currency", "requires_payment")}),
        (_("Booking"), {"fields": ("requires_confirmation", "online_meeting")}),
        (_("Who and where"), {"fields": ("staff", "location", "resource_kind")}),
        (
            _("Translations"),
            {
                "fields": ServiceForm.translation_field_names(),
                "description": _(
                    "The name and description in the company's other languages. Empty: "
                    "the texts above, which are in the company's default language."
                ),
                "classes": ("collapse",),
            },
        ),
    )

    def domain_delete(self, obj: Service) -> None:
        service_delete(service=obj)

    @admin.action(description=_("Deactivate selected services"), permissions=["change"])
    def deactivate(self, request, queryset):
        self.apply_each(
            request,
            queryset,
            lambda service: service_deactivate(service=service),
            done=ngettext_lazy(
                "%(count)d service deactivated.", "%(count)d services deactivated.", "count"
            ),
        )

    @admin.display(description=_("price"), ordering="price")
    def price_display(self, obj: Service) -> str:
        return f"{obj.price} {obj.effective_currency}"

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        # Bookings and sessions were made for this kind; switching it would strand them.
        if obj is not None and (obj.sessions.exists() or obj.bookings.exists()):
            readonly = (*readonly, "kind")
        return readonly

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        # The session form's service autocomplete offers classes only.
        if (
            request.GET.get("model_name") == "classsession"
            and request.GET.get("field_name") == "service"
        ):
            queryset = queryset.filter(kind=ServiceKind.CLASS)
        return queryset, may_have_duplicates
