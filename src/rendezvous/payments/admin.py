"""Admin for payments, passes and wallets.

Money rows are a ledger: payments, refunds, wallet entries and pass uses are shown,
never edited or deleted here (a correction is a new row, made by a domain function).
What an operator may write goes through payments.domain, as the other apps' admins do
(core.admin_forms), so the admin refuses what the booking site and the API refuse:

| model | writes | through |
| --- | --- | --- |
| PassProduct | add, change, delete, "take off sale" | pass_product_create / _update / _delete / _archive |
| WalletEntry | add only: a grant or a correction, with its reason | wallet_grant / wallet_correct |
| the others (WebhookEvent included) | none | - |

PaymentSettings are shown without the Stripe keys: settings are written by the
payment settings' domain functions, never from this page.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from rendezvous.bookings.models import Customer
from rendezvous.catalog.admin import TranslatedForm, translation_field_name, with_translation_fields
from rendezvous.companies.admin import CompanyFixedAdmin
from rendezvous.core.admin_forms import DomainAdmin, DomainForm

from .domain.passes import (
    PASS_TEXTS,
    PassProductFields,
    pass_product_archive,
    pass_product_create,
    pass_product_delete,
    pass_product_update,
)
from .domain.wallet import wallet_balance, wallet_correct, wallet_grant
from .models import (
    CustomerPass,
    EntryReason,
    PassProduct,
    PassUse,
    Payment,
    PaymentSettings,
    Refund,
    Unit,
    Wallet,
    WalletEntry,
    WebhookEvent,
)


class LedgerAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Shown, never added, changed or deleted here."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# -- pass products ---------------------------------------------------------------------

PASS_FIELDS = ("name", "description", "entries", "valid_days", "price", "services", "position")


@with_translation_fields
class PassProductForm(TranslatedForm):
    company_scoped_fields = ("services",)
    translated_texts = PASS_TEXTS

    class Meta:
        model = PassProduct
        fields = ("company", *PASS_FIELDS, "active")

    def validate_constraints(self) -> None:
        # The domain function checks what the model's constraints say (and more), with
        # the field's own message; Django's check would answer first, at no field.
        pass

    def _translations(self) -> dict[str, dict[str, str]]:
        """Every language's texts as the page shows them: an update replaces them all."""
        given: dict[str, dict[str, str]] = {}
        for language, _label in settings.LANGUAGES:
            for text in self.translated_texts:
                value = self.cleaned_data.get(translation_field_name(text, language)) or ""
                if value:
                    given.setdefault(language, {})[text] = value
        return given

    def domain_write(self) -> PassProduct:
        data = self.cleaned_data
        fields = PassProductFields(
            name=data.get("name") or "",
            description=data.get("description") or "",
            entries=data["entries"],
            valid_days=data["valid_days"],
            price=data["price"],
            services=tuple(service.pk for service in data.get("services") or ()),
            translations=self._translations(),
            active=bool(data.get("active")),
            position=data.get("position") or 0,
        )
        if self.instance.pk is None:
            return pass_product_create(company=data["company"], fields=fields)
        return pass_product_update(product=self.instance, fields=fields)


@admin.register(PassProduct)
class PassProductAdmin(CompanyFixedAdmin, DomainAdmin):
    """Saved by pass_product_create / _update; deleted by pass_product_delete, which
    refuses a pass that was sold: "Take off sale" stops selling it instead."""

    form = PassProductForm
    actions = ("archive",)
    list_display = ("name", "company", "entries", "valid_days", "price", "active")
    list_filter = ("active", "company")
    search_fields = ("name", "company__name")
    list_select_related = ("company",)
    filter_horizontal = ("services",)
    fieldsets = (
        (None, {"fields": ("company", *PASS_FIELDS, "active")}),
        (
            _("Translations"),
            {
                "fields": PassProductForm.translation_field_names(),
                "classes": ("collapse",),
            },
        ),
    )

    def domain_delete(self, obj: PassProduct) -> None:
        pass_product_delete(product=obj)

    @admin.action(description=_("Take selected passes off sale"), permissions=["change"])
    def archive(self, request: HttpRequest, queryset: QuerySet[PassProduct]) -> None:
        self.apply_each(
            request,
            queryset,
            lambda product: pass_product_archive(product=product),
            done=ngettext_lazy(
                "%(count)d pass taken off sale.", "%(count)d passes taken off sale.", "count"
            ),
        )


@admin.register(CustomerPass)
class CustomerPassAdmin(LedgerAdmin):
    """Passes are bought and spent through payments.domain.passes."""

    list_display = ("__str__", "customer", "company", "active", "expires_at", "created_at")
    list_filter = ("active", "company")
    search_fields = ("customer__email", "customer__last_name", "product__name")
    list_select_related = ("product", "customer", "company")
    readonly_fields = (
        "company",
        "customer",
        "product",
        "entries_total",
        "entries_left",
        "active",
        "expires_at",
        "created_at",
    )
    fields = readonly_fields


@admin.register(PassUse)
class PassUseAdmin(LedgerAdmin):
    list_display = ("__str__", "created_at", "returned_at")
    search_fields = ("customer_pass__customer__email", "customer_pass__product__name")
    list_select_related = ("customer_pass__product",)
    readonly_fields = ("customer_pass", "booking", "created_at", "returned_at")
    fields = readonly_fields


# -- payments --------------------------------------------------------------------------


@admin.register(PaymentSettings)
class PaymentSettingsAdmin(LedgerAdmin):
    list_display = ("company", "card", "credits", "passes", "bank_transfer", "on_site")
    search_fields = ("company__name",)
    list_select_related = ("company",)
    # The Stripe keys stay off the page.
    readonly_fields = (
        "company",
        "card",
        "credits",
        "passes",
        "bank_transfer",
        "on_site",
        "hold_minutes",
        "account_holder",
        "iban",
        "bic",
        "transfer_due_days",
        "cancel_unpaid_transfers",
        "refund_after_cutoff_percent",
        "tax_rate_percent",
    )
    fields = readonly_fields


class RefundInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Refund
    extra = 0
    fields = ("amount", "state", "reason", "provider_ref", "created_at", "done_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Payment)
class PaymentAdmin(LedgerAdmin):
    list_display = (
        "__str__",
        "company",
        "state",
        "booking",
        "customer_pass",
        "reference",
        "created_at",
        "paid_at",
    )
    list_filter = ("state", "method", "company")
    search_fields = ("reference", "provider_ref", "provider_payment", "booking__email")
    list_select_related = ("company", "booking__service", "customer_pass__product")
    inlines = (RefundInline,)
    readonly_fields = (
        "company",
        "booking",
        "customer_pass",
        "method",
        "state",
        "amount",
        "currency",
        "refunded",
        "provider",
        "provider_ref",
        "provider_payment",
        "reference",
        "due",
        "note",
        "expires_at",
        "created_at",
        "updated_at",
        "paid_at",
    )
    fields = readonly_fields


@admin.register(Refund)
class RefundAdmin(LedgerAdmin):
    list_display = ("__str__", "payment", "state", "created_at", "done_at")
    list_filter = ("state",)
    search_fields = ("payment__reference", "provider_ref", "reason")
    list_select_related = ("payment",)
    readonly_fields = ("payment", "amount", "state", "reason", "provider_ref", "created_at")
    fields = readonly_fields


@admin.register(WebhookEvent)
class WebhookEventAdmin(LedgerAdmin):
    list_display = ("received_at", "company", "type", "outcome", "payment")
    list_filter = ("provider", "type", "outcome")
    search_fields = ("event_id",)
    list_select_related = ("company", "payment")
    readonly_fields = (
        "company",
        "provider",
        "event_id",
        "type",
        "outcome",
        "payment",
        "received_at",
    )
    fields = readonly_fields


# -- wallets ---------------------------------------------------------------------------


class WalletEntryInline(admin.TabularInline):  # type: ignore[type-arg]
    model = WalletEntry
    extra = 0
    fields = ("created_at", "unit", "amount", "reason", "note", "booking", "actor")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Wallet)
class WalletAdmin(LedgerAdmin):
    """A wallet and its history; "Add wallet entry" grants or corrects."""

    list_display = ("customer", "company", "money", "credits")
    list_filter = ("company",)
    search_fields = ("customer__email", "customer__last_name", "customer__first_name")
    list_select_related = ("customer__company", "company")
    readonly_fields = ("company", "customer", "money", "credits", "created_at")
    fields = readonly_fields
    inlines = (WalletEntryInline,)

    @admin.display(description=Unit.MONEY.label)
    def money(self, obj: Wallet) -> Decimal:
        return wallet_balance(obj.customer, Unit.MONEY)

    @admin.display(description=Unit.CREDIT.label)
    def credits(self, obj: Wallet) -> Decimal:
        return wallet_balance(obj.customer, Unit.CREDIT)


class WalletEntryForm(DomainForm):
    """A grant (adds) or a correction (either way) of one customer's wallet; the note
    says why, for the customer and for colleagues."""

    customer = forms.ModelChoiceField(
        label=_("customer"), queryset=Customer.objects.select_related("company")
    )
    reason = forms.ChoiceField(
        label=_("reason"),
        choices=[
            (EntryReason.STAFF_GRANT.value, EntryReason.STAFF_GRANT.label),
            (EntryReason.STAFF_CORRECTION.value, EntryReason.STAFF_CORRECTION.label),
        ],
    )
    # Who grants: set by WalletEntryAdmin.get_form for the request's user.
    actor: ClassVar[User | None] = None

    class Meta:
        model = WalletEntry
        fields = ("unit", "amount", "note")

    def domain_write(self) -> WalletEntry:
        data = self.cleaned_data
        write = wallet_grant if data["reason"] == EntryReason.STAFF_GRANT else wallet_correct
        return write(
            customer=data["customer"],
            unit=data["unit"],
            amount=data["amount"],
            note=data.get("note") or "",
            actor=self.actor,
        )


@admin.register(WalletEntry)
class WalletEntryAdmin(DomainAdmin):
    """Entries are added (a grant or a correction through the wallet's domain
    functions), never changed or deleted: the history stays whole."""

    list_display = ("created_at", "customer", "unit", "amount", "reason", "note", "actor")
    list_filter = ("unit", "reason", "wallet__company")
    search_fields = ("wallet__customer__email", "wallet__customer__last_name", "note")
    list_select_related = ("wallet__customer", "actor")
    readonly_fields = (
        "wallet",
        "unit",
        "amount",
        "reason",
        "note",
        "booking",
        "payment",
        "actor",
        "created_at",
    )

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> type[ModelForm[Any]]:
        if obj is not None:
            return super().get_form(request, obj, change=change, **kwargs)
        user = request.user if isinstance(request.user, User) else None
        kwargs["form"] = type("WalletEntryFormFor", (WalletEntryForm,), {"actor": user})
        kwargs["fields"] = ("customer", "unit", "reason", "amount", "note")
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields if obj is not None else ()

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ("customer", "unit", "reason", "amount", "note")
        return self.readonly_fields

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("customer"), ordering="wallet__customer__last_name")
    def customer(self, obj: WalletEntry) -> Customer:
        return obj.wallet.customer
