"""A local Google OAuth + Calendar API (docs/providers.md).

    with FakeGoogle() as google:
        settings.GOOGLE_OAUTH_BASE = settings.GOOGLE_API_BASE = google.base

| endpoint | checks | answers |
| --- | --- | --- |
| `POST /token` | form `client_id` + `client_secret`; `authorization_code` (+ PKCE) and `refresh_token` grants | tokens + `id_token` (`email`); refreshes keep the refresh token unless `rotate` (Google usually does not rotate); 400 `invalid_grant` "Token has been expired or revoked." |
| `POST /calendar/v3/calendars/{cal}/events` | bearer; `conferenceDataVersion=1` or the conference is silently dropped; a caller's `id` must be base32hex, 5-1024 chars | 200 event; 409 `duplicate` when the id exists (even deleted) |
| `GET .../events/{id}` | bearer | 200 event; 404 `notFound`; 410 `deleted` |
| `PATCH .../events/{id}` | bearer | 200 event (same Meet link); 404 / 410 |
| `DELETE .../events/{id}` | bearer | 204; 410 `deleted` the second time; 404 unknown |

A conference starts `pending` for `pending_polls` reads (insert and gets), then turns
`success` with `hangoutLink` and a video entry point. `sendUpdates` is recorded (the
adapter must send `none`). Rate limits: `rate_limit_next(status=403)` answers the 403
`rateLimitExceeded` shape, `status=429` the 429 one.
"""

from __future__ import annotations

import re
import secrets
import string

from .oauth_server import FakeServer, Handler, Recorded, TokenIssuer

EVENT_ID = re.compile(r"^[a-v0-9]{5,1024}$")


def google_user(email: str = "studio@gmail.example") -> dict:
    return {"sub": str(abs(hash(email)) % 10**20), "email": email, "email_verified": True}


class FakeGoogle(FakeServer):
    def __init__(self, *, client_id="google-client.apps.example", client_secret="google-secret-0123456789",
                 rotate=False):  # fmt: skip
        super().__init__()
        self.issuer = TokenIssuer(
            client_id=client_id,
            client_secret=client_secret,
            rotate=rotate,
            invalid_grant={
                "error": "invalid_grant",
                "error_description": "Token has been expired or revoked.",
            },
        )
        self.events: dict[str, dict] = {}
        self.deleted: set[str] = set()
        self.pending_polls = 0  # reads that still see the conference pending, per event
        self._pending_left: dict[str, int] = {}
        self.conference_failure = False

    def expire_tokens(self) -> None:
        self.issuer.expire_all()

    def connect(self, user: dict | None = None) -> str:
        return self.issuer.issue_refresh_token(user or google_user())

    def is_token_endpoint(self, request: Recorded) -> bool:
        return request.path == "/token"

    def rate_body(self, status: int = 429) -> dict:
        return _error(status, "usageLimits", "rateLimitExceeded", "Rate Limit Exceeded")

    def route(self, handler: Handler, request: Recorded):
        if self.is_token_endpoint(request) and request.method == "POST":
            status, body = self.issuer.grant(request.form or {}, request.headers["Authorization"])
            return status, body, {}
        parts = request.path.split("/")  # "", calendar, v3, calendars, {cal}, events, [id]
        if parts[1:4] != ["calendar", "v3", "calendars"] or len(parts) < 6 or parts[5] != "events":
            return 404, _error(404, "global", "notFound", "Not Found"), {}
        if not self.issuer.valid(handler.bearer()):
            return 401, _error(401, "global", "authError", "Invalid Credentials"), {}
        if len(parts) == 6 and request.method == "POST":
            return (*self._insert(request), {})
        if len(parts) == 7:
            return (*self._one(parts[6], request), {})
        return 405, _error(405, "global", "methodNotAllowed", "Not allowed"), {}

    # -- events ----------------------------------------------------------------------------

    def _insert(self, request: Recorded):
        body = request.json or {}
        eid = body.get("id") or "".join(secrets.choice(string.digits + "abcdefghijklmnopqrstuv")
                                        for _ in range(26))  # fmt: skip
        if not EVENT_ID.match(eid):
            return 400, _error(400, "global", "invalidResourceId", "Invalid resource id value.")
        if not body.get("start") or not body.get("end"):
            return 400, _error(400, "global", "required", "Missing end time.")
        with self._lock:
            if eid in self.events or eid in self.deleted:
                return 409, _error(
                    409, "global", "duplicate", "The requested identifier already exists."
                )
            event = {
                "kind": "calendar#event",
                "id": eid,
                "status": "confirmed",
                "htmlLink": f"https://calendar.example/event?eid={eid}",
                "summary": body.get("summary", ""),
                "start": body["start"],
                "end": body["end"],
            }
            create = (body.get("conferenceData") or {}).get("createRequest")
            if request.query.get("conferenceDataVersion") == "1" and create:
                code = "-".join(secrets.token_hex(2)[:3] for _ in range(3))
                event["_code"] = code
                event["conferenceData"] = {
                    "createRequest": {**create, "status": {"statusCode": "pending"}},
                    "conferenceSolution": {"key": {"type": "hangoutsMeet"}, "name": "Google Meet"},
                }
                self._pending_left[eid] = self.pending_polls
            self.events[eid] = event
            answer = self._view(event)
        return 200, answer

    def _view(self, event: dict) -> dict:
        """The event as Google shows it now (a pending conference may settle on this read)."""
        eid = event["id"]
        conference = event.get("conferenceData")
        if conference and conference["createRequest"]["status"]["statusCode"] == "pending":
            left = self._pending_left.get(eid, 0)
            if left <= 0:
                if self.conference_failure:
                    conference["createRequest"]["status"] = {"statusCode": "failure"}
                else:
                    code = event["_code"]
                    conference["createRequest"]["status"] = {"statusCode": "success"}
                    conference["conferenceId"] = code
                    conference["entryPoints"] = [
                        {"entryPointType": "video", "uri": f"https://meet.example/{code}",
                         "label": f"meet.example/{code}"},
                        {"entryPointType": "phone", "uri": "tel:+44-20-3873-7654", "pin": "6054226"},
                    ]  # fmt: skip
                    event["hangoutLink"] = f"https://meet.example/{code}"
            else:
                self._pending_left[eid] = left - 1
        return {k: v for k, v in event.items() if not k.startswith("_")}

    def _one(self, eid: str, request: Recorded):
        with self._lock:
            if eid in self.deleted:
                return 410, _error(410, "global", "deleted", "Resource has been deleted")
            event = self.events.get(eid)
            if event is None:
                return 404, _error(404, "global", "notFound", "Not Found")
            if request.method == "GET":
                return 200, self._view(event)
            if request.method == "PATCH":
                for key in ("summary", "start", "end"):
                    if key in (request.json or {}):
                        event[key] = request.json[key]
                return 200, self._view(event)
            if request.method == "DELETE":
                del self.events[eid]
                self.deleted.add(eid)
                return 204, None
        return 405, _error(405, "global", "methodNotAllowed", "Not allowed")


def _error(code: int, domain: str, reason: str, message: str) -> dict:
    return {
        "error": {
            "errors": [{"domain": domain, "reason": reason, "message": message}],
            "code": code,
            "message": message,
        }
    }
