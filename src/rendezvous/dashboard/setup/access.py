"""Settings: users and API tokens (/office/settings/access/).

The company's members with their role, staff profile and last sign-in (invitations
are sent from a staff member's page in the team settings), and its staff API tokens.
A token made here belongs to no user: the "technical user" of an integration, acting
with the role it is given until it is revoked or expires (companies.access). Tokens
are issued and revoked by companies.domain, as the admin and `rendezvous
issue_token` do. The secret is shown once, on the page the creation redirects to: it
waits in the session (server-side) and is taken out as it is shown. Admins only.
"""

from typing import Any

from django.contrib import messages
from django.db.models import Case, IntegerField, Value, When
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rendezvous.companies import domain as companies
from rendezvous.companies.access import Actor, access_company_row
from rendezvous.companies.models import ApiToken, Membership, Role, StaffMember
from rendezvous.core.errors import DomainError

from ..refusals import form_errors
from ..views import aware_start
from .business import settings_view

NEW_SECRET = "office_new_api_token"
FIELDS = ("name", "role", "staff", "expires_at")


def _token_values(form, actor: Actor) -> dict[str, Any]:
    """The form as api_token_issue takes it; text that is not a date and time goes on
    as it is, for the domain to refuse with its own message."""
    expires_text = form.get("expires_at", "").strip()
    expires: Any = None
    if expires_text:
        expires = aware_start(expires_text, actor.company.zone) or expires_text
    return {
        "name": form.get("name", ""),
        "role": form.get("role", ""),
        "staff": form.get("staff", "").strip() or None,
        "expires_at": expires,
    }


def _token_row(token: ApiToken, now) -> dict[str, Any]:
    expired = token.expires_at is not None and token.expires_at <= now
    status = _("Revoked") if token.revoked else _("Expired") if expired else _("Active")
    return {"token": token, "status": status, "active": not (token.revoked or expired)}


def _page(request, actor: Actor, *, form=None, errors=None):
    company = actor.company
    now = timezone.now()
    shown = request.session.pop(NEW_SECRET, None)
    new_secret = shown if shown and shown.get("company") == company.pk else None
    tokens = list(
        ApiToken.objects.filter(company=company)
        .select_related("staff", "user")
        .order_by("revoked", "-pk")
    )
    rank = Case(
        *(When(role=role, then=Value(n)) for n, role in enumerate(Role.values)),
        output_field=IntegerField(),
    )
    members = list(
        Membership.objects.filter(company=company)
        .select_related("user", "staff")
        .order_by(rank, "user__email", "pk")
    )
    errors = errors or {}
    return render(
        request,
        "dashboard/settings/access.html",
        {
            "tokens": [_token_row(t, now) for t in tokens],
            "new_secret": new_secret,
            "members": members,
            "roles": Role.choices,
            "staff_choices": list(
                StaffMember.objects.filter(company=company, active=True).order_by("name", "pk")
            ),
            "form": form or {"role": Role.SENIOR},
            "errors": errors,
            "other_errors": [e for k, v in errors.items() if k not in FIELDS for e in v],
            "settings_tab": "access",
            "page": "settings",
        },
        status=422 if errors else 200,
    )


@settings_view
def access_page(request, actor: Actor):
    """The users and the tokens; a POST issues a token."""
    if request.method != "POST":
        return _page(request, actor)
    try:
        token, secret = companies.api_token_issue(
            company=actor.company,
            fields=companies.ApiTokenFields(**_token_values(request.POST, actor)),
        )
    except DomainError as exc:
        return _page(request, actor, form=request.POST, errors=form_errors(exc))
    request.session[NEW_SECRET] = {
        "company": actor.company.pk,
        "token": token.pk,
        "name": token.name,
        "secret": secret,
    }
    return redirect("office:settings_access")


@settings_view
@require_POST
def token_revoke(request, actor: Actor, token_id: int):
    token = access_company_row(actor, ApiToken, token_id)
    try:
        companies.api_token_revoke(token=token)
    except DomainError as exc:
        messages.error(request, exc.reason)
    else:
        messages.success(
            request, _("“%(name)s” is revoked: it no longer answers.") % {"name": token.name}
        )
    return redirect("office:settings_access")


urlpatterns: list = [
    path("", access_page, name="settings_access"),
    path("tokens/<int:token_id>/revoke/", token_revoke, name="settings_token_revoke"),
]
