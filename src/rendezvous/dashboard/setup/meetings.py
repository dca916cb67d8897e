"""Settings: online meetings (/office/settings/meetings/).

| screen | who | writes |
| --- | --- | --- |
| the page: the company switch and join window | admins (settings_view) | companies.domain.company_update |
| the default provider | admins | meetings.domain.meeting_default_set |
| the accounts: add, edit, delete, connect (OAuth), test | admins | meeting_account_create / _update / _delete; meetings.oauth_views.connect_begin; meeting_account_test (the provider's create and delete) |
| "meeting providers and meeting services": a staff member's provider | admins | meeting_staff_assign |
| "my video account" (`mine/`) | any member with a staff profile, for that profile only | connect_begin on their own account (access_meeting_connect) |

This page is the one home of the switch and the join window (the company page links
here); what is saved here is what the booking site, the emails and the API read. The
sign-in to Teams, Google or Zoom is the flow the admin uses (meetings.oauth_views): the
provider's answer comes back to its fixed callback, which returns here.
"""

from typing import Any

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rendezvous.catalog.models import Service
from rendezvous.companies import domain as companies
from rendezvous.companies.access import Actor, access_company_row, access_meeting_connect
from rendezvous.companies.models import StaffMember
from rendezvous.core.errors import DomainError
from rendezvous.meetings import domain as meetings
from rendezvous.meetings.domain.oauth_connect import ConnectError, oauth_provider
from rendezvous.meetings.models import MeetingAccount
from rendezvous.meetings.oauth_views import connect_begin
from rendezvous.meetings.providers import PROVIDER_NAMES

from ..refusals import form_errors
from ..views import office_view
from .business import _number, _tabs, settings_view

ACCOUNT_TEXTS = ("url", "app_id", "tenant")


def _connection(account: MeetingAccount) -> dict[str, Any]:
    """What the page says about an account's sign-in, and whether it offers Connect."""
    if oauth_provider(account) is None:
        return {"oauth": False, "state": "none", "label": _("No sign-in needed")}
    if account.needs_reconnect:
        return {"oauth": True, "state": "reconnect", "label": _("Needs reconnecting")}
    if account.refresh_token:
        label = (
            _("Connected as %(who)s") % {"who": account.connected_as}
            if account.connected_as
            else _("Connected")
        )
        return {"oauth": True, "state": "connected", "label": label}
    return {"oauth": True, "state": "unconnected", "label": _("Not connected")}


def _account_row(account: MeetingAccount) -> dict[str, Any]:
    return {
        "account": account,
        "name": PROVIDER_NAMES.get(account.provider, account.provider),
        **_connection(account),
    }


def _staff_rows(actor: Actor, assign_errors: dict | None, assign_form: dict | None) -> list:
    """One row per active staff member: their own active account (None: the company's
    default) and the online services they give."""
    # Newest first, so the oldest active one is kept: the one account_for picks.
    own = {
        a.staff_id: a
        for a in MeetingAccount.objects.filter(
            company=actor.company, staff__isnull=False, active=True
        ).order_by("-id")
    }
    services: dict[int, list[str]] = {}
    for service in Service.objects.filter(
        company=actor.company, online_meeting=True, active=True
    ).prefetch_related("staff"):
        for member in service.staff.all():
            services.setdefault(member.pk, []).append(service.local_name)
    rows = []
    for member in StaffMember.objects.filter(company=actor.company, active=True).order_by(
        "name", "pk"
    ):
        account = own.get(member.pk)
        sent = assign_form if assign_form and assign_form.get("staff") == member.pk else None
        zoom_user = ""
        if account is not None and account.provider == "zoom" and account.app_id.count(":") == 2:
            zoom_user = account.app_id.split(":", 2)[2]
        rows.append(
            {
                "member": member,
                "account": account,
                "connection": _connection(account) if account else None,
                "services": sorted(services.get(member.pk, [])),
                "provider": sent["provider"] if sent else getattr(account, "provider", ""),
                "url": sent["url"] if sent else getattr(account, "url", ""),
                "zoom_user": sent["zoom_user"] if sent else zoom_user,
                "errors": (assign_errors or {}) if sent else {},
            }
        )
    return rows


def _page(request, actor: Actor, **forms):
    company = actor.company
    accounts = list(
        MeetingAccount.objects.filter(company=company).select_related("staff").order_by("id")
    )
    company_accounts = [a for a in accounts if a.staff_id is None]
    default = next((a for a in company_accounts if a.active), None)
    failed = any(forms.get(name) for name in ("errors", "new_errors", "assign_errors"))
    errors = forms.get("errors") or {}
    return render(
        request,
        "dashboard/settings/meetings.html",
        {
            "company": company,
            "form": forms.get("form"),
            "errors": errors,
            "other_errors": [
                e for k, v in errors.items() if k not in ("join_window_minutes",) for e in v
            ],
            "default": default,
            "company_accounts": [_account_row(a) for a in company_accounts],
            "staff_accounts": [_account_row(a) for a in accounts if a.staff_id],
            "new": forms.get("new") or {"provider": "zoom"},
            "new_errors": forms.get("new_errors") or {},
            "staff_rows": _staff_rows(actor, forms.get("assign_errors"), forms.get("assign")),
            "providers": list(PROVIDER_NAMES.items()),
            **_tabs("meetings"),
        },
        status=422 if failed else 200,
    )


@settings_view
def meetings_settings(request, actor: Actor):
    if request.method != "POST":
        return _page(request, actor)
    form = {
        "online_meetings_enabled": request.POST.get("online_meetings_enabled") == "on",
        "join_window_minutes": request.POST.get("join_window_minutes", ""),
    }
    values = {**form, "join_window_minutes": _number(form["join_window_minutes"])}
    try:
        companies.company_update(company=actor.company, fields=companies.CompanyFields(**values))
    except DomainError as exc:
        return _page(request, actor, form=form, errors=form_errors(exc))
    messages.success(request, _("Saved."))
    return redirect("office:settings_meetings")


@settings_view
@require_POST
def meetings_default(request, actor: Actor):
    chosen = (request.POST.get("default") or "").strip()
    account = None
    if chosen:
        account = MeetingAccount.objects.filter(
            pk=int(chosen) if chosen.isdigit() else 0, company=actor.company
        ).first()
        if account is None:
            raise Http404()
    try:
        meetings.meeting_default_set(company=actor.company, account=account)
    except DomainError as exc:
        messages.error(request, exc.reason)
    else:
        messages.success(request, _("Saved: new online bookings use this provider."))
    return redirect("office:settings_meetings")


def _account_values(post) -> dict[str, Any]:
    values: dict[str, Any] = {name: post.get(name, "") for name in ACCOUNT_TEXTS}
    values["provider"] = post.get("provider", "")
    values["active"] = post.get("active") == "on"
    # An empty secret keeps the stored one: the page never shows it back.
    if post.get("secret"):
        values["secret"] = post["secret"]
    return values


@settings_view
@require_POST
def meetings_account_add(request, actor: Actor):
    values = {**_account_values(request.POST), "active": True, "staff": None}
    try:
        account = meetings.meeting_account_create(
            company=actor.company, fields=meetings.MeetingAccountFields(**values)
        )
    except DomainError as exc:
        shown = {k: v for k, v in values.items() if k != "secret"}
        return _page(request, actor, new=shown, new_errors=form_errors(exc))
    messages.success(
        request,
        _("The %(provider)s account is added.")
        % {"provider": PROVIDER_NAMES.get(account.provider, account.provider)},
    )
    return redirect("office:settings_meetings_account", account_id=account.pk)


def _account_page(request, actor: Actor, account: MeetingAccount, *, form=None, errors=None):
    return render(
        request,
        "dashboard/settings/meeting_account.html",
        {
            "row": _account_row(account),
            "account": account,
            "form": form,
            "errors": errors or {},
            "providers": list(PROVIDER_NAMES.items()),
            **_tabs("meetings"),
        },
        status=422 if errors else 200,
    )


@settings_view
def meetings_account(request, actor: Actor, account_id: int):
    account = access_company_row(actor, MeetingAccount, account_id)
    if request.method != "POST":
        return _account_page(request, actor, account)
    values = _account_values(request.POST)
    try:
        meetings.meeting_account_update(
            account=account, fields=meetings.MeetingAccountFields(**values)
        )
    except DomainError as exc:
        shown = {k: v for k, v in values.items() if k != "secret"}
        return _account_page(request, actor, account, form=shown, errors=form_errors(exc))
    messages.success(request, _("Saved."))
    return redirect("office:settings_meetings_account", account_id=account.pk)


def _connect(request, account: MeetingAccount, back: str):
    try:
        start = connect_begin(request, account, back=back)
    except ConnectError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    return redirect(start.url)


@settings_view
@require_POST
def meetings_account_action(request, actor: Actor, account_id: int, action: str):
    account = access_company_row(actor, MeetingAccount, account_id)
    page = reverse("office:settings_meetings_account", args=[account.pk])
    if action == "connect":
        return _connect(request, account, page)
    if action == "test":
        result = meetings.meeting_account_test(account=account)
        (messages.success if result.ok else messages.error)(request, result.message)
        return redirect(page)
    if action == "delete":
        if request.POST.get("confirm") != "delete":
            messages.error(request, _("Tick the box to confirm the deletion."))
            return redirect(page)
        try:
            meetings.meeting_account_delete(account=account)
        except DomainError as exc:
            messages.error(request, exc.reason)
            return redirect(page)
        messages.success(request, _("The account is deleted."))
        return redirect("office:settings_meetings")
    raise Http404()


@settings_view
@require_POST
def meetings_staff(request, actor: Actor, staff_id: int):
    member = access_company_row(actor, StaffMember, staff_id)
    form = {name: request.POST.get(name, "") for name in ("provider", "url", "zoom_user")}
    try:
        meetings.meeting_staff_assign(staff=member, fields=meetings.StaffMeetingFields(**form))
    except DomainError as exc:
        return _page(
            request, actor, assign={**form, "staff": member.pk}, assign_errors=form_errors(exc)
        )
    messages.success(
        request, _("Saved: %(name)s's new online bookings use this.") % {"name": member.name}
    )
    return redirect(f"{reverse('office:settings_meetings')}#staff-{member.pk}")


# -- a staff member's own account ------------------------------------------------------


def _own_account(actor: Actor) -> tuple[StaffMember, MeetingAccount | None]:
    """The signed-in member's staff profile and its active account; 404 without a profile."""
    if actor.staff_id is None:
        raise Http404()
    member = access_company_row(actor, StaffMember, actor.staff_id)
    account = MeetingAccount.objects.filter(staff=member, active=True).order_by("id").first()
    return member, account


@office_view
def meetings_mine(request, actor: Actor):
    member, account = _own_account(actor)
    default = meetings.account_for(actor.company, None)
    return render(
        request,
        "dashboard/settings/meetings_mine.html",
        {
            "member": member,
            "row": _account_row(account) if account else None,
            "default_name": PROVIDER_NAMES.get(default.provider, default.provider)
            if default
            else PROVIDER_NAMES["builtin"],
            "page": "settings",
        },
    )


@office_view
@require_POST
def meetings_mine_connect(request, actor: Actor):
    member, account = _own_account(actor)
    if account is None:
        raise Http404()
    access_meeting_connect(request.user, actor.company, account.staff_id)
    return _connect(request, account, reverse("office:settings_meetings_mine"))


urlpatterns: list = [
    path("", meetings_settings, name="settings_meetings"),
    path("default/", meetings_default, name="settings_meetings_default"),
    path("accounts/", meetings_account_add, name="settings_meetings_account_add"),
    path("accounts/<int:account_id>/", meetings_account, name="settings_meetings_account"),
    path(
        "accounts/<int:account_id>/<slug:action>/",
        meetings_account_action,
        name="settings_meetings_account_action",
    ),
    path("staff/<int:staff_id>/", meetings_staff, name="settings_meetings_staff"),
    path("mine/", meetings_mine, name="settings_meetings_mine"),
    path("mine/connect/", meetings_mine_connect, name="settings_meetings_mine_connect"),
]
