"""Admin for categories, services and class sessions.

A class session's bookings copy its times, staff member and resource, and there is
no domain function yet that moves a session with its bookings. So once a session holds
active bookings, those fields are read-only here, and its capacity cannot drop below
the seats taken (checked under a lock on the session row, the same lock seat
reservations take). A session is cancelled only by the "Cancel" action
(bookings.domain.session_cancel: its bookings, emails, meeting and refunds with it),
never by ticking a box.
"""

from collections.abc import Mapping

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from rendezvous.bookings.domain import session_cancel
from rendezvous.bookings.models import ACTIVE_STATUSES, Booking, BookingStatus, PaymentStatus
from rendezvous.companies.admin import CompanyFixedAdmin, CompanyScopedForm, local_datetime
from rendezvous.companies.editing import FieldErrors
from rendezvous.core.errors import DomainError

from .editing import CATEGORY_TEXTS, SERVICE_TEXTS, clean_translations
from .models import Category, ClassSession, Service, ServiceKind

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


def seats_taken(session_id: int, *, lock: bool = False) -> int:
    """Seats held by active bookings of a session, optionally after locking its row."""
    if lock and transaction.get_connection().in_atomic_block:
        list(ClassSession.objects.select_for_update().filter(pk=session_id).values_list("pk"))
    total = Booking.objects.filter(session_id=session_id, status__in=ACTIVE_STATUSES).aggregate(
        total=Sum("participants")
    )["total"]
    return total or 0


class ClassSessionForm(CompanyScopedForm):
    company_scoped_fields = ("service", "staff", "location", "resource")

    class Meta:
        model = ClassSession
        fields = (
            "company",
            "service",
            "staff",
            "location",
            "resource",
            "start",
            "end",
            "capacity",
            "online",
        )

    def clean(self):
        cleaned = super().clean()
        service = cleaned.get("service")
        if service is not None and service.kind != ServiceKind.CLASS:
            self.add_error("service", _("Choose a class, not an appointment service."))
        capacity = cleaned.get("capacity")
        if capacity is not None and self.instance.pk is not None:
            taken = seats_taken(self.instance.pk, lock=True)
            if capacity < taken:
                self.add_error(
                    "capacity",
                    _("%(taken)d seats are booked; the capacity cannot be lower.")
                    % {"taken": taken},
                )
        return cleaned


# Fields a session's active bookings copied: frozen while there are any.
BOOKED_SESSION_FIELDS = (
    "company",
    "service",
    "start",
    "end",
    "staff",
    "location",
    "resource",
)


@admin.register(ClassSession)
class ClassSessionAdmin(CompanyFixedAdmin):
    form = ClassSessionForm
    list_display = (
        "service",
        "start_local",
        "end_local",
        "staff",
        "capacity",
        "seats_taken",
        "online",
        "cancelled",
    )
    list_filter = ("cancelled", "online", "company", "service", "staff")
    search_fields = ("service__name", "staff__name", "company__name")
    autocomplete_fields = ("service", "staff")
    date_hierarchy = "start"
    list_select_related = ("company", "service", "staff")
    actions = ("cancel_sessions",)

    def get_queryset(self, request):
        # A correlated subquery rather than a JOIN + GROUP BY, so filters, search and the
        # date hierarchy work on the queryset unchanged and no row is duplicated.
        taken = (
            Booking.objects.filter(session=OuterRef("pk"), status__in=ACTIVE_STATUSES)
            .order_by()
            .values("session")
            .annotate(total=Sum("participants"))
            .values("total")
        )
        return (
            super().get_queryset(request).annotate(seats_taken_count=Coalesce(Subquery(taken), 0))
        )

    def get_readonly_fields(self, request, obj=None):
        readonly = (
            *super().get_readonly_fields(request, obj),
            "seats_taken",
            "cancelled",
            "cancelled_at",
        )
        if obj is not None and getattr(obj, "seats_taken_count", 0):
            readonly += tuple(name for name in BOOKED_SESSION_FIELDS if name not in readonly)
        return readonly

    @admin.display(description=_("seats taken"), ordering="seats_taken_count")
    def seats_taken(self, obj: ClassSession) -> int:
        return getattr(obj, "seats_taken_count", 0)

    @admin.display(description=_("start (company time)"), ordering="start")
    def start_local(self, obj: ClassSession) -> str:
        return local_datetime(obj.start, obj.company.zone)

    @admin.display(description=_("end (company time)"), ordering="end")
    def end_local(self, obj: ClassSession) -> str:
        return local_datetime(obj.end, obj.company.zone)

    # -- cancelling -------------------------------------------------------------------

    def has_cancel_permission(self, request) -> bool:
        return request.user.has_perm("catalog.change_classsession")

    @admin.action(
        description=_("Cancel the sessions and all their bookings"), permissions=["cancel"]
    )
    def cancel_sessions(self, request, queryset):
        for session in queryset.select_related("company", "service"):
            try:
                result = session_cancel(session=session)
            except DomainError as exc:
                messages.error(request, f"{session}: {exc}")
                continue
            messages.success(
                request,
                ngettext(
                    "%(session)s cancelled; %(n)d booking cancelled and its customer told.",
                    "%(session)s cancelled; %(n)d bookings cancelled and their customers told.",
                    len(result.cancelled),
                )
                % {"session": session, "n": len(result.cancelled)},
            )
            if result.refunds_due:
                url = reverse("admin:bookings_booking_changelist") + (
                    f"?session__id__exact={session.pk}&status__exact={BookingStatus.CANCELLED}"
                    f"&payment_status__exact={PaymentStatus.PAID}"
                )
                count = len(result.refunds_due)
                messages.warning(
                    request,
                    format_html(
                        '{} <a href="{}">{}</a>',
                        ngettext(
                            "%(n)d booking was paid: a refund is due.",
                            "%(n)d bookings were paid: refunds are due.",
                            count,
                        )
                        % {"n": count},
                        url,
                        _("Show them"),
                    ),
                )
