"""Connect a meeting account by signing in to its provider (meetings.domain.oauth_connect).

| view | method | answer |
| --- | --- | --- |
| `/meetings/oauth/<provider>/connect/<account id>/` | POST (the admin's Connect button, CSRF) | 302 to the provider's sign-in; 403 without the right to connect it (access_meeting_connect); 404 for an unknown account; back to the account with a message when it cannot connect |
| `/meetings/oauth/<provider>/callback/` | GET (the provider's redirect) | back where the connect started (the account's admin page, or the page the back office put in the session with `connect_begin`) with "connected as ..." or why not; to the account list (the back office's start page for a user without the admin) when the state itself is bad |

The back office starts the same flow from its own pages (`connect_begin`), so the
callback asks for a signed-in user, not for the admin's staff flag.

The callback writes nothing unless the state is valid, unused and the caller's own, the
user may still change the company's settings, and the provider's code turns into
tokens. Messages never carry a code, a token or a secret.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseForbidden, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from rendezvous.companies.access import access_meeting_connect
from rendezvous.core.errors import Forbidden

from .domain.oauth_connect import (
    ConnectError,
    ConnectStart,
    oauth_connect_finish,
    oauth_connect_start,
    oauth_state_read,
    oauth_state_spend,
)
from .models import MeetingAccount
from .providers.oauth import safe_code

_SESSION_KEY = "meetings.oauth.{}"
_BACK_KEY = "meetings.oauth.back.{}"


def _account_page(account_id: int) -> str:
    return reverse("admin:meetings_meetingaccount_change", args=[account_id])


def _account_list(user) -> str:
    """Where a callback without a usable state ends: the admin's account list, or for
    someone who works in the back office only, its start page."""
    if user.is_staff:
        return reverse("admin:meetings_meetingaccount_changelist")
    return resolve_url(settings.LOGIN_REDIRECT_URL)


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
        access_meeting_connect(request.user, account.company, account.staff_id)
    except Forbidden:
        return HttpResponseForbidden(_("You are not allowed to do this."))
    try:
        start = connect_begin(request, account, back="")
    except ConnectError as exc:
        messages.error(request, exc.message)
        return HttpResponseRedirect(_account_page(account.pk))
    return HttpResponseRedirect(start.url)


def connect_begin(request, account: MeetingAccount, *, back: str) -> ConnectStart:
    """Start signing in to the account's provider for `request.user`, who was allowed to
    (access_meeting_connect): the PKCE verifier, and the page to come back to (`back`, a
    path of ours; empty: the account's admin page), kept in the session under the
    state's nonce. Raises ConnectError."""
    start = oauth_connect_start(account=account, user_id=request.user.pk)
    request.session[_SESSION_KEY.format(start.nonce)] = start.verifier
    if back:
        request.session[_BACK_KEY.format(start.nonce)] = back
    return start


@never_cache
@require_GET
@login_required(login_url="admin:login")
def callback(request, provider: str):
    try:
        state = oauth_state_read(state=request.GET.get("state", ""), provider=provider)
    except ConnectError as exc:
        messages.error(request, exc.message)
        return HttpResponseRedirect(_account_list(request.user))
    if state.get("u") != request.user.pk:
        messages.error(request, _("This sign-in was started by another user."))
        return HttpResponseRedirect(_account_list(request.user))
    verifier = request.session.pop(_SESSION_KEY.format(state["n"]), None)
    # Only a path a connect view of ours put in the session: never one from the request.
    back_to = request.session.pop(_BACK_KEY.format(state["n"]), None)
    if not oauth_state_spend(state["n"]) or not verifier:
        messages.error(
            request, _("This sign-in answer was already used. Start again with Connect.")
        )
        return HttpResponseRedirect(_account_list(request.user))
    account = MeetingAccount.objects.select_related("company").filter(pk=state["a"]).first()
    if account is None:
        raise Http404
    try:
        access_meeting_connect(request.user, account.company, account.staff_id)
    except Forbidden:
        messages.error(request, _("You are not allowed to do this."))
        return HttpResponseRedirect(_account_list(request.user))
    back = HttpResponseRedirect(back_to or _account_page(account.pk))
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
