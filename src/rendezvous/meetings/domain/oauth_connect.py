"""Connecting a meeting account by signing in to the provider (OAuth authorization code).

| step | where | what is checked or kept |
| --- | --- | --- |
| 1. connect | admin "Connect" button, POST with CSRF (meetings.oauth_views) | the user may change the company's settings; the account is an OAuth provider with a client id and secret |
| 2. redirect | `oauth_connect_start` | `state` = signed (core.tokens.oauth_state) {account, user, nonce, provider}, valid OAUTH_STATE_MAX_AGE; the PKCE verifier stays in the user's session under the nonce; redirect URI fixed from RENDEZVOUS_BASE_URL |
| 3. callback | `oauth_state_read`, `oauth_state_spend` | signature, age, provider; the same user; single use (an atomic `cache.add` on the nonce, and the session's verifier is popped) |
| 4. tokens | `oauth_connect_finish` | the code exchanged with the verifier (network, outside any transaction); the provider's identity check (Teams refuses personal accounts); a refresh token present; then, under the row lock, the tokens written encrypted |

Nothing is written before step 4 succeeds: a refused, expired, reused or foreign
state, a provider error (`error=access_denied`) or a refused code leaves the account
as it was.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, cast

from django.core import signing
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rendezvous.core import tokens

from ..models import MeetingAccount
from ..providers import ProviderError, get_provider
from ..providers.oauth import (
    AccountRefused,
    OAuthClient,
    TokenAnswer,
    exchange_code,
    new_pkce,
    store_tokens,
)
from ..providers.oauth import authorization_url as build_authorization_url
from .lifecycle import meeting_retry_failed

_SPENT_TTL = tokens.OAUTH_STATE_MAX_AGE * 2


class ConnectError(Exception):
    """A refusal to show the person connecting (translated, never a secret)."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class ConnectStart:
    url: str
    nonce: str
    verifier: str


class OAuthConnectable(Protocol):
    """What a provider connected by signing in has (Teams, Google Meet, Zoom's OAuth app)."""

    def oauth_client(self) -> OAuthClient: ...

    def oauth_identity(self, answer: TokenAnswer) -> str: ...


def oauth_provider(account: MeetingAccount) -> OAuthConnectable | None:
    """The account's provider when it connects through OAuth, else None."""
    try:
        provider = get_provider(account.provider, account)
    except ProviderError:
        return None
    if not callable(getattr(provider, "oauth_client", None)):
        return None
    uses_oauth = getattr(provider, "uses_oauth", None)
    if uses_oauth is not None and not uses_oauth():
        return None
    # Every provider with an oauth_client has an oauth_identity too (teams, google_meet, zoom).
    return cast("OAuthConnectable", provider)


def oauth_connect_start(*, account: MeetingAccount, user_id: int) -> ConnectStart:
    """Where to send the browser. Writes nothing (the caller keeps the verifier in the
    session). Raises ConnectError when the account cannot be connected."""
    provider = oauth_provider(account)
    if provider is None:
        raise ConnectError(_("This meeting account does not connect by signing in."))
    try:
        client = provider.oauth_client()
    except ProviderError:
        raise ConnectError(
            _("Fill in the app (client) id and the secret, save, then connect.")
        ) from None
    nonce = secrets.token_urlsafe(16)
    state = tokens.oauth_state({"a": account.pk, "u": user_id, "n": nonce, "p": account.provider})
    verifier, challenge = new_pkce()
    url = build_authorization_url(client, state=state, code_challenge=challenge)
    return ConnectStart(url=url, nonce=nonce, verifier=verifier)


def oauth_state_read(*, state: str, provider: str) -> dict:
    """The state's content; ConnectError when it is forged, expired or for another provider."""
    try:
        data = tokens.oauth_state_read(state)
    except signing.SignatureExpired:
        raise ConnectError(_("The sign-in took too long. Start again with Connect.")) from None
    except signing.BadSignature:
        raise ConnectError(_("This sign-in answer is not valid.")) from None
    if not isinstance(data, dict) or data.get("p") != provider or not data.get("n"):
        raise ConnectError(_("This sign-in answer is not valid."))
    return data


def oauth_state_spend(nonce: str) -> bool:
    """True the first time a state's nonce is used, False ever after (atomic)."""
    return cache.add(f"meetings:oauth:state:{nonce}", 1, timeout=_SPENT_TTL)


@dataclass(frozen=True)
class Connected:
    account: MeetingAccount
    retried: int  # failed meetings created again now that the account works


def oauth_connect_finish(
    *, account_id: int, code: str, verifier: str, now: datetime | None = None
) -> Connected:
    """Exchange the code and store the connection.

    Side effects, in order:
    1. network: the provider's token endpoint (authorization_code + PKCE verifier)
    2. validate: the provider's identity rules (a personal Microsoft account is refused),
       a refresh token present
    3. lock: the account row
    4. write: access and refresh token (encrypted), expiry, who connected, when;
       `needs_reconnect` cleared; the account's failed meetings that have not ended
       start over (meeting_retry_failed: created after commit)
    Raises ConnectError (nothing written).
    """
    account = MeetingAccount.objects.filter(pk=account_id).first()
    provider = oauth_provider(account) if account is not None else None
    if provider is None:
        raise ConnectError(_("This meeting account does not connect by signing in."))
    try:
        answer = exchange_code(provider.oauth_client(), code=code, code_verifier=verifier)
        who = provider.oauth_identity(answer)
    except AccountRefused as exc:
        raise ConnectError(exc.args[0]) from None
    except ProviderError as exc:
        raise ConnectError(
            _("The provider did not accept the sign-in (%(detail)s). Try again.")
            % {"detail": str(exc)}
        ) from None
    if not answer.refresh_token:
        raise ConnectError(
            _(
                "The provider granted no offline access (no refresh token). Connect again "
                "and allow access when asked."
            )
        )
    now = now or timezone.now()
    with transaction.atomic():
        locked = MeetingAccount.objects.select_for_update().get(pk=account_id)
        store_tokens(locked, answer, now=now)
        locked.connected_as = who
        locked.connected_at = now
        locked.save(update_fields=["connected_as", "connected_at"])
        retried = meeting_retry_failed(account=locked, now=now)
    return Connected(account=locked, retried=retried)
