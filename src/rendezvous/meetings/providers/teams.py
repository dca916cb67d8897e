"""`teams`: Microsoft Teams meetings through Microsoft Graph (docs/providers.md).

A business registers an app in Microsoft Entra ID, puts its client id and secret on a
meeting account, and connects the account by signing in with a **work or school**
account (delegated `OnlineMeetings.ReadWrite`, `offline_access`). Personal Microsoft
accounts (outlook.com, hotmail) cannot host Graph online meetings: the sign-in goes to
the `organizations` authority (or the business's own tenant), and a token whose
`tid` is the consumer tenant is refused at connect with a clear message.

| field | holds |
| --- | --- |
| app_id | the application (client) id, or `<client id>:<user id>` to call `/users/{id}/...` instead of `/me/...` (the host is that user; Microsoft allows it for the signed-in user's own id, or with an application access policy) |
| secret | a client secret of the app |
| tenant | the directory (tenant) id or domain; empty: `organizations` (any work or school account) |
| tokens | written by the connect callback and refreshes (providers.oauth) |

| call | request | answer |
| --- | --- | --- |
| create | `POST {MS_GRAPH_BASE}/me/onlineMeetings/createOrGet`, `externalId` = our meeting id | 201 new / 200 the same meeting again; `id`, `joinWebUrl` |
| update | `PATCH /me/onlineMeetings/{id}` with both `startDateTime` and `endDateTime` | 200; the join URL stays |
| delete | `DELETE /me/onlineMeetings/{id}` | 204; 404 = already gone = success |

- `createOrGet` is keyed by (tenant, user, externalId): a create that timed out, or
  whose answer was lost, is simply asked again and returns the same meeting. No marker,
  no reconciling, never a duplicate.
- The subject is the service's name; no customer data goes to Microsoft. Everyone joins
  through `joinWebUrl` (Teams knows the organizer by their sign-in), so `host_url` is
  empty.
- 401 -> one refresh and one retry; 429 and 503/504 wait for `Retry-After`; other 5xx
  and timeouts are temporary; other 4xx permanent with Graph's error code only.
"""

from __future__ import annotations

from urllib.parse import quote

import httpx
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from . import MeetingRef, MeetingSpec, ProviderError
from .http import path_segment, utc_stamp
from .oauth import (
    AccountRefused,
    Failure,
    OAuthAppProvider,
    OAuthClient,
    TokenAnswer,
    json_of,
    safe_code,
)

NAME = "teams"
# The tenant every personal Microsoft account (MSA) signs in through.
CONSUMER_TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad"
SCOPES = ("openid", "profile", "email", "offline_access", "OnlineMeetings.ReadWrite")


class PersonalAccount(AccountRefused):
    def __init__(self):
        super().__init__(
            _(
                "Personal Microsoft accounts cannot host Teams meetings. Sign in with a "
                "work or school account."
            )
        )


class Provider(OAuthAppProvider):
    """`_settings()` is (client id, client secret, host user id or "")."""

    name = NAME
    credentials_needed = "the application (client) id and a client secret"

    def oauth_client(self) -> OAuthClient:
        client_id, secret, _user = self._settings()
        assert self.account is not None  # _settings raised otherwise
        tenant = (self.account.tenant or "").strip() or "organizations"
        base = f"{settings.MS_LOGIN_BASE}/{quote(tenant, safe='.-')}/oauth2/v2.0"
        return OAuthClient(
            provider=NAME,
            client_id=client_id,
            client_secret=secret,
            authorize_url=f"{base}/authorize",
            token_url=f"{base}/token",
            scopes=SCOPES,
            secret_in_body=True,
            scope_on_token=True,
            extra_authorize=(("response_mode", "query"), ("prompt", "select_account")),
        )

    def oauth_identity(self, answer: TokenAnswer) -> str:
        """Who connected; a personal account is refused here, before anything is stored."""
        claims = answer.claims
        if claims.get("tid") == CONSUMER_TENANT:
            raise PersonalAccount()
        who = claims.get("preferred_username") or claims.get("email") or claims.get("upn")
        return str(who or "")[:254]

    # -- calls -------------------------------------------------------------------------

    def _owner(self) -> str:
        user = self._settings()[2]
        return f"/users/{quote(user, safe='@')}" if user else "/me"

    def _call(self, what: str, method: str, path: str, *, ok=(), **kwargs) -> httpx.Response:
        url = f"{settings.MS_GRAPH_BASE}{self._owner()}/onlineMeetings{path}"
        return self._authorized(what, method, url, classify=_classify, ok=ok, **kwargs)

    def create_meeting(self, spec: MeetingSpec) -> MeetingRef:
        body = {"externalId": spec.meeting_id, **_times(spec)}
        return _ref(json_of(self._call("create", "POST", "/createOrGet", json=body)), "create")

    def update_meeting(self, ref: MeetingRef, spec: MeetingSpec) -> MeetingRef:
        if not ref.external_id:
            raise ProviderError("teams: update: the meeting has no id", permanent=True)
        answer = json_of(
            self._call("update", "PATCH", f"/{path_segment(ref.external_id)}", json=_times(spec))
        )
        join_url = answer.get("joinWebUrl") or answer.get("joinUrl")
        if isinstance(join_url, str) and join_url and join_url != ref.join_url:
            return MeetingRef(
                external_id=ref.external_id,
                join_url=join_url,
                host_url=ref.host_url,
                password=ref.password,
                instructions=ref.instructions,
            )
        return ref  # Graph keeps the meeting and its join URL on a PATCH

    def delete_meeting(self, ref: MeetingRef) -> None:
        if not ref.external_id:
            return
        self._call("delete", "DELETE", f"/{path_segment(ref.external_id)}", ok=(404,))


def _times(spec: MeetingSpec) -> dict:
    return {
        "startDateTime": utc_stamp(spec.start),
        "endDateTime": utc_stamp(spec.end),
        "subject": (spec.title or "Meeting")[:255],
    }


def _classify(response: httpx.Response) -> Failure:
    error = json_of(response).get("error")
    code = safe_code(error.get("code")) if isinstance(error, dict) else ""
    # 503/504 carry Retry-After under throttling; providers.http handles other 5xx.
    return Failure(detail=f", {code}" if code else "", temporary=response.status_code >= 500)


def _ref(data: dict, what: str) -> MeetingRef:
    meeting_id = data.get("id")
    join_url = data.get("joinWebUrl") or data.get("joinUrl")
    if not isinstance(meeting_id, str) or not meeting_id or not isinstance(join_url, str):
        raise ProviderError(f"teams: {what}: unexpected answer (no id or joinWebUrl)")
    settings_ = data.get("joinMeetingIdSettings") or {}
    passcode = settings_.get("passcode") if isinstance(settings_, dict) else None
    return MeetingRef(
        external_id=meeting_id,
        join_url=join_url,
        password=str(passcode or ""),
    )
