"""Admin: the outbox (state, attempts, last error, resend), the template editor with a
preview, notification settings, reminders, and staff calendar feeds.

Every write goes through notifications.domain (core.admin_forms):

| page | writes through |
| --- | --- |
| outbox | read-only; "Resend" is outbox_resend, deleting a sent or failed row outbox_delete |
| message templates | template_save (add), template_update (change), template_delete: an unknown `[variable]`, or one not meant for the event's recipient (the host's join link in a customer's email), is refused there |
| notification settings | notification_settings_save, notification_settings_delete |
| staff calendar feeds | staff_feed_issue (add, "new URL"), staff_feed_revoke (delete) |
| reminders, calendar sequences | read-only bookkeeping of the domain: never changed or deleted here |
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from rendezvous.companies.admin import CompanyFixedAdmin, CompanyScopedForm
from rendezvous.core.admin_forms import DomainAdmin, DomainForm

from .defaults import default_template
from .domain import (
    NotificationSettingsFields,
    notification_settings_delete,
    notification_settings_save,
    outbox_delete,
    outbox_resend,
    staff_feed_issue,
    staff_feed_revoke,
    template_delete,
    template_preview,
    template_save,
    template_update,
)
from .links import feed_url
from .models import (
    CalendarSequence,
    MessageTemplate,
    NotificationSettings,
    OutboxMessage,
    OutboxState,
    ScheduledReminder,
    StaffCalendarFeed,
)
from .variables import allowed_variables


def _preview_frame(html: str):
    # The preview is our escaped rendering; a sandboxed frame keeps its styles apart.
    return format_html(
        '<iframe sandbox="" srcdoc="{}" style="width:100%;min-height:22em;border:1px solid #ccc">'
        "</iframe>",
        html,
    )


@admin.register(OutboxMessage)
class OutboxMessageAdmin(DomainAdmin):
    list_display = (
        "created_at",
        "event",
        "to_email",
        "language",
        "state",
        "attempts",
        "next_attempt_at",
        "error_excerpt",
    )
    list_filter = ("state", "event", "language", "company")
    search_fields = ("to_email", "subject", "message_id")
    list_select_related = ("company",)
    date_hierarchy = "created_at"
    actions = ("resend",)
    change_form_template = "admin/notifications/outboxmessage/change_form.html"
    fields = (
        "company",
        "booking",
        "event",
        "state",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
        "to_email",
        "to_name",
        "language",
        "message_id",
        "subject",
        "html_preview",
        "body_text",
        "calendar_method",
        "calendar",
        "created_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # Only delivered or given-up messages, and only for whom Django's permissions
        # allow it (the site itself lets superusers alone in).
        return (
            obj is not None
            and obj.state in (OutboxState.SENT, OutboxState.FAILED)
            and super().has_delete_permission(request, obj)
        )

    def domain_delete(self, obj: OutboxMessage) -> None:
        outbox_delete(message=obj)

    @admin.display(description=_("last error"))
    def error_excerpt(self, obj: OutboxMessage) -> str:
        return obj.last_error[:80]

    @admin.display(description=_("HTML"))
    def html_preview(self, obj: OutboxMessage):
        return _preview_frame(obj.body_html)

    @admin.action(description=_("Send the selected messages again"))
    def resend(self, request, queryset):
        for message in queryset:
            outbox_resend(message=message)
        messages.success(request, _("%(n)d message(s) queued again.") % {"n": queryset.count()})

    def get_urls(self):
        return [
            path(
                "<uuid:pk>/resend/",
                self.admin_site.admin_view(require_POST(self.resend_view)),
                name="notifications_outboxmessage_resend",
            ),
            *super().get_urls(),
        ]

    def resend_view(self, request, pk):
        message = get_object_or_404(OutboxMessage, pk=pk)
        if not self.has_change_permission(request, message):
            return HttpResponseRedirect(reverse("admin:index"))
        row = outbox_resend(message=message)
        messages.success(request, _("The message is queued again."))
        return HttpResponseRedirect(
            reverse("admin:notifications_outboxmessage_change", args=[row.pk])
        )


class MessageTemplateForm(CompanyScopedForm, DomainForm):
    company_scoped_fields = ("service", "staff")
    language = forms.ChoiceField(label=_("language"), choices=settings.LANGUAGES)

    class Meta:
        model = MessageTemplate
        fields = ("company", "event", "language", "service", "staff", "subject", "body")
        widgets = {"body": forms.Textarea(attrs={"rows": 18, "cols": 90})}

    def domain_write(self) -> MessageTemplate:
        data = self.cleaned_data
        text = {name: data[name] for name in ("event", "language", "subject", "body")}
        if self.instance.pk is None:
            return template_save(
                company=data["company"],
                service=data.get("service"),
                staff=data.get("staff"),
                **text,
            )
        return template_update(
            template=self.instance, service=data.get("service"), staff=data.get("staff"), **text
        )


@admin.register(MessageTemplate)
class MessageTemplateAdmin(CompanyFixedAdmin, DomainAdmin):
    """Flexible notifications: a template may apply to one service, one staff member or
    both; the most specific one wins. Empty scope = every booking of the company."""

    form = MessageTemplateForm
    list_display = ("event", "language", "service", "staff", "subject", "company", "updated_at")
    list_filter = ("event", "language", "company")
    search_fields = ("subject", "body")
    list_select_related = ("company", "service", "staff")
    readonly_fields = ("variables", "preview", "default_wording")
    fieldsets = (
        (None, {"fields": ("company", "event", "language", "service", "staff")}),
        (_("Text"), {"fields": ("subject", "body", "variables")}),
        (_("Preview with sample data"), {"fields": ("preview", "default_wording")}),
    )

    def domain_delete(self, obj: MessageTemplate) -> None:
        template_delete(template=obj)

    @admin.display(description=_("variables"))
    def variables(self, obj: MessageTemplate | None):
        event = obj.event if obj and obj.pk else ""
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li><code>[{}]</code> {}</li>",
                ((v.name, v.help) for v in allowed_variables(event)),
            ),
        )

    @admin.display(description=_("preview"))
    def preview(self, obj: MessageTemplate | None):
        if obj is None or not obj.pk:
            return _("Save to see a preview.")
        rendered = template_preview(
            company=obj.company,
            event=obj.event,
            language=obj.language,
            subject=obj.subject,
            body=obj.body,
        )
        return format_html(
            "<p><strong>{}</strong></p>{}", rendered.subject, _preview_frame(rendered.html)
        )

    @admin.display(description=_("built-in wording"))
    def default_wording(self, obj: MessageTemplate | None):
        if obj is None or not obj.pk:
            return ""
        subject, body = default_template(obj.event, obj.language)
        return format_html("<p><strong>{}</strong></p><pre>{}</pre>", subject, body)


SETTINGS_FIELDS = ("reminder_offsets_minutes", "reply_to", "notify_staff")


class NotificationSettingsForm(CompanyScopedForm, DomainForm):
    class Meta:
        model = NotificationSettings
        fields = ("company", *SETTINGS_FIELDS)

    def domain_write(self) -> NotificationSettings:
        company = self.form_company()
        assert company is not None  # a required field on "add", read-only after
        return notification_settings_save(
            company=company,
            fields=NotificationSettingsFields(**self.domain_values(SETTINGS_FIELDS)),
        )


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(CompanyFixedAdmin, DomainAdmin):
    form = NotificationSettingsForm
    list_display = ("company", "reminder_offsets_minutes", "reply_to", "notify_staff")
    search_fields = ("company__name",)
    list_select_related = ("company",)

    def domain_delete(self, obj: NotificationSettings) -> None:
        notification_settings_delete(settings=obj)


@admin.register(ScheduledReminder)
class ScheduledReminderAdmin(admin.ModelAdmin):
    list_display = ("booking", "offset_minutes", "booking_start", "due_at", "sent_at")
    list_filter = ("offset_minutes",)
    search_fields = ("booking__email", "booking__last_name")
    list_select_related = ("booking__service",)
    readonly_fields = ("booking", "offset_minutes", "booking_start", "due_at", "sent_at")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # Reminders follow their booking (reminders_schedule): a row removed here
        # would silently drop a customer's reminder.
        return False


@admin.register(CalendarSequence)
class CalendarSequenceAdmin(admin.ModelAdmin):
    list_display = ("booking", "sequence")
    search_fields = ("booking__email",)
    readonly_fields = ("booking", "sequence")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # A calendar ignores an update whose SEQUENCE is not higher than the last one.
        return False


class StaffCalendarFeedForm(forms.ModelForm):
    class Meta:
        model = StaffCalendarFeed
        fields = ("staff",)


@admin.register(StaffCalendarFeed)
class StaffCalendarFeedAdmin(DomainAdmin):
    """Adding a feed (or "new URL") shows its private URL once; only a hash is kept."""

    form = StaffCalendarFeedForm
    list_display = ("staff", "created_at")
    search_fields = ("staff__name", "staff__email")
    list_select_related = ("staff",)
    autocomplete_fields = ("staff",)
    actions = ("new_url",)

    def get_readonly_fields(self, request, obj=None):
        return ("staff", "created_at") if obj else ()

    def save_model(self, request, obj, form, change):
        token = staff_feed_issue(staff=obj.staff)
        obj.pk = StaffCalendarFeed.objects.get(staff=obj.staff).pk
        self._show(request, obj.staff, token)

    def domain_delete(self, obj: StaffCalendarFeed) -> None:
        staff_feed_revoke(staff=obj.staff)

    def _show(self, request, staff, token: str) -> None:
        messages.warning(
            request,
            _("Private calendar URL for %(staff)s (shown only now): %(url)s")
            % {"staff": staff, "url": feed_url(token)},
        )

    @admin.action(description=_("Issue a new URL (the old one stops working)"))
    def new_url(self, request, queryset):
        for feed in queryset.select_related("staff"):
            self._show(request, feed.staff, staff_feed_issue(staff=feed.staff))
