"""A local Zoom (docs/providers.md): a real HTTP server on 127.0.0.1.

    with FakeZoom() as zoom:
        settings.ZOOM_OAUTH_BASE, settings.ZOOM_API_BASE = zoom.oauth_base, zoom.api_base

| endpoint | checks | answers |
| --- | --- | --- |
| `POST /oauth/token` | Basic client_id:client_secret; `grant_type=account_credentials`, `account_id` (query or form) | `{access_token, token_type, expires_in, scope}`; 401 `invalid_client`, 400 `unsupported_grant_type` / `invalid_request` |
| `POST /v2/users/{user}/meetings` | bearer; JSON body rules (type, start_time, duration, topic, agenda, password) | 201 meeting; 400 code 300; 404 code 1001 (unknown user) |
| `GET /v2/users/{user}/meetings` | bearer; `type`, `page_size` (<= 300), `next_page_token` | `{page_size, total_records, next_page_token, meetings: [...]}` |
| `GET /v2/meetings/{id}` | bearer | 200 meeting; 404 code 3001 |
| `PATCH /v2/meetings/{id}` | bearer; a subset of the create body | 204; 404 code 3001 |
| `DELETE /v2/meetings/{id}` | bearer | 204; 404 code 3001 |

Bad or expired bearer: 401 `{"code": 124, "message": "Invalid access token."}`.

Switches (each applies to the next API requests under /v2, not the token endpoint):
`expire_tokens()` (every issued token stops working: one 401, then the client refreshes),
`fail_next(n, status, body)` (500s with a JSON, HTML or empty body),
`rate_limit_next(n, retry_after=..., daily=...)`, `hang_next(n, seconds)` (answers
nothing until after the client's timeout, does nothing), `late_next(n, seconds)` (does
the work, then answers too late). `token_delay` slows the token endpoint (for races).

Every request is recorded in `requests` (method, path, query, json) and
`token_requests` counts token grants asked for.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from .oauth_server import Handler as OAuthHandler

START_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ?$")
PASSWORD = re.compile(r"^[a-zA-Z0-9@\-_*]{1,10}$")


@dataclass
class Recorded:
    method: str
    path: str
    query: dict
    json: dict | None


@dataclass
class _Switch:
    kind: str
    count: int
    options: dict = field(default_factory=dict)


class FakeZoom:
    def __init__(
        self,
        *,
        account_id: str = "acc-1",
        client_id: str = "client-1",
        client_secret: str = "zoom-client-secret-0123456789",
        users: tuple[str, ...] = ("host@example.com",),
        token_ttl: int = 3600,
    ):
        self.account_id, self.client_id, self.client_secret = account_id, client_id, client_secret
        self.users = set(users)
        self.token_ttl = token_ttl
        self.token_delay = 0.0
        self.tokens: dict[str, float] = {}
        self.meetings: dict[int, dict] = {}
        self.requests: list[Recorded] = []
        self.token_requests = 0
        self._ids = itertools.count(85746065432)
        self._switches: list[_Switch] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> FakeZoom:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> FakeZoom:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def oauth_base(self) -> str:
        return self.base

    @property
    def api_base(self) -> str:
        return f"{self.base}/v2"

    # -- switches ------------------------------------------------------------------------

    def expire_tokens(self) -> None:
        with self._lock:
            self.tokens.clear()

    def fail_next(self, n: int = 1, status: int = 500, body: str = "json") -> None:
        self._add(_Switch("fail", n, {"status": status, "body": body}))

    def rate_limit_next(
        self, n: int = 1, *, retry_after: str | None = "1", daily: bool = False
    ) -> None:
        self._add(_Switch("rate", n, {"retry_after": retry_after, "daily": daily}))

    def hang_next(self, n: int = 1, seconds: float = 1.0) -> None:
        self._add(_Switch("hang", n, {"seconds": seconds}))

    def late_next(self, n: int = 1, seconds: float = 1.0) -> None:
        self._add(_Switch("late", n, {"seconds": seconds}))

    def recover(self) -> None:
        with self._lock:
            self._switches.clear()

    def _add(self, switch: _Switch) -> None:
        with self._lock:
            self._switches.append(switch)

    def _take(self) -> _Switch | None:
        with self._lock:
            if not self._switches:
                return None
            switch = self._switches[0]
            switch.count -= 1
            if switch.count <= 0:
                self._switches.pop(0)
            return switch

    # -- helpers for tests ---------------------------------------------------------------

    def calls(self, method: str, prefix: str = "/v2/") -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path.startswith(prefix)]

    def sleep(self, seconds: float) -> None:
        self._stop.wait(seconds)  # released at once by stop()


def _json_body(handler: BaseHTTPRequestHandler, raw: bytes) -> dict | None:
    if not raw:
        return None
    if not handler.headers.get("Content-Type", "").startswith("application/json"):
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


class _Handler(BaseHTTPRequestHandler):
    fake: FakeZoom
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 - quiet test output
        return

    # -- plumbing ------------------------------------------------------------------------

    # The shared fake plumbing, with Zoom's own spelling of the JSON type.
    json_type = "application/json;charset=UTF-8"
    _send = OAuthHandler.send

    def _handle(self) -> None:
        fake = self.fake
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        body = _json_body(self, raw)
        with fake._lock:
            fake.requests.append(Recorded(self.command, parts.path, query, body))
        if parts.path == "/oauth/token" and self.command == "POST":
            form = {k: v[-1] for k, v in parse_qs(raw.decode("latin-1")).items()}
            return self._token({**form, **query})
        if not parts.path.startswith("/v2/"):
            return self._send(404, {"code": 404, "message": "Not found."})
        if not self._authorised():
            return self._send(401, {"code": 124, "message": "Invalid access token."})
        switch = fake._take()
        if switch is not None and switch.kind == "fail":
            kind = switch.options["body"]
            answer = {
                "json": {"code": 500, "message": "Internal error."},
                "html": "<html>oops</html>",
            }
            return self._send(switch.options["status"], answer.get(kind))
        if switch is not None and switch.kind == "rate":
            headers = {"X-RateLimit-Category": "Medium"}
            if switch.options["daily"]:
                headers["X-RateLimit-Type"] = "Daily-limit"
                message = (
                    "You have exceeded the daily rate limit (100) of Meeting Create/Update API "
                    "requests permitted for this particular user. You may resume these requests "
                    "at GMT 00:00:00."
                )
            else:
                headers["X-RateLimit-Type"] = "QPS"
                message = "You have reached the maximum per-second rate limit for this API. Try again later."
            if switch.options["retry_after"] is not None:
                headers["Retry-After"] = switch.options["retry_after"]
            return self._send(429, {"code": 429, "message": message}, headers)
        if switch is not None and switch.kind == "hang":
            fake.sleep(switch.options["seconds"])
            return self._send(503, {"code": 503, "message": "Too late."})
        status, answer = self._api(parts.path, query, body)
        if switch is not None and switch.kind == "late":
            fake.sleep(switch.options["seconds"])
        self._send(status, answer)

    do_GET = do_POST = do_PATCH = do_DELETE = _handle

    def _authorised(self) -> bool:
        value = self.headers.get("Authorization", "")
        if not value.startswith("Bearer "):
            return False
        with self.fake._lock:
            expiry = self.fake.tokens.get(value[7:])
        return expiry is not None and expiry > time.time()

    # -- OAuth ---------------------------------------------------------------------------

    def _token(self, params: dict) -> None:
        fake = self.fake
        with fake._lock:
            fake.token_requests += 1
        if fake.token_delay:
            fake.sleep(fake.token_delay)
        expected = base64.b64encode(f"{fake.client_id}:{fake.client_secret}".encode()).decode()
        if self.headers.get("Authorization", "") != f"Basic {expected}":
            return self._send(
                401, {"reason": "Invalid client_id or client_secret", "error": "invalid_client"}
            )
        if params.get("grant_type") != "account_credentials":
            return self._send(
                400, {"reason": "unsupported grant type", "error": "unsupported_grant_type"}
            )
        if params.get("account_id") != fake.account_id:
            return self._send(400, {"reason": "Invalid account_id", "error": "invalid_request"})
        token = secrets.token_urlsafe(24)
        with fake._lock:
            fake.tokens[token] = time.time() + fake.token_ttl
        self._send(
            200,
            {
                "access_token": token,
                "token_type": "bearer",
                "expires_in": fake.token_ttl,
                "scope": "meeting:write:admin meeting:read:admin",
            },
        )

    # -- meetings ------------------------------------------------------------------------

    def _api(self, path: str, query: dict, body: dict | None) -> tuple[int, dict | None]:
        fake = self.fake
        segments = path.split("/")[2:]  # after "/v2"
        if len(segments) == 3 and segments[0] == "users" and segments[2] == "meetings":
            user = segments[1]
            if user not in fake.users:
                return 404, {"code": 1001, "message": "User does not exist."}
            if self.command == "POST":
                return self._create(user, body)
            if self.command == "GET":
                return self._list(user, query)
        if len(segments) == 2 and segments[0] == "meetings":
            try:
                meeting_id = int(segments[1])
            except ValueError:
                meeting_id = -1
            with fake._lock:
                meeting = fake.meetings.get(meeting_id)
            if meeting is None:
                return 404, {"code": 3001, "message": f"Meeting does not exist: {segments[1]}."}
            if self.command == "GET":
                return 200, meeting
            if self.command == "PATCH":
                errors = _validate(body or {}, partial=True) if body is not None else ["body"]
                if errors:
                    return 400, _validation(errors)
                with fake._lock:
                    meeting.update({k: v for k, v in body.items() if k != "settings"})
                    meeting["settings"].update(body.get("settings") or {})
                return 204, None
            if self.command == "DELETE":
                with fake._lock:
                    fake.meetings.pop(meeting_id, None)
                return 204, None
        return 404, {"code": 404, "message": "Not found."}

    def _create(self, user: str, body: dict | None) -> tuple[int, dict]:
        fake = self.fake
        if body is None:
            return 400, {"code": 300, "message": "Request Body should be a valid JSON object."}
        errors = _validate(body, partial=False)
        if errors:
            return 400, _validation(errors)
        with fake._lock:
            meeting_id = next(fake._ids)
            password = body.get("password") or secrets.token_hex(3)
            meeting = {
                "uuid": base64.b64encode(secrets.token_bytes(16)).decode(),
                "id": meeting_id,
                "host_id": "KDcuGIm1QgePTO8WbOqwIQ",
                "host_email": user,
                "topic": body.get("topic", ""),
                "type": body["type"],
                "status": "waiting",
                "start_time": body.get("start_time"),
                "duration": body.get("duration"),
                "timezone": body.get("timezone", "UTC"),
                "agenda": body.get("agenda", ""),
                "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "start_url": f"{fake.base}/s/{meeting_id}?zak={secrets.token_urlsafe(16)}",
                "join_url": f"{fake.base}/j/{meeting_id}?pwd={secrets.token_urlsafe(12)}",
                "password": password,
                "settings": dict(body.get("settings") or {}),
                "pre_schedule": False,
            }
            fake.meetings[meeting_id] = meeting
        return 201, meeting

    def _list(self, user: str, query: dict) -> tuple[int, dict]:
        fake = self.fake
        try:
            size = min(int(query.get("page_size", 30)), 300)
            start = int(query.get("next_page_token") or 0)
        except ValueError:
            return 400, {"code": 300, "message": "Invalid paging."}
        with fake._lock:
            mine = [m for m in sorted(fake.meetings.values(), key=lambda m: m["id"])
                    if m["host_email"] == user]  # fmt: skip
        page = mine[start : start + size]
        keys = ("uuid", "id", "host_id", "topic", "type", "start_time", "duration", "timezone",
                "agenda", "created_at", "join_url")  # fmt: skip
        return 200, {
            "page_size": size,
            "total_records": len(mine),
            "next_page_token": str(start + size) if start + size < len(mine) else "",
            "meetings": [{k: m[k] for k in keys} for m in page],
        }


def _validate(body: dict, *, partial: bool) -> list[str]:
    """The create body's rules (a PATCH checks only the fields it sends)."""
    rules = {
        "type": lambda v: v in (1, 2, 3, 8),
        "start_time": lambda v: isinstance(v, str) and bool(START_TIME.match(v)),
        "duration": lambda v: isinstance(v, int) and v > 0,
    }
    errors = [
        name
        for name, ok in rules.items()
        if (not partial or name in body) and not ok(body.get(name))
    ]
    if len(str(body.get("topic", ""))) > 200:
        errors.append("topic")
    if len(str(body.get("agenda", ""))) > 2000:
        errors.append("agenda")
    if "password" in body and not PASSWORD.match(str(body["password"])):
        errors.append("password")
    if "settings" in body and not isinstance(body["settings"], dict):
        errors.append("settings")
    return errors


def _validation(fields: list[str]) -> dict:
    return {
        "code": 300,
        "message": "Validation Failed.",
        "errors": [{"field": f, "message": "Invalid field."} for f in fields],
    }
