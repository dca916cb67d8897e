"""`zoom`: Zoom meetings (docs/providers.md), in one of two modes.

| mode | app id | tokens | host |
| --- | --- | --- | --- |
| Server-to-Server OAuth (`grant_type=account_credentials`) | `<account_id>:<client_id>` or `<account_id>:<client_id>:<zoom user id or email>` | none stored: a new access token whenever the old one is about to expire, cached | the user named in the app id, else the staff member's email |
| OAuth app (authorization code) | `<client_id>` alone (no colon) | the connected user's, encrypted on the account, refresh tokens rotating (providers.oauth) | `me`: the user who connected the account |

In both, `secret` is the app's client secret and `url` is unused. Server-to-Server is
one app an account admin installs for the whole Zoom account; the OAuth app is connected
from the admin by signing in to Zoom (a staff-level account for a staff member's own
Zoom user). Without a host the meeting fails at once.

| call | request | answer |
| --- | --- | --- |
| token | `POST {ZOOM_OAUTH_BASE}/oauth/token?grant_type=account_credentials&account_id=…`, Basic client_id:client_secret | `access_token`, `expires_in` (1 h) |
| token (OAuth app) | `POST {ZOOM_OAUTH_BASE}/oauth/token`, Basic; `authorization_code` (+ PKCE) or `refresh_token` | `access_token`, a new `refresh_token` every time (the old one dies) |
| create | `POST {ZOOM_API_BASE}/users/{user}/meetings`, type 2, UTC start | 201, `id`, `join_url`, `start_url`, `password` |
| update | `PATCH /meetings/{id}` | 204 |
| delete | `DELETE /meetings/{id}` | 204; 404 = already gone = success |
| reconcile | `GET /users/{user}/meetings?type=scheduled` then `GET /meetings/{id}` | the meeting our agenda marker names |

- Server-to-Server access tokens live in Django's cache until shortly before they
  expire. One refresh at a time per account: the worker that wins `cache.add(lock)`
  asks Zoom, the others wait briefly for its token (and ask themselves only if it never
  comes). OAuth-app tokens are refreshed through providers.oauth's lease, because a
  rotating refresh token must be spent exactly once.
- A 401 drops the cached token, fetches a new one and retries once; a second 401 is
  permanent (the app was deactivated or lost its scopes).
- 429 is temporary with `retry_after` from `Retry-After` (seconds, an ISO timestamp or
  an HTTP date), else, for the daily limit, the next 00:00 UTC. 5xx and timeouts are
  temporary (providers.http); other 4xx are permanent.
- A create is never blindly repeated: before the POST a marker is put in the cache and
  the agenda carries `rdv-<our meeting id>`. When a create ended without a clear answer
  (timeout, 5xx) the next attempt first lists the host's scheduled meetings and adopts
  the one carrying the marker (deleting any further copies) instead of creating another.
- The host gets Zoom's `start_url` (stored as host_url), everyone else `join_url`. The
  topic is the service's name: no customer data goes to Zoom.

The client secret and access tokens never appear in logs, errors or `last_error`:
messages name the call, the HTTP status and Zoom's numeric error code only.
"""

from __future__ import annotations

import email.utils
import hashlib
import math
import secrets
import string
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import httpx
from django.conf import settings
from django.core.cache import cache

from . import MeetingRef, MeetingSpec, Participant, ProviderError, VideoProvider
from .http import request
from .oauth import Failure, OAuthClient, TokenAnswer, authorized_request
from .oauth import access_token as oauth_access_token

NAME = "zoom"
TOKEN_MARGIN = 300  # seconds before expiry a cached token is given up
LOCK_TTL = 30  # seconds a refresh lock lives at most (a crashed holder frees it)
LOCK_WAIT = 5.0  # seconds a worker waits for another's refresh before asking itself
CREATE_MARKER_TTL = 3 * 24 * 3600  # covers every retry, even after a daily rate limit
LIST_PAGE_SIZE = 300
LIST_MAX_PAGES = 10
_CLIENT_ERRORS = tuple(range(400, 500))
_PASSWORD_ALPHABET = string.ascii_letters + string.digits

MEETING_SETTINGS = {
    "join_before_host": False,
    "waiting_room": True,
    "host_video": True,
    "participant_video": True,
    "mute_upon_entry": False,
    "approval_type": 2,
    "audio": "both",
    "auto_recording": "none",
    "use_pmi": False,
}


def marker(meeting_id: str) -> str:
    """What the agenda carries so a meeting can be found again after a lost answer."""
    return f"rdv-{meeting_id}"


class Provider(VideoProvider):
    name = NAME
    local = False

    # -- settings ----------------------------------------------------------------------

    def uses_oauth(self) -> bool:
        """The OAuth-app mode: the app id is a client id alone (Server-to-Server app ids
        always carry `<account_id>:`)."""
        app_id = (self.account.app_id if self.account else "").strip()
        return bool(app_id) and ":" not in app_id

    def oauth_client(self) -> OAuthClient:
        account = self.account
        # uses_oauth() is false without an account, so `account is None` never decides.
        if not self.uses_oauth() or account is None or not account.secret:
            raise ProviderError(
                "zoom: an OAuth app needs its client id alone as app id, and the client secret",
                permanent=True,
            )
        return OAuthClient(
            provider=NAME,
            client_id=account.app_id.strip(),
            client_secret=account.secret,
            authorize_url=f"{settings.ZOOM_OAUTH_BASE}/oauth/authorize",
            token_url=f"{settings.ZOOM_OAUTH_BASE}/oauth/token",
            secret_in_body=False,  # Zoom wants Basic client_id:client_secret
        )

    def oauth_identity(self, answer: TokenAnswer) -> str:
        return ""  # Zoom's token answer names nobody; the admin shows "connected"

    def _credentials(self) -> tuple[str, str, str, str]:
        """(account_id, client_id, client_secret, host user or "")."""
        account = self.account
        if self.uses_oauth():
            raise ProviderError(
                "zoom: this account is an OAuth app, not Server-to-Server", permanent=True
            )
        parts = (account.app_id if account else "").split(":", 2)
        if account is None or len(parts) < 2 or not all(parts[:2]) or not account.secret:
            raise ProviderError(
                "zoom account needs app id '<account_id>:<client_id>[:<user>]' and the client secret",
                permanent=True,
            )
        user = parts[2].strip() if len(parts) == 3 else ""
        return parts[0].strip(), parts[1].strip(), account.secret, user

    def _host(self, spec: MeetingSpec) -> str:
        if self.uses_oauth():
            return "me"  # the Zoom user who connected the account
        user = self._credentials()[3] or spec.host_email
        if not user:
            raise ProviderError(
                "zoom: no host user (name one in the app id, or give the staff member an email)",
                permanent=True,
            )
        return user

    @staticmethod
    def _api(path: str) -> str:
        return f"{settings.ZOOM_API_BASE}{path}"

    # -- access token ------------------------------------------------------------------

    def _token_key(self) -> str:
        account_id, client_id, secret, _user = self._credentials()
        # The secret is part of the key (hashed) so a new secret means a new token.
        digest = hashlib.sha256(f"{account_id}:{client_id}:{secret}".encode()).hexdigest()
        return f"zoom:token:{digest[:32]}"

    def _access_token(self) -> str:
        key = self._token_key()
        token = cache.get(key)
        if token:
            return token
        lock = f"{key}:lock"
        if cache.add(lock, 1, timeout=LOCK_TTL):
            try:
                return self._fetch_token(key)
            finally:
                cache.delete(lock)
        # Another worker is refreshing: wait for its token rather than stampede.
        deadline = time.monotonic() + LOCK_WAIT
        while time.monotonic() < deadline:
            time.sleep(0.05)
            token = cache.get(key)
            if token:
                return token
        return self._fetch_token(key)  # Zoom allows several live tokens

    def _fetch_token(self, key: str) -> str:
        account_id, client_id, secret, _user = self._credentials()
        response = request(
            NAME,
            "POST",
            f"{settings.ZOOM_OAUTH_BASE}/oauth/token",
            params={"grant_type": "account_credentials", "account_id": account_id},
            auth=httpx.BasicAuth(client_id, secret),
            ok_statuses=_CLIENT_ERRORS,
        )
        if response.status_code == 429:
            raise ProviderError("zoom: token: HTTP 429", retry_after=_retry_after(response))
        if not response.is_success:
            error = _json(response).get("error")
            detail = f", {error}" if isinstance(error, str) and error.isidentifier() else ""
            raise ProviderError(
                f"zoom: token refused (HTTP {response.status_code}{detail})", permanent=True
            )
        data = _json(response)
        token = data.get("access_token")
        if not isinstance(token, str) or not token:
            raise ProviderError("zoom: token: no access_token in the answer")
        try:
            expires_in = int(data.get("expires_in", 3600))
        except (TypeError, ValueError):
            expires_in = 3600
        ttl = expires_in - min(TOKEN_MARGIN, expires_in // 10)
        if ttl > 0:
            cache.set(key, token, timeout=ttl)
        return token

    def _drop_token(self, token: str) -> None:
        key = self._token_key()
        if cache.get(key) == token:  # not one another worker just fetched
            cache.delete(key)

    # -- one API call ------------------------------------------------------------------

    def _token(self, rejected: str | None) -> str:
        """A bearer token for the next call; `rejected` was just refused (401)."""
        if self.uses_oauth():
            return oauth_access_token(self.oauth_client(), self.account, rejected=rejected)
        if rejected:
            self._drop_token(rejected)
        return self._access_token()

    def _call(self, what: str, method: str, path: str, *, ok=(), **kwargs) -> httpx.Response:
        """An API call with a bearer token: 401 -> new token, one retry. Returns 2xx or a
        status in `ok`; raises ProviderError otherwise."""
        return authorized_request(
            NAME,
            what,
            method,
            self._api(path),
            token=self._token,
            classify=_classify,
            retry_after=_retry_after,
            ok=ok,
            **kwargs,
        )

    # -- meetings ----------------------------------------------------------------------

    def _body(self, spec: MeetingSpec) -> dict:
        minutes = max(1, math.ceil((spec.end - spec.start).total_seconds() / 60))
        return {
            "topic": (spec.title or "Meeting")[:200],
            "type": 2,
            "start_time": _utc(spec.start),
            "duration": minutes,
            "timezone": spec.timezone,
            "agenda": f"Booked with Rendezvous ({marker(spec.meeting_id)})",
        }

    def create_meeting(self, spec: MeetingSpec) -> MeetingRef:
        user = self._host(spec)
        pending = f"zoom:create:{spec.meeting_id}"
        if cache.get(pending):
            found = self._reconcile(user, spec)
            if found is not None:
                cache.delete(pending)
                return found
        cache.set(pending, 1, timeout=CREATE_MARKER_TTL)
        body = {
            **self._body(spec),
            "password": "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(10)),
            "settings": MEETING_SETTINGS,
        }
        try:
            response = self._call("create", "POST", f"/users/{_segment(user)}/meetings", json=body)
        except ProviderError as exc:
            if exc.permanent:  # Zoom answered and refused: nothing was created
                cache.delete(pending)
            raise
        cache.delete(pending)
        return _ref(_json(response), "create")

    def _reconcile(self, user: str, spec: MeetingSpec) -> MeetingRef | None:
        """The meeting an earlier, unanswered create made (its agenda carries our
        marker), any further copies deleted; None when there is none."""
        tag = marker(spec.meeting_id)
        found: list[str] = []
        page_token = ""
        for _page in range(LIST_MAX_PAGES):
            params = {"type": "scheduled", "page_size": LIST_PAGE_SIZE}
            if page_token:
                params["next_page_token"] = page_token
            data = _json(
                self._call("list", "GET", f"/users/{_segment(user)}/meetings", params=params)
            )
            for item in data.get("meetings") or []:
                if tag in f"{item.get('agenda') or ''} {item.get('topic') or ''}":
                    found.append(str(item.get("id")))
            page_token = data.get("next_page_token") or ""
            if not page_token:
                break
        if not found:
            return None
        keep, *extra = sorted(set(found), key=lambda i: (len(i), i))
        for meeting_id in extra:
            self.delete_meeting(MeetingRef(external_id=meeting_id))
        return _ref(_json(self._call("get", "GET", f"/meetings/{keep}")), "get")

    def update_meeting(self, ref: MeetingRef, spec: MeetingSpec) -> MeetingRef:
        if not self.uses_oauth():
            self._credentials()
        self._call(
            "update", "PATCH", f"/meetings/{_segment(ref.external_id)}", json=self._body(spec)
        )
        return ref  # join_url and start_url survive a PATCH

    def delete_meeting(self, ref: MeetingRef) -> None:
        if not ref.external_id:
            return
        self._call("delete", "DELETE", f"/meetings/{_segment(ref.external_id)}", ok=(404,))

    def join_url(self, ref: MeetingRef, participant: Participant) -> str:
        """Participants get the join_url (it does not expire). The host gets a start_url
        fetched now (`GET /meetings/{id}`): the stored one carries a ZAK that expires
        after two hours (90 days for API users, docs/providers.md), and the
        join page is exactly "the host clicks start". Called on the join page only,
        inside the window (meetings.domain.reveal), never in a transaction.

        | Zoom answers | the host gets |
        | --- | --- |
        | 200 with a start_url | that start_url |
        | a temporary error (timeout, 5xx, 429) | the stored start_url (Zoom asks for a sign-in if it expired) |
        | 404 or another refusal | ProviderError: the meeting is gone, the join page says so |
        """
        if not participant.host:
            return ref.join_url
        if not ref.external_id:
            return ref.host_url or ref.join_url
        try:
            data = _json(self._call("start", "GET", f"/meetings/{_segment(ref.external_id)}"))
        except ProviderError as exc:
            if exc.permanent:
                raise
            return ref.host_url or ref.join_url
        fresh = data.get("start_url")
        return fresh if isinstance(fresh, str) and fresh else ref.host_url or ref.join_url


# -- helpers -------------------------------------------------------------------------------


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _segment(value: str) -> str:
    return quote(value, safe="@")


def _classify(response: httpx.Response) -> Failure:
    code = _json(response).get("code")
    return Failure(detail=f", code {code}" if isinstance(code, int) else "")


def _json(response: httpx.Response) -> dict:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _ref(data: dict, what: str) -> MeetingRef:
    meeting_id, join_url = data.get("id"), data.get("join_url")
    if meeting_id in (None, "") or not isinstance(join_url, str) or not join_url:
        raise ProviderError(f"zoom: {what}: unexpected answer (no id or join_url)")
    return MeetingRef(
        external_id=str(meeting_id),  # an int64: kept as a string
        join_url=join_url,
        host_url=data.get("start_url") or "",
        password=str(data.get("password") or ""),
    )


def _retry_after(response: httpx.Response, now: datetime | None = None) -> float | None:
    """Seconds to wait: Retry-After as seconds, an ISO timestamp or an HTTP date; for the
    daily limit without one, until the next 00:00 UTC; else None (our own backoff)."""
    now = now or datetime.now(UTC)
    value = (response.headers.get("Retry-After") or "").strip()
    if value:
        if value.isdigit():
            return float(value)
        when = None
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                when = None
        if when is not None:
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            return max(0.0, (when - now).total_seconds())
    daily = response.headers.get("X-RateLimit-Type", "").lower().startswith("daily")
    if daily or "daily" in str(_json(response).get("message", "")).lower():
        midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
        return (midnight - now).total_seconds()
    return None
