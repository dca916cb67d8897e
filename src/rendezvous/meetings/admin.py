"""Admin for meeting accounts and meetings.

Accounts (static room links, Jitsi settings, OAuth apps) are written through
meeting_account_create / meeting_account_update / meeting_account_delete
(core.admin_forms); the secret is a password field that is never shown back (nor put
in the form's initial data), kept when left empty, and OAuth tokens are not shown at all. An
OAuth account (teams, google_meet, a Zoom OAuth app) shows its connection (connected as
whom, since when, or "needs reconnecting") and a Connect button that posts the change
form, CSRF token included, to meetings.oauth_views.connect.

A meeting's state changes only through meetings.domain: the form takes a *new* link,
instructions and a password (the `manual` provider) and hands them to meeting_set_link,
or, without a new link, the instructions and password to meeting_set_details; a refusal
shows on the form. The host link (Zoom's start URL) is taken but never shown, not
even as the field's initial value. Meetings and join tokens are never deleted here:
they go with their booking or session, and are revoked by the domain. The link column
comes from the reveal rule (meeting_view, as an admin): our host join link, never the
provider's URL.
"""

from django import forms
from django.contrib import admin
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from rendezvous.companies.access import Actor
from rendezvous.companies.admin import CompanyFixedAdmin, local_datetime
from rendezvous.companies.models import Role
from rendezvous.core.admin_forms import DomainAdmin, DomainForm
from rendezvous.core.errors import DomainError

from .admin_report import report_view
from .domain import (
    MeetingAccountFields,
    meeting_account_create,
    meeting_account_delete,
    meeting_account_update,
    meeting_set_details,
    meeting_set_link,
    meeting_view,
)
from .domain.lifecycle import PASSWORD_MAX
from .domain.oauth_connect import oauth_provider
from .models import JoinToken, Meeting, MeetingAccount
from .providers import REGISTRY


class NewSecretField(forms.CharField):
    """Empty means "keep the current secret", so only a typed one is a change."""

    def has_changed(self, initial, data) -> bool:
        return bool(data)


ACCOUNT_FIELDS = ("staff", "provider", "active", "url", "app_id", "tenant")


class MeetingAccountForm(DomainForm):
    provider = forms.ChoiceField(label=_("provider"), choices=[(n, n) for n in REGISTRY])
    secret = NewSecretField(
        label=_("secret"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to keep the current secret."),
    )

    class Meta:
        model = MeetingAccount
        fields = ["company", "staff", "provider", "active", "url", "app_id", "secret", "tenant"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The decrypted secret has no business in the page's form, even unrendered.
        self.initial.pop("secret", None)

    def domain_write(self) -> MeetingAccount:
        values = self.domain_values(ACCOUNT_FIELDS)
        if self.cleaned_data.get("secret"):
            values["secret"] = self.cleaned_data["secret"]
        fields = MeetingAccountFields(**values)
        if self.instance.pk is None:
            return meeting_account_create(company=self.cleaned_data["company"], fields=fields)
        return meeting_account_update(account=self.instance, fields=fields)


@admin.register(MeetingAccount)
class MeetingAccountAdmin(CompanyFixedAdmin, DomainAdmin):
    form = MeetingAccountForm
    list_display = ["__str__", "company", "staff", "provider", "active", "connection_state"]
    list_filter = ["provider", "active", "needs_reconnect"]
    readonly_fields = ["connection"]

    def domain_delete(self, obj: MeetingAccount) -> None:
        meeting_account_delete(account=obj)

    @admin.display(description=_("connection"))
    def connection_state(self, obj):
        if oauth_provider(obj) is None:
            return "-"
        if obj.needs_reconnect:
            return _("needs reconnecting")
        if obj.refresh_token:
            return obj.connected_as or _("connected")
        return _("not connected")

    @admin.display(description=_("connection"))
    def connection(self, obj):
        if obj is None or obj.pk is None:
            return _("Save the account first, then connect it.")
        if oauth_provider(obj) is None:
            return _("This provider needs no sign-in.")
        if obj.needs_reconnect:
            status = _("Needs reconnecting: the provider no longer accepts the connection.")
        elif obj.refresh_token and obj.connected_as:
            status = _("Connected as %(who)s since %(when)s.") % {
                "who": obj.connected_as,
                "when": local_datetime(obj.connected_at, obj.company.zone),
            }
        elif obj.refresh_token:
            status = _("Connected since %(when)s.") % {
                "when": local_datetime(obj.connected_at, obj.company.zone)
            }
        else:
            status = _("Not connected.")
        url = reverse("meetings:oauth_connect", args=[obj.provider, obj.pk])
        label = _("Reconnect") if obj.refresh_token or obj.needs_reconnect else _("Connect")
        # The button submits the change form (and its CSRF token) to the connect view:
        # a form inside the admin's form is not valid HTML.
        return format_html(
            '<span class="oauth-status">{}</span> '
            '<button type="submit" class="button" formaction="{}" formmethod="post" '
            "formnovalidate>{}</button>",
            status,
            url,
            label,
        )


class MeetingForm(DomainForm):
    new_url = forms.URLField(
        label=_("meeting link"),
        required=False,
        assume_scheme="https",
        help_text=_(
            "Type or paste the link (manual meetings). Customers see it only through their join page."
        ),
    )
    # Never filled in from the meeting: Zoom's start URL lets whoever has it run the
    # meeting as its host. A typed one replaces it (with a new link only).
    new_host_url = forms.URLField(label=_("host link"), required=False, assume_scheme="https")
    # Declared here: the encrypted column has no length, so the model would offer a textarea.
    password = forms.CharField(label=_("password"), required=False, max_length=PASSWORD_MAX)

    class Meta:
        model = Meeting
        fields = ["instructions", "password"]

    def domain_write(self) -> Meeting:
        data = self.cleaned_data
        try:
            if data.get("new_url"):
                return meeting_set_link(
                    meeting=self.instance,
                    url=data["new_url"],
                    host_url=data.get("new_host_url") or "",
                    instructions=data["instructions"],
                    password=data["password"],
                )
            return meeting_set_details(
                meeting=self.instance, instructions=data["instructions"], password=data["password"]
            )
        except DomainError as exc:
            # The domain names the link `url`; this form calls it `new_url`.
            renames = {"url": "new_url", "host_url": "new_host_url"}
            exc.fields = {renames.get(k, k): v for k, v in (exc.fields or {}).items()} or None
            raise


@admin.register(Meeting)
class MeetingAdmin(DomainAdmin):
    form = MeetingForm
    # The "Online meetings" report (meetings.admin_report) is linked from the list.
    change_list_template = "admin/meetings/meeting/change_list.html"

    def get_urls(self):
        report = self.admin_site.admin_view(
            lambda request: report_view(request, admin_site=self.admin_site)
        )
        return [path("report/", report, name="meetings_meeting_report"), *super().get_urls()]

    list_display = ["__str__", "company", "provider", "state", "when", "attempts"]
    list_filter = ["provider", "state"]
    readonly_fields = [
        "company",
        "booking",
        "session",
        "provider",
        "state",
        "when",
        "join_link",
        "attempts",
        "last_error",
    ]
    fields = [*readonly_fields, "new_url", "new_host_url", "instructions", "password"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("start"))
    def when(self, obj):
        return local_datetime(obj.start, obj.company.zone)

    @admin.display(description=_("join link"))
    def join_link(self, obj):
        actor = Actor(company=obj.company, role=Role.ADMIN, staff_id=None)
        view = meeting_view(booking=obj.booking, viewer=actor, now=timezone.now(), meeting=obj)
        if view is None or not view.join_url:
            return view.reason if view else ""
        return format_html('<a href="{}">{}</a>', view.join_url, _("host join page"))


@admin.register(JoinToken)
class JoinTokenAdmin(admin.ModelAdmin):
    """Read-only: tokens are issued and revoked by meetings.domain. The token itself is
    never stored; its hash is not shown either."""

    list_display = ["__str__", "role", "booking", "created_at", "revoked_at"]
    list_filter = ["role"]
    fields = ("meeting", "booking", "role", "created_at", "revoked_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
