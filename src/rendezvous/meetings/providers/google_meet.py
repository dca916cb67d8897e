"""`google_meet`: Google Meet links through the Calendar API (docs/providers.md).

A business creates an OAuth client (type "Web application") in Google Cloud, puts its
id and secret on a meeting account, and connects the account by signing in with the
Google account whose calendar holds the meetings (offline access, scope
`calendar.events`).

| field | holds |
| --- | --- |
| app_id | the OAuth client id, or `<client id>:<calendar id>` (default `primary`) |
| secret | the OAuth client secret |
| tokens | written by the connect callback and refreshes (providers.oauth) |

| call | request | answer |
| --- | --- | --- |
| create | `POST {GOOGLE_API_BASE}/calendar/v3/calendars/{cal}/events?conferenceDataVersion=1&sendUpdates=none`, event `id` = `rdv<our meeting id>`, `conferenceData.createRequest.requestId` = our meeting id | 200 event with `hangoutLink`; 409 when that id exists |
| poll | `GET .../events/{id}` while `createRequest.status.statusCode` is `pending` | the event |
| update | `PATCH .../events/{id}?conferenceDataVersion=1&sendUpdates=none` | 200; the Meet link stays |
| delete | `DELETE .../events/{id}?sendUpdates=none` | 204; 404 / 410 = already gone = success |

- Idempotent by construction: the event id is derived from our meeting id (base32hex,
  as Google requires), so a retry after a lost answer gets 409 and reads the event
  that exists instead of inserting a second one; `requestId` keeps the conference one.
- The conference may still be `pending` when the event comes back: it is polled a few
  times with backoff (POLL_DELAYS); still pending -> a temporary error, and the
  lifecycle's next attempt finds the same event (409 -> get). `failure` is permanent.
- `sendUpdates=none` and no attendees: Google emails nobody and learns no customer
  data; our own emails carry only our join link. The summary is the service's name.
- 401 -> one refresh and one retry; 429, and 403 `rateLimitExceeded` /
  `userRateLimitExceeded`, are temporary (Google publishes no Retry-After contract:
  our backoff applies unless a header says otherwise); 5xx and timeouts temporary;
  other 4xx permanent with Google's `reason` only.
"""

from __future__ import annotations

import time
from urllib.parse import quote

import httpx
from django.conf import settings

from . import MeetingRef, MeetingSpec, ProviderError
from .http import path_segment, utc_stamp
from .oauth import Failure, OAuthAppProvider, OAuthClient, TokenAnswer, json_of, safe_code

NAME = "google_meet"
SCOPES = ("openid", "email", "https://www.googleapis.com/auth/calendar.events")
POLL_DELAYS = (0.5, 1.0, 2.0)  # seconds between events.get while the conference is pending
_RATE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded"}
_QUERY = {"conferenceDataVersion": "1", "sendUpdates": "none"}


def event_id(meeting_id: str) -> str:
    """Google event ids use base32hex (0-9, a-v), 5-1024 characters: `rdv` + a UUID's hex."""
    return f"rdv{meeting_id}"


class Provider(OAuthAppProvider):
    """`_settings()` is (client id, client secret, calendar id or "")."""

    name = NAME

    def oauth_client(self) -> OAuthClient:
        client_id, secret, _calendar = self._settings()
        return OAuthClient(
            provider=NAME,
            client_id=client_id,
            client_secret=secret,
            authorize_url=f"{settings.GOOGLE_AUTH_BASE}/o/oauth2/v2/auth",
            token_url=f"{settings.GOOGLE_OAUTH_BASE}/token",
            scopes=SCOPES,
            secret_in_body=True,
            # offline + consent: what makes Google hand out a refresh token every time.
            extra_authorize=(
                ("access_type", "offline"),
                ("prompt", "consent"),
                ("include_granted_scopes", "true"),
            ),
        )

    def oauth_identity(self, answer: TokenAnswer) -> str:
        return str(answer.claims.get("email") or "")[:254]

    # -- calls -------------------------------------------------------------------------

    def _call(self, what: str, method: str, path: str, *, ok=(), **kwargs) -> httpx.Response:
        calendar = quote(self._settings()[2] or "primary", safe="@")
        url = f"{settings.GOOGLE_API_BASE}/calendar/v3/calendars/{calendar}/events{path}"
        return self._authorized(what, method, url, classify=_classify, ok=ok, **kwargs)

    def create_meeting(self, spec: MeetingSpec) -> MeetingRef:
        eid = event_id(spec.meeting_id)
        body = {
            "id": eid,
            **_times(spec),
            "conferenceData": {
                "createRequest": {
                    "requestId": spec.meeting_id,
                    "conferenceSolutionKey": {"type": "hangoutsMeet"},
                }
            },
        }
        response = self._call("create", "POST", "", params=_QUERY, json=body, ok=(409,))
        # 409: an earlier attempt made it (its answer was lost): read it, never insert again.
        event = self._get(eid) if response.status_code == 409 else json_of(response)
        for delay in POLL_DELAYS:
            if _status(event) != "pending":
                break
            time.sleep(delay)
            event = self._get(eid)
        return _ref(event, eid)

    def _get(self, eid: str) -> dict:
        return json_of(self._call("get", "GET", f"/{eid}"))

    def update_meeting(self, ref: MeetingRef, spec: MeetingSpec) -> MeetingRef:
        if not ref.external_id:
            raise ProviderError("google_meet: update: the meeting has no id", permanent=True)
        event = json_of(
            self._call(
                "update",
                "PATCH",
                f"/{path_segment(ref.external_id)}",
                params=_QUERY,
                json=_times(spec),
            )
        )
        link = _link(event)
        if link and link != ref.join_url:
            return MeetingRef(external_id=ref.external_id, join_url=link)
        return ref

    def delete_meeting(self, ref: MeetingRef) -> None:
        if not ref.external_id:
            return
        self._call(
            "delete",
            "DELETE",
            f"/{path_segment(ref.external_id)}",
            params={"sendUpdates": "none"},
            ok=(404, 410),
        )


def _times(spec: MeetingSpec) -> dict:
    return {
        "summary": (spec.title or "Meeting")[:200],
        "start": {"dateTime": utc_stamp(spec.start), "timeZone": spec.timezone},
        "end": {"dateTime": utc_stamp(spec.end), "timeZone": spec.timezone},
    }


def _status(event: dict) -> str:
    conference = event.get("conferenceData") or {}
    request_ = conference.get("createRequest") or {}
    status = request_.get("status") or {}
    return str(status.get("statusCode") or "") if isinstance(status, dict) else ""


def _link(event: dict) -> str:
    link = event.get("hangoutLink")
    if isinstance(link, str) and link:
        return link
    conference = event.get("conferenceData") or {}
    for entry in conference.get("entryPoints") or []:
        if isinstance(entry, dict) and entry.get("entryPointType") == "video":
            uri = entry.get("uri")
            if isinstance(uri, str) and uri:
                return uri
    return ""


def _ref(event: dict, eid: str) -> MeetingRef:
    status = _status(event)
    if event.get("status") == "cancelled":
        raise ProviderError("google_meet: create: the event was deleted", permanent=True)
    if status == "failure":
        raise ProviderError(
            "google_meet: create: Google could not add a Meet conference", permanent=True
        )
    link = _link(event)
    if status == "pending" or not link:
        if not event.get("conferenceData") and event.get("id"):
            # Without conferenceDataVersion=1 Google silently drops the conference.
            raise ProviderError("google_meet: create: the event has no conference", permanent=True)
        raise ProviderError("google_meet: create: the Meet conference is still pending")
    return MeetingRef(external_id=str(event.get("id") or eid), join_url=link)


def _classify(response: httpx.Response) -> Failure:
    error = json_of(response).get("error")
    reason = ""
    if isinstance(error, dict):
        errors = error.get("errors") or []
        first = errors[0] if errors and isinstance(errors[0], dict) else {}
        reason = safe_code(first.get("reason") or error.get("status"))
    temporary = response.status_code == 403 and reason in _RATE_REASONS
    return Failure(detail=f", {reason}" if reason else "", temporary=temporary)
