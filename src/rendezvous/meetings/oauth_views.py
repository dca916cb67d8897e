"""Connect a meeting account by signing in to its provider (meetings.domain.oauth_connect).

| view | method | answer |
| --- | --- | --- |
| `/meetings/oauth/<provider>/connect/<account id>/` | POST (the admin's Connect button, CSRF) | 302 to the provider's sign-in; 403 without the right to change the company's settings; 404 for an unknown account; back to the account with a message when it cannot connect |
| `/meetings/oauth/<provider>/callback/` | GET (the provider's redirect) | back to the account's admin page with "connected as ..." or why not; to the account list when the state itself is bad |

The callback writes nothing unless the state is valid, unused and the caller's own, the
user may still change the company's settings, and the provider's code turns into
tokens. Messages never carry a code, a token or a secret.
"""

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, HttpResponseForbidden, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from rendezvous.companies.access import access_settings
from rendezvous.core.errors import Forbidden

from .domain.oauth_connect import (
    ConnectError,
    oauth_connect_finish,
    oauth_connect_start,
    oauth_state_read,
    oauth_state_spend,
)
from .models import MeetingAccount
from .providers.oauth import safe_code

_SESSION_KEY = "meetings.oauth.{}"


def _account_page(account_id: int) -> str:
    return reverse("admin:meetings_meetingaccount_change", args=[account_id])


def _account_list() -> str:
    return reverse("admin:meetings_meetingaccount_changelist")


@never_cache
@require_POST
@staff_member_required
def connect(request, provider: str, account_id: int):
    account = (
        MeetingAccount.objects.select_related("company")
        .filter(pk=account_id, provider=provider)
        .first()
    )
    if account is None:
        raise Http404
    try:
        access_settings(request.user, account.company)
    except Forbidden:
        return HttpResponseForbidden(_("You are not allowed to do this."))
    try:
        start = oauth_connect_start(account=account, user_id=request.user.pk)
    except ConnectError as exc:
        messages.error(request, exc.message)
        return HttpResponseRedirect(_account_page(account.pk))
    request.session[_SESSION_KEY.format(start.nonce)] = start.verifier
    return HttpResponseRedirect(start.url)


@never_cache
@require_GET
@staff_member_required
def callback(request, provider: str):
    try:
        state = oauth_state_read(state=request.GET.get("state", ""), provider=provider)
    except ConnectError as exc:
        messages.error(request, exc.message)
        return HttpResponseRedirect(_account_list())
    if state.get("u") != request.user.pk:
        messages.error(request, _("This sign-in was started by another user."))
        return HttpResponseRedirect(_account_list())
    verifier = request.session.pop(_SESSION_KEY.format(state["n"]), None)
    if not oauth_state_spend(state["n"]) or not verifier:
        messages.error(
            request, _("This sign-in answer was already used. Start again with Connect.")
        )
        return HttpResponseRedirect(_account_list())
    account = MeetingAccount.objects.select_related("company").filter(pk=state["a"]).first()
    if account is None:
        raise Http404
    try:
        access_settings(request.user, account.company)
    except Forbidden:
        messages.error(request, _("You are not allowed to do this."))
        return HttpResponseRedirect(_account_list())
    back = HttpResponseRedirect(_account_page(account.pk))
    error = request.GET.get("error")
    if error or not request.GET.get("code"):
        messages.error(
            request,
            _("The provider did not connect the account (%(error)s).")
            % {"error": safe_code(error) or _("no code")},
        )
        return back
    try:
        connected = oauth_connect_finish(
            account_id=account.pk, code=request.GET["code"], verifier=verifier
        )
    except ConnectError as exc:
        messages.error(request, exc.message)
        return back
    if connected.account.connected_as:
        messages.success(
            request,
            _("The account is connected as %(who)s.") % {"who": connected.account.connected_as},
        )
    else:
        messages.success(request, _("The account is connected."))
    if connected.retried:
        messages.info(
            request,
            ngettext(
                "%(count)d video meeting that could not be created is being created now.",
                "%(count)d video meetings that could not be created are being created now.",
                connected.retried,
            )
            % {"count": connected.retried},
        )
    return back
