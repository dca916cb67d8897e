"""Admin for categories and services (class sessions hold bookings: bookings.admin)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from rendezvous.companies.admin import CompanyFixedAdmin, CompanyScopedForm

from .models import Category, Service, ServiceKind


@admin.register(Category)
class CategoryAdmin(CompanyFixedAdmin):
    list_display = ("name", "company", "position")
    list_editable = ("position",)
    list_filter = ("company",)
    search_fields = ("name", "company__name")
    list_select_related = ("company",)


class ServiceForm(CompanyScopedForm):
    company_scoped_fields = ("category", "location", "staff")

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
