"""OAuth 2.0 for the providers a business connects by signing in: Microsoft Teams,
Google Meet and Zoom's OAuth app (docs/providers.md).

| piece | what it does |
| --- | --- |
| `OAuthClient` | one provider's endpoints, scopes and client credentials, from the account (`Provider.oauth_client`) |
| `authorization_url` | the browser redirect: `response_type=code`, our fixed redirect URI, a signed state, PKCE S256 |
| `exchange_code` | the callback's code -> tokens (`authorization_code` grant) |
| `access_token` | a valid access token for an account, refreshing it when needed, one refresh at a time |
| `authorized_request` | one API call with the bearer token: a 401 gets a fresh token and one retry |
| `OAuthAppProvider` | what Teams and Google Meet share: the app id `<client id>[:<extra>]` with the secret, and their calls through `authorized_request` with the account's tokens |

Tokens live on MeetingAccount, encrypted (core.crypto). Refresh tokens rotate
(Zoom, Microsoft: the old one is dead once the new one is issued; Google usually keeps
its own), so two workers must never both spend the same one. No network call runs
inside a transaction (docs/architecture.md invariant 4), so instead of holding the row lock
through the HTTP call, a short transaction takes a *lease*:

1. lock the account row (`select_for_update`), re-read it: a token another worker
   refreshed meanwhile is simply used;
2. no lease held: set `refresh_lease_until` and remember the refresh token; commit;
3. spend it at the token endpoint (outside any transaction);
4. lock the row again, store the new access token and the new refresh token (or keep
   the old one when the provider sent none), clear the lease.

A worker that finds a lease waits for the new token (up to LEASE_WAIT) and then
retries later (a temporary error). A crashed holder's lease runs out after LEASE.

`invalid_grant` at the token endpoint means the grant is gone (revoked, expired, a
spent rotating token): the account is marked `needs_reconnect` (the admin shows it)
and the error is permanent: only a person signing in again can fix it.

Client secrets, codes and tokens never appear in errors or logs: messages carry the
provider, the call, the HTTP status and the provider's error *code* only.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode

import httpx
import jwt
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from . import ProviderError, VideoProvider
from .http import request
from .http import retry_after as header_retry_after

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=30)  # a refresh holder's lease (a crashed worker frees it)
LEASE_WAIT = 10.0  # seconds a worker waits for another's refresh
LEASE_POLL = 0.1
EXPIRY_MARGIN = timedelta(seconds=120)  # a token this close to expiry is refreshed first
DEFAULT_EXPIRES_IN = 3600
CLIENT_ERRORS = tuple(range(400, 500))


class ReconnectNeeded(ProviderError):
    """The stored grant is gone: someone has to connect the account again."""

    def __init__(self, message: str):
        super().__init__(message, permanent=True)


class AccountRefused(ProviderError):
    """The provider connected an account we cannot use (a personal Microsoft account for
    Teams). The message is written, and translated, for the person connecting."""

    def __init__(self, message):
        super().__init__(message, permanent=True)


@dataclass(frozen=True)
class OAuthClient:
    provider: str  # our provider name, used in messages and the redirect URI
    client_id: str
    client_secret: str = field(repr=False)
    authorize_url: str
    token_url: str
    scopes: tuple[str, ...] = ()
    # Microsoft and Google take the client secret in the form body, Zoom as Basic auth.
    secret_in_body: bool = True
    # Microsoft wants the scopes again on every token request.
    scope_on_token: bool = False
    extra_authorize: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class TokenAnswer:
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_in: int
    claims: dict  # the id_token's claims when there is one (not verified: see exchange_code)


# -- the browser side ------------------------------------------------------------------------


def redirect_uri(provider: str) -> str:
    """Fixed: RENDEZVOUS_BASE_URL + our callback path, never the request's Host."""
    return f"{settings.BASE_URL}{reverse('meetings:oauth_callback', args=[provider])}"


def new_pkce() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge), RFC 7636."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorization_url(client: OAuthClient, *, state: str, code_challenge: str) -> str:
    params = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": redirect_uri(client.provider),
        "state": state,
        "code_challenge": code_challenge,
        "code_challenge_method": "S256",
    }
    if client.scopes:
        params["scope"] = " ".join(client.scopes)
    params.update(dict(client.extra_authorize))
    return f"{client.authorize_url}?{urlencode(params)}"


def exchange_code(client: OAuthClient, *, code: str, code_verifier: str) -> TokenAnswer:
    """The authorization code for tokens. The id_token comes straight from the token
    endpoint over TLS, so its claims are read without checking the signature (OpenID
    Connect Core 3.1.3.7); they only name the account and its tenant."""
    return _token_request(
        client,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri(client.provider),
            "code_verifier": code_verifier,
        },
        what="code exchange",
    )


# -- tokens --------------------------------------------------------------------------------


def _token_request(client: OAuthClient, form: dict, *, what: str) -> TokenAnswer:
    name = client.provider
    data = dict(form)
    auth = None
    if client.secret_in_body:
        data.update(client_id=client.client_id, client_secret=client.client_secret)
    else:
        auth = httpx.BasicAuth(client.client_id, client.client_secret)
    if client.scope_on_token and client.scopes:
        data["scope"] = " ".join(client.scopes)
    response = request(
        name, "POST", client.token_url, data=data, auth=auth, ok_statuses=CLIENT_ERRORS
    )
    if response.status_code == 429:
        raise ProviderError(f"{name}: {what}: HTTP 429", retry_after=header_retry_after(response))
    body = json_of(response)
    if not response.is_success:
        error = body.get("error")
        code = error if isinstance(error, str) and error.isidentifier() else ""
        if code == "invalid_grant":
            raise ReconnectNeeded(
                f"{name}: {what}: the connection was revoked or expired (invalid_grant); "
                "connect the account again"
            )
        detail = f", {code}" if code else ""
        raise ProviderError(
            f"{name}: {what}: refused (HTTP {response.status_code}{detail})", permanent=True
        )
    access = body.get("access_token")
    if not isinstance(access, str) or not access:
        raise ProviderError(f"{name}: {what}: no access_token in the answer")
    try:
        expires_in = int(body.get("expires_in", DEFAULT_EXPIRES_IN))
    except (TypeError, ValueError):
        expires_in = DEFAULT_EXPIRES_IN
    refresh = body.get("refresh_token")
    return TokenAnswer(
        access_token=access,
        refresh_token=refresh if isinstance(refresh, str) else "",
        expires_in=expires_in,
        claims=_claims(body.get("id_token")),
    )


def _claims(id_token) -> dict:
    if not isinstance(id_token, str) or not id_token:
        return {}
    try:
        claims = jwt.decode(id_token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return {}
    return claims if isinstance(claims, dict) else {}


def store_tokens(account, answer: TokenAnswer, *, now: datetime, spent: str | None = None) -> bool:
    """Write fresh tokens on the (locked) account row. `spent`: the refresh token this
    answer replaced; when the row no longer holds it (connected again meanwhile) the
    newer connection is kept. Returns whether anything was written."""
    if spent is not None and account.refresh_token != spent:
        return False
    account.access_token = answer.access_token
    # Google (and sometimes Microsoft) send no new refresh token: the old one lives on.
    account.refresh_token = answer.refresh_token or account.refresh_token
    account.token_expires_at = now + timedelta(seconds=max(answer.expires_in, 0))
    account.needs_reconnect = False
    account.refresh_lease_until = None
    account.save(
        update_fields=[
            "access_token",
            "refresh_token",
            "token_expires_at",
            "needs_reconnect",
            "refresh_lease_until",
        ]
    )
    return True


def _fresh(account, now: datetime) -> bool:
    return bool(
        account.access_token
        and account.token_expires_at
        and account.token_expires_at > now + EXPIRY_MARGIN
    )


def access_token(client: OAuthClient, account, *, rejected: str | None = None) -> str:
    """A valid access token for `account` (a saved MeetingAccount). `rejected`: a token
    the provider just refused (401): never handed out again, a new one is fetched."""
    from ..models import MeetingAccount  # noqa: PLC0415 (the models import the provider registry)

    name = client.provider
    if account is None or account.pk is None:
        raise ProviderError(f"{name}: the account is not connected", permanent=True)
    for _poll in range(int(LEASE_WAIT / LEASE_POLL) + 1):
        now = timezone.now()
        with transaction.atomic():
            row = MeetingAccount.objects.select_for_update().get(pk=account.pk)
            if _fresh(row, now) and row.access_token != rejected:
                return row.access_token
            if row.needs_reconnect or not row.refresh_token:
                raise ReconnectNeeded(f"{name}: the account is not connected; connect it again")
            leased = row.refresh_lease_until is not None and row.refresh_lease_until > now
            if not leased:
                row.refresh_lease_until = now + LEASE
                row.save(update_fields=["refresh_lease_until"])
                spend = row.refresh_token
                break
        time.sleep(LEASE_POLL)  # another worker holds the lease: wait for its token
    else:
        raise ProviderError(f"{name}: another worker is still refreshing the token")
    try:
        answer = _token_request(
            client, {"grant_type": "refresh_token", "refresh_token": spend}, what="token refresh"
        )
    except ProviderError as exc:
        with transaction.atomic():
            row = MeetingAccount.objects.select_for_update().get(pk=account.pk)
            fields = ["refresh_lease_until"]
            row.refresh_lease_until = None
            if isinstance(exc, ReconnectNeeded) and row.refresh_token == spend:
                row.needs_reconnect, row.access_token = True, ""
                fields += ["needs_reconnect", "access_token"]
                log.warning("meeting account %s needs reconnecting (%s)", row.pk, name)
            row.save(update_fields=fields)
        raise
    with transaction.atomic():
        row = MeetingAccount.objects.select_for_update().get(pk=account.pk)
        if not store_tokens(row, answer, now=timezone.now(), spent=spend):
            row.refresh_lease_until = None
            row.save(update_fields=["refresh_lease_until"])
    return answer.access_token


# -- API calls -----------------------------------------------------------------------------


def json_of(response: httpx.Response) -> dict:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


@dataclass(frozen=True)
class Failure:
    """How a provider reads an error answer: `detail` (", <error code>", safe to store)
    and whether retrying may help."""

    detail: str = ""
    temporary: bool = False


def authorized_request(
    name: str,
    what: str,
    method: str,
    url: str,
    *,
    token: Callable[[str | None], str],
    classify: Callable[[httpx.Response], Failure] = lambda r: Failure(),
    retry_after: Callable[[httpx.Response], float | None] = header_retry_after,
    ok: tuple[int, ...] = (),
    **kwargs,
) -> httpx.Response:
    """One API call with a bearer token from `token(rejected)`: a 401 gets a new token and
    one retry. Returns a 2xx answer or one whose status is in `ok`; raises ProviderError
    otherwise (429 and what `classify` calls temporary are retried later)."""
    rejected = None
    for attempt in (1, 2):
        bearer = token(rejected)
        headers = {**kwargs.pop("headers", {}), "Authorization": f"Bearer {bearer}"}
        response = request(name, method, url, headers=headers, ok_statuses=CLIENT_ERRORS, **kwargs)
        if response.status_code == 401 and attempt == 1:
            rejected = bearer
            kwargs["headers"] = {k: v for k, v in headers.items() if k != "Authorization"}
            continue
        break
    status = response.status_code
    if response.is_success or status in ok:
        return response
    failure = classify(response)
    if status == 429:
        raise ProviderError(
            f"{name}: {what}: rate limited (HTTP 429{failure.detail})",
            retry_after=retry_after(response),
        )
    if status == 401:
        raise ProviderError(
            f"{name}: {what}: access token refused after a refresh (HTTP 401{failure.detail})",
            permanent=True,
        )
    if failure.temporary:
        raise ProviderError(
            f"{name}: {what}: HTTP {status}{failure.detail}", retry_after=retry_after(response)
        )
    raise ProviderError(f"{name}: {what}: HTTP {status}{failure.detail}", permanent=True)


def safe_code(value) -> str:
    """A provider's error code when it looks like one (letters, digits, _ . -), else ""."""
    text = str(value or "")
    ok = text and len(text) <= 64 and all(c.isalnum() or c in "_.-" for c in text)
    return text if ok else ""


class OAuthAppProvider(VideoProvider):
    """A provider a business connects by signing in to its own OAuth app (Teams, Google
    Meet): `app_id` is `<client id>` or `<client id>:<extra>` (what the extra means is
    the provider's), `secret` the app's client secret."""

    local = False
    # The end of "<name> account needs ...", naming the provider's own words for them.
    credentials_needed = "the OAuth client id and client secret"

    def _settings(self) -> tuple[str, str, str]:
        """(client id, client secret, the app id's extra part or "")."""
        account = self.account
        client_id, _sep, extra = (account.app_id if account else "").partition(":")
        if account is None or not client_id.strip() or not account.secret:
            raise ProviderError(
                f"{self.name} account needs {self.credentials_needed}", permanent=True
            )
        return client_id.strip(), account.secret, extra.strip()

    def oauth_client(self) -> OAuthClient:
        raise NotImplementedError

    def _authorized(
        self,
        what: str,
        method: str,
        url: str,
        *,
        classify: Callable[[httpx.Response], Failure],
        ok: tuple[int, ...] = (),
        **kwargs,
    ) -> httpx.Response:
        """One API call with the connected account's token (authorized_request)."""
        client = self.oauth_client()
        return authorized_request(
            self.name,
            what,
            method,
            url,
            token=lambda rejected: access_token(client, self.account, rejected=rejected),
            classify=classify,
            ok=ok,
            **kwargs,
        )
