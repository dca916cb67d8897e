"""Admin for customers, bookings and class sessions.

Bookings are read-only here except for their notes: their state, times, staff and
blocked range change only through `bookings.domain`, which locks and re-checks (no
double booking, seats within capacity). Actions call those functions one booking at
a time and report each refusal; bookings are made through the booking site or API,
so there is no "add", and only bookings that hold no time any more can be deleted.
Class sessions are scheduled, changed and deleted through bookings.domain.sessions
(core.admin_forms): the admin refuses what the API refuses.
"""

from collections.abc import Callable

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, ngettext_lazy

from rendezvous.catalog.models import ClassSession
from rendezvous.companies.admin import CompanyFixedAdmin, CompanyScopedForm, local_datetime
from rendezvous.core.admin_forms import DomainAdmin, DomainForm
from rendezvous.core.audit import who_label
from rendezvous.core.errors import DomainError

from .domain import (
    STAFF,
    CustomerDetails,
    SessionFields,
    booking_cancel,
    booking_confirm,
    booking_decline,
    booking_mark_outcome,
    booking_record_payment,
    booking_set_notes,
    customer_erase,
    customer_update,
    session_cancel,
    session_create,
    session_delete,
    session_update,
)
from .domain.history import action_label, booking_history
from .models import (
    Booking,
    BookingStatus,
    Customer,
    PaymentStatus,
    SignInLink,
    seats_taken_subquery,
)


class CustomerForm(DomainForm):
    """Customer records come from bookings; here an operator corrects one, through
    customer_update (the back office's rules: a company language, one record per email)."""

    language = forms.ChoiceField(label=_("language"), choices=settings.LANGUAGES, initial="en")

    class Meta:
        model = Customer
        fields = ("first_name", "last_name", "email", "phone", "language", "notes")

    def domain_write(self):
        data = self.cleaned_data
        return customer_update(
            customer=self.instance,
            details=CustomerDetails(
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                phone=data.get("phone", ""),
            ),
            language=data["language"],
            notes=data.get("notes", ""),
        )


@admin.register(Customer)
class CustomerAdmin(CompanyFixedAdmin, DomainAdmin):
    """No "add": a customer record is made with their first confirmed booking. Deleting
    one is the privacy erasure (customer_erase): its bookings stay, without the
    customer's details."""

    form = CustomerForm
    list_display = ("full_name", "email", "phone", "language", "company", "created_at")
    list_filter = ("company", "language")
    search_fields = ("first_name", "last_name", "email", "phone")
    list_select_related = ("company",)
    readonly_fields = ("company", "created_at", "bookings_link")
    fields = (
        "company",
        "first_name",
        "last_name",
        "email",
        "phone",
        "language",
        "notes",
        "created_at",
        "bookings_link",
    )

    def has_add_permission(self, request):
        return False

    def domain_delete(self, obj: Customer) -> None:
        customer_erase(customer=obj)

    @admin.display(description=_("name"), ordering="last_name")
    def full_name(self, obj: Customer) -> str:
        return f"{obj.first_name} {obj.last_name}"

    @admin.display(description=_("bookings"))
    def bookings_link(self, obj: Customer) -> str:
        if obj.pk is None:
            return ""
        url = reverse("admin:bookings_booking_changelist") + f"?customer__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, _("Show this customer's bookings"))


class BookingForm(DomainForm):
    """The one field an operator edits on a booking, written (and refused) by
    booking_set_notes while the form validates."""

    class Meta:
        model = Booking
        fields = ("notes",)

    def domain_write(self) -> Booking:
        return booking_set_notes(booking=self.instance, notes=self.cleaned_data["notes"])


BOOKING_READONLY = (
    "id",
    "company",
    "status",
    "service",
    "session",
    "staff",
    "resource",
    "start_local",
    "end_local",
    "blocked_range",
    "online",
    "participants",
    "payment_status",
    "source",
    "customer",
    "first_name",
    "last_name",
    "email",
    "phone",
    "language",
    "created_at",
    "updated_at",
    "confirmed_at",
    "cancelled_at",
    "audit_history",
)


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    form = BookingForm
    list_display = (
        "start_local",
        "service",
        "staff",
        "customer_name",
        "email",
        "status",
        "online",
        "payment_status",
        "source",
    )
    list_filter = ("status", "payment_status", "online", "source", "company", "service", "staff")
    search_fields = ("first_name", "last_name", "email", "phone", "id__exact")
    search_help_text = _("Name, email, phone or the booking's full id")
    date_hierarchy = "start"
    list_select_related = ("company", "service", "staff")
    readonly_fields = BOOKING_READONLY
    fieldsets = (
        (None, {"fields": ("id", "company", "status", "source", "created_at", "updated_at")}),
        (
            _("When and who"),
            {
                "fields": (
                    "service",
                    "session",
                    "start_local",
                    "end_local",
                    "blocked_range",
                    "staff",
                    "resource",
                    "online",
                    "participants",
                )
            },
        ),
        (
            _("Customer"),
            {"fields": ("customer", "first_name", "last_name", "email", "phone", "language")},
        ),
        (_("Payment"), {"fields": ("payment_status",)}),
        (_("History"), {"fields": ("confirmed_at", "cancelled_at", "audit_history")}),
        (_("Notes"), {"fields": ("notes",)}),
    )
    actions = (
        "confirm_requests",
        "decline_requests",
        "cancel_bookings",
        "record_payment",
        "mark_completed",
        "mark_no_show",
    )

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # An active booking must be cancelled (through the domain) before it can go.
        if obj is not None and obj.is_active:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        # BookingForm wrote the notes while validating.
        pass

    @admin.display(description=_("start (company time)"), ordering="start")
    def start_local(self, obj: Booking) -> str:
        return local_datetime(obj.start, obj.company.zone)

    @admin.display(description=_("end (company time)"), ordering="end")
    def end_local(self, obj: Booking) -> str:
        return local_datetime(obj.end, obj.company.zone)

    @admin.display(description=_("time held (buffers included)"))
    def blocked_range(self, obj: Booking) -> str:
        zone = obj.company.zone
        return (
            f"{local_datetime(obj.blocked_start, zone)} – {local_datetime(obj.blocked_end, zone)}"
        )

    @admin.display(description=_("changes"))
    def audit_history(self, obj: Booking) -> str:
        entries = booking_history(obj)
        if not entries:
            return "-"
        zone = obj.company.zone
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{}: {} ({})</li>",
                ((local_datetime(e.at, zone), action_label(e), who_label(e)) for e in entries),
            ),
        )

    @admin.display(description=_("customer"), ordering="last_name")
    def customer_name(self, obj: Booking) -> str:
        return f"{obj.first_name} {obj.last_name}"

    def _apply(self, request, queryset, change: Callable[[Booking], object], done) -> None:
        """Run a domain change on each booking; report each refusal, then the count done."""
        count = 0
        for booking in queryset:
            try:
                change(booking)
            except DomainError as exc:
                who = f"{booking.first_name} {booking.last_name}"
                when = local_datetime(booking.start, booking.company.zone)
                self.message_user(request, f"{who}, {when}: {exc.message}", messages.ERROR)
            else:
                count += 1
        if count:
            self.message_user(request, done % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Confirm selected requests"), permissions=["change"])
    def confirm_requests(self, request, queryset):
        self._apply(
            request,
            queryset,
            lambda b: booking_confirm(booking=b),
            ngettext_lazy("%(count)d booking confirmed.", "%(count)d bookings confirmed.", "count"),
        )

    @admin.action(description=_("Decline selected requests"), permissions=["change"])
    def decline_requests(self, request, queryset):
        self._apply(
            request,
            queryset,
            lambda b: booking_decline(booking=b),
            ngettext_lazy("%(count)d request declined.", "%(count)d requests declined.", "count"),
        )

    @admin.action(description=_("Cancel selected bookings"), permissions=["change"])
    def cancel_bookings(self, request, queryset):
        self._apply(
            request,
            queryset,
            lambda b: booking_cancel(booking=b, actor=STAFF),
            ngettext_lazy("%(count)d booking cancelled.", "%(count)d bookings cancelled.", "count"),
        )

    @admin.action(description=_("Record payment received"), permissions=["change"])
    def record_payment(self, request, queryset):
        self._apply(
            request,
            queryset,
            lambda b: booking_record_payment(booking=b, status=PaymentStatus.PAID),
            ngettext_lazy(
                "Payment recorded for %(count)d booking.",
                "Payment recorded for %(count)d bookings.",
                "count",
            ),
        )

    @admin.action(description=_("Mark selected bookings as completed"), permissions=["change"])
    def mark_completed(self, request, queryset):
        self._apply(
            request,
            queryset,
            lambda b: booking_mark_outcome(booking=b, status=BookingStatus.COMPLETED),
            ngettext_lazy(
                "%(count)d booking marked completed.",
                "%(count)d bookings marked completed.",
                "count",
            ),
        )

    @admin.action(description=_("Mark selected bookings as no-show"), permissions=["change"])
    def mark_no_show(self, request, queryset):
        self._apply(
            request,
            queryset,
            lambda b: booking_mark_outcome(booking=b, status=BookingStatus.NO_SHOW),
            ngettext_lazy(
                "%(count)d booking marked as no-show.",
                "%(count)d bookings marked as no-show.",
                "count",
            ),
        )


# -- class sessions ----------------------------------------------------------------------

SESSION_FIELDS = ("service", "staff", "location", "resource", "start", "end", "capacity", "online")


class ClassSessionForm(CompanyScopedForm, DomainForm):
    """Scheduled and changed by session_create / session_update, which check the kind,
    the times, the capacity against the seats taken, and that staff and resource are free."""

    company_scoped_fields = ("service", "staff", "location", "resource")

    class Meta:
        model = ClassSession
        fields = ("company", *SESSION_FIELDS)

    def domain_write(self) -> ClassSession:
        fields = SessionFields(**self.domain_values(SESSION_FIELDS))
        if self.instance.pk is None:
            return session_create(company=self.cleaned_data["company"], fields=fields)
        return session_update(session=self.instance, fields=fields)


@admin.register(ClassSession)
class ClassSessionAdmin(CompanyFixedAdmin, DomainAdmin):
    """A session is cancelled only by the "Cancel" action (session_cancel: its bookings,
    emails, meeting and refunds with it), never by ticking a box; moving one moves its
    bookings (session_update)."""

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
        return super().get_queryset(request).annotate(seats_taken_count=seats_taken_subquery())

    def get_readonly_fields(self, request, obj=None):
        readonly = (
            *super().get_readonly_fields(request, obj),
            "seats_taken",
            "cancelled",
            "cancelled_at",
        )
        if obj is not None:
            # The bookings were made for this class.
            readonly += ("service",)
        return readonly

    def domain_delete(self, obj: ClassSession) -> None:
        session_delete(session=obj)

    @admin.display(description=_("seats taken"), ordering="seats_taken_count")
    def seats_taken(self, obj: ClassSession) -> int:
        return getattr(obj, "seats_taken_count", 0)

    @admin.display(description=_("start (company time)"), ordering="start")
    def start_local(self, obj: ClassSession) -> str:
        return local_datetime(obj.start, obj.company.zone)

    @admin.display(description=_("end (company time)"), ordering="end")
    def end_local(self, obj: ClassSession) -> str:
        return local_datetime(obj.end, obj.company.zone)

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


@admin.register(SignInLink)
class SignInLinkAdmin(admin.ModelAdmin):
    """Who asked for a My bookings link, and whether it was used. The nonce's hash is
    left out: it is no use to a person. Deleting a row ends its link."""

    list_display = ("email", "company", "created_at", "expires_at", "used_at")
    list_filter = ("company",)
    search_fields = ("email",)
    exclude = ("nonce_hash",)
    readonly_fields = ("company", "email", "created_at", "expires_at", "used_at")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
