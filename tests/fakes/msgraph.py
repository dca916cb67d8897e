"""A local Microsoft identity platform + Microsoft Graph (docs/providers.md).

    with FakeGraph() as graph:
        settings.MS_LOGIN_BASE, settings.MS_GRAPH_BASE = graph.login_base, graph.graph_base

| endpoint | checks | answers |
| --- | --- | --- |
| `POST /{tenant}/oauth2/v2.0/token` | form `client_id` + `client_secret` (in the body), `scope`; grants `authorization_code` (+ PKCE) and `refresh_token` (rotating, single use) | tokens + `id_token` (`tid`, `oid`, `preferred_username`); 400 `invalid_grant` AADSTS70008 / AADSTS700082; 401 `invalid_client` |
| `POST /v1.0/me/onlineMeetings/createOrGet` (and `/users/{id}/...`) | bearer; `externalId` required; start before end | 201 new meeting; 200 the one with that externalId for this user; 403 for a personal account's token |
| `GET /v1.0/me/onlineMeetings/{id}` | bearer | 200; 404 `NotFound` |
| `PATCH /v1.0/me/onlineMeetings/{id}` | bearer; `startDateTime` and `endDateTime` together | 200 the full meeting (same `joinWebUrl`); 400 for one of the two alone |
| `DELETE /v1.0/me/onlineMeetings/{id}` | bearer | 204; 404 `NotFound` |

Bad or expired bearer: 401 `InvalidAuthenticationToken`. Throttling: 429 (or 503)
with `Retry-After` in seconds. Each access token acts for the user who signed in
(`work_user()` or `personal_user()`, whose `tid` is the consumer tenant); `/me` is
that user's `oid`.
"""

from __future__ import annotations

import itertools
import secrets
import time
import uuid

from .oauth_server import FakeServer, Handler, Recorded, TokenIssuer

CONSUMER_TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


def work_user(name: str = "heidi", tenant: str = TENANT) -> dict:
    return {
        "tid": tenant,
        "oid": str(uuid.uuid5(uuid.NAMESPACE_URL, name)),
        "preferred_username": f"{name}@contoso.example",
        "name": name.title(),
    }


def personal_user(name: str = "pat") -> dict:
    return {**work_user(name, CONSUMER_TENANT), "preferred_username": f"{name}@outlook.com"}


class FakeGraph(FakeServer):
    def __init__(self, *, client_id="graph-client-id", client_secret="graph-secret-0123456789"):
        super().__init__()
        self.issuer = TokenIssuer(
            client_id=client_id,
            client_secret=client_secret,
            rotate=True,
            invalid_grant={
                "error": "invalid_grant",
                "error_description": "AADSTS70008: The provided authorization code or refresh "
                "token has expired due to inactivity.",
                "error_codes": [70008],
            },
        )
        self.meetings: dict[str, dict] = {}  # id -> meeting (with "_owner" and "_external")
        self._ids = itertools.count(1)

    @property
    def login_base(self) -> str:
        return self.base

    @property
    def graph_base(self) -> str:
        return f"{self.base}/v1.0"

    def expire_tokens(self) -> None:
        self.issuer.expire_all()

    def is_token_endpoint(self, request: Recorded) -> bool:
        return request.path.endswith("/oauth2/v2.0/token")

    def rate_body(self, status: int = 429) -> dict:
        return _error("TooManyRequests", "Too many requests.")

    def connect(self, user: dict | None = None) -> str:
        """A live refresh token for `user` (as if they had signed in)."""
        return self.issuer.issue_refresh_token(user or work_user())

    def route(self, handler: Handler, request: Recorded):
        if self.is_token_endpoint(request) and request.method == "POST":
            status, body = self.issuer.grant(request.form or {}, request.headers["Authorization"])
            return status, body, {}
        if not request.path.startswith("/v1.0/"):
            return 404, _error("NotFound", "Resource not found."), {}
        bearer = handler.bearer()
        if not self.issuer.valid(bearer):
            return 401, _error("InvalidAuthenticationToken", "Access token has expired."), {}
        user = self.issuer.user_of(bearer)
        if user.get("tid") == CONSUMER_TENANT:
            return 403, _error("Forbidden", "Personal accounts are not supported."), {}
        segments = request.path.split("/")[2:]  # after /v1.0
        if segments[:1] == ["me"]:
            owner, rest = user.get("oid", "me"), segments[1:]
        elif segments[:1] == ["users"] and len(segments) > 1:
            owner, rest = segments[1], segments[2:]
        else:
            return 404, _error("NotFound", "Resource not found."), {}
        if rest[:1] != ["onlineMeetings"]:
            return 404, _error("NotFound", "Resource not found."), {}
        if rest == ["onlineMeetings", "createOrGet"] and request.method == "POST":
            return (*self._create_or_get(owner, request.json), {})
        if len(rest) == 2:
            return (*self._one(owner, rest[1], request), {})
        return 405, _error("MethodNotAllowed", "Not allowed."), {}

    def _create_or_get(self, owner: str, body: dict | None):
        if not body or not body.get("externalId"):
            return 400, _error("BadRequest", "externalId is required.")
        start, end = body.get("startDateTime"), body.get("endDateTime")
        if not start or not end or start >= end:
            return 400, _error("BadRequest", "Invalid startDateTime/endDateTime.")
        with self._lock:
            for meeting in self.meetings.values():
                if (meeting["_owner"], meeting["_external"]) == (owner, body["externalId"]):
                    return 200, _public(meeting)
            meeting_id = f"MSp{next(self._ids):04d}{secrets.token_hex(8)}"
            thread = secrets.token_hex(12)
            meeting = {
                "_owner": owner,
                "_external": body["externalId"],
                "@odata.type": "#microsoft.graph.onlineMeeting",
                "id": meeting_id,
                "externalId": body["externalId"],
                "creationDateTime": time.strftime("%Y-%m-%dT%H:%M:%S.0Z", time.gmtime()),
                "startDateTime": start,
                "endDateTime": end,
                "subject": body.get("subject", ""),
                "joinWebUrl": f"{self.base}/l/meetup-join/19%3ameeting_{thread}%40thread.v2/0",
                "participants": {"organizer": {"identity": {"user": {"id": owner}}}},
                "joinMeetingIdSettings": {
                    "isPasscodeRequired": False,
                    "joinMeetingId": str(1000000000 + len(self.meetings)),
                    "passcode": None,
                },
                "lobbyBypassSettings": {"scope": "organization", "isDialInBypassEnabled": False},
            }
            self.meetings[meeting_id] = meeting
        return 201, _public(meeting)

    def _one(self, owner: str, meeting_id: str, request: Recorded):
        with self._lock:
            meeting = self.meetings.get(meeting_id)
        if meeting is None or meeting["_owner"] != owner:
            return 404, _error("NotFound", "The meeting was not found.")
        if request.method == "GET":
            return 200, _public(meeting)
        if request.method == "PATCH":
            body = request.json or {}
            if ("startDateTime" in body) != ("endDateTime" in body):
                return 400, _error(
                    "BadRequest", "startDateTime and endDateTime must be updated together."
                )
            if "startDateTime" in body and body["startDateTime"] >= body["endDateTime"]:
                return 400, _error("BadRequest", "Invalid startDateTime/endDateTime.")
            with self._lock:
                for key in ("startDateTime", "endDateTime", "subject"):
                    if key in body:
                        meeting[key] = body[key]
            return 200, _public(meeting)
        if request.method == "DELETE":
            with self._lock:
                self.meetings.pop(meeting_id, None)
            return 204, None
        return 405, _error("MethodNotAllowed", "Not allowed.")


def _public(meeting: dict) -> dict:
    return {k: v for k, v in meeting.items() if not k.startswith("_")}


def _error(code: str, message: str) -> dict:
    return {
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": time.strftime("%Y-%m-%dT%H:%M:%S"),
                "request-id": str(uuid.uuid4()),
            },
        }
    }
