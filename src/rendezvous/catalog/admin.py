"""Admin for categories and services (class sessions hold bookings: bookings.admin)."""

from collections.abc import Mapping

from django import forms
from django.conf import settings
from django.contrib import admin
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from rendezvous.companies.admin import CompanyFixedAdmin, CompanyScopedForm
from rendezvous.companies.editing import FieldErrors

from .editing import CATEGORY_TEXTS, SERVICE_TEXTS, clean_translations
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


class TranslatedForm(CompanyScopedForm):
    """One field per text and language (`name_de`), kept in the row's `translations`
    after the checks of catalog.editing.clean_translations."""

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

    def clean(self):
        cleaned = super().clean()
        company = self.form_company()
        if company is None:
            return cleaned
        given = {
            language: {
                text: cleaned.get(translation_field_name(text, language)) or ""
                for text in self.translated_texts
            }
            for language, _label in settings.LANGUAGES
        }
        given = {language: entry for language, entry in given.items() if any(entry.values())}
        errors = FieldErrors()
        translations = clean_translations(errors, company, given, texts=self.translated_texts)
        for key, problems in errors.fields.items():
            parts = key.split(".")
            name = translation_field_name(parts[2], parts[1]) if len(parts) == 3 else None
            if len(parts) == 2:  # a language the company does not offer: every text of it
                name = translation_field_name(next(iter(self.translated_texts)), parts[1])
            for problem in problems:
                self.add_error(name if name in self.fields else None, problem)
        self.instance.translations = translations
        return cleaned


@with_translation_fields
class CategoryForm(TranslatedForm):
    translated_texts = CATEGORY_TEXTS

    class Meta:
        model = Category
        fields = ("company", "name", "position")


@admin.register(Category)
class CategoryAdmin(CompanyFixedAdmin):
    form = CategoryForm
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


@with_translation_fields
class ServiceForm(TranslatedForm):
    company_scoped_fields = ("category", "location", "staff")
    translated_texts = SERVICE_TEXTS

    class Meta:
        model = Service
        fields = (
            "company",
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


@admin.register(Service)
class ServiceAdmin(CompanyFixedAdmin):
    form = ServiceForm
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
