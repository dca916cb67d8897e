"""What the OAuth fakes share: a real HTTP server on 127.0.0.1 with switches, and an
OAuth 2.0 authorization server (RFC 6749 + PKCE, RFC 7636) that FakeGraph, FakeGoogle
and FakeZoomOAuth put behind their token endpoints.

`TokenIssuer`, the authorization server:

| call | what it checks | answers |
| --- | --- | --- |
| `authorize(query)` (tests, standing in for the browser's sign-in) | `response_type=code`, `client_id`, the registered `redirect_uri`, S256 `code_challenge` | a one-time code bound to the client, redirect URI, challenge and the signed-in user |
| `grant(form, basic)` `authorization_code` | client auth (form or Basic, as the provider wants), code unused and unexpired, redirect URI and PKCE verifier match | access + refresh token (+ `id_token` with the user's claims when `openid` was asked) |
| `grant(form, basic)` `refresh_token` | client auth; the refresh token live | a new access token and, when `rotate`, a new refresh token while the old one dies; a spent or unknown one is `invalid_grant` (`reused` counts reuse) |

Switches on the server (each for the next N requests it names): `fail_next(n, status,
body)` 5xx with a JSON, HTML or empty body, `rate_limit_next(n, retry_after)` 429,
`hang_next(n, seconds)` (answers after the client gave up, does nothing),
`late_next(n, seconds)` (does the work, answers too late), `fail_token_next(n,
status)` for the token endpoint; `expire_tokens()` kills every access token (one 401,
then the client refreshes); `token_delay` slows the token endpoint (for races).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import jwt


@dataclass
class Recorded:
    method: str
    path: str
    query: dict
    json: dict | None
    form: dict | None = None
    headers: dict = field(default_factory=dict)


@dataclass
class _Switch:
    kind: str
    count: int
    options: dict = field(default_factory=dict)


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    challenge: str
    scope: str
    user: dict
    expires: float


class TokenIssuer:
    """An OAuth 2.0 authorization server's token logic (thread-safe)."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        redirect_uri: str = "",
        basic_auth: bool = False,
        rotate: bool = True,
        token_ttl: int = 3600,
        invalid_grant: dict | None = None,
        issuer: str = "https://fake.invalid",
    ):
        self.client_id, self.client_secret = client_id, client_secret
        self.redirect_uri = redirect_uri  # "" accepts any (set it to check ours is fixed)
        self.basic_auth = basic_auth
        self.rotate = rotate
        self.token_ttl = token_ttl
        self.invalid_grant = invalid_grant or {
            "error": "invalid_grant",
            "error_description": "The refresh token is invalid.",
        }
        self.issuer = issuer
        self.access: dict[str, float] = {}  # token -> expiry (time.time)
        self.access_user: dict[str, dict] = {}  # token -> the user it acts for
        self.refresh: dict[str, dict] = {}  # live refresh token -> user
        self.spent: set[str] = set()
        self.codes: dict[str, _Code] = {}
        self.grants: list[str] = []  # grant_type of every successful token answer
        self.reused = 0  # spent refresh tokens presented again
        self._lock = threading.Lock()

    # -- the browser side (what the tests do instead of a person signing in) --------------

    def authorize(self, query: dict, user: dict | None = None) -> str:
        """A code for the sign-in our connect view asked for; AssertionError on a bad request."""
        assert query.get("response_type") == "code", query
        assert query.get("client_id") == self.client_id, "unknown client_id"
        assert query.get("redirect_uri"), "no redirect_uri"
        if self.redirect_uri:
            assert query["redirect_uri"] == self.redirect_uri, query["redirect_uri"]
        assert query.get("code_challenge_method") == "S256" and query.get("code_challenge")
        code = secrets.token_urlsafe(24)
        with self._lock:
            self.codes[code] = _Code(
                client_id=query["client_id"],
                redirect_uri=query["redirect_uri"],
                challenge=query["code_challenge"],
                scope=query.get("scope", ""),
                user=dict(user or {}),
                expires=time.time() + 600,
            )
        return code

    def issue_refresh_token(self, user: dict | None = None) -> str:
        """A refresh token as if someone had connected (for tests that skip the sign-in)."""
        token = secrets.token_urlsafe(32)
        with self._lock:
            self.refresh[token] = dict(user or {})
        return token

    # -- the token endpoint ---------------------------------------------------------------

    def grant(self, form: dict, authorization: str) -> tuple[int, dict]:
        if not self._client_ok(form, authorization):
            return 401, {"error": "invalid_client", "error_description": "Bad client."}
        kind = form.get("grant_type")
        if kind == "authorization_code":
            return self._code_grant(form)
        if kind == "refresh_token":
            return self._refresh_grant(form)
        return 400, {"error": "unsupported_grant_type"}

    def _client_ok(self, form: dict, authorization: str) -> bool:
        if self.basic_auth:
            expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
            return authorization == f"Basic {expected}" and "client_secret" not in form
        return (
            form.get("client_id") == self.client_id
            and form.get("client_secret") == self.client_secret
        )

    def _code_grant(self, form: dict) -> tuple[int, dict]:
        with self._lock:
            code = self.codes.pop(form.get("code", ""), None)  # one use, even when refused
        if code is None or code.expires < time.time():
            return 400, {**self.invalid_grant, "error_description": "The code is invalid."}
        if form.get("redirect_uri") != code.redirect_uri:
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri mismatch."}
        verifier = form.get("code_verifier", "")
        digest = hashlib.sha256(verifier.encode()).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != code.challenge:
            return 400, {"error": "invalid_grant", "error_description": "PKCE check failed."}
        return 200, self._tokens(code.user, code.scope, kind="authorization_code", new_refresh=True)

    def _refresh_grant(self, form: dict) -> tuple[int, dict]:
        token = form.get("refresh_token", "")
        with self._lock:
            user = self.refresh.get(token)
            if user is None:
                if token in self.spent:
                    self.reused += 1
                return 400, dict(self.invalid_grant)
            if self.rotate:
                del self.refresh[token]
                self.spent.add(token)
        return 200, self._tokens(user, form.get("scope", ""), kind="refresh_token",
                                 new_refresh=self.rotate)  # fmt: skip

    def _tokens(self, user: dict, scope: str, *, kind: str, new_refresh: bool) -> dict:
        access = secrets.token_urlsafe(24)
        answer = {
            "token_type": "Bearer",
            "access_token": access,
            "expires_in": self.token_ttl,
            "scope": scope,
        }
        with self._lock:
            self.access[access] = time.time() + self.token_ttl
            self.access_user[access] = user
            if new_refresh:
                refresh = secrets.token_urlsafe(32)
                self.refresh[refresh] = user
                answer["refresh_token"] = refresh
            self.grants.append(kind)
        if "openid" in scope.split() and user:
            claims = {"iss": self.issuer, "aud": self.client_id, "iat": int(time.time()), **user}
            answer["id_token"] = jwt.encode(claims, secrets.token_hex(16), algorithm="HS256")
        return answer

    def valid(self, bearer: str) -> bool:
        with self._lock:
            expiry = self.access.get(bearer)
        return expiry is not None and expiry > time.time()

    def user_of(self, bearer: str) -> dict:
        with self._lock:
            return dict(self.access_user.get(bearer) or {})

    def expire_all(self) -> None:
        with self._lock:
            self.access.clear()


class FakeServer:
    """A ThreadingHTTPServer on 127.0.0.1 whose handler calls `self.route(...)`."""

    def __init__(self):
        self.requests: list[Recorded] = []
        self.token_delay = 0.0
        self._switches: list[_Switch] = []
        self._token_switches: list[_Switch] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server: ThreadingHTTPServer | None = None

    # -- lifecycle -----------------------------------------------------------------------

    def start(self):
        handler = type("Handler", (Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- switches ------------------------------------------------------------------------

    def fail_next(self, n: int = 1, status: int = 500, body: str = "json", retry_after=None):
        self._add(_Switch("fail", n, {"status": status, "body": body, "retry_after": retry_after}))

    def rate_limit_next(self, n: int = 1, *, retry_after: str | None = "1", status: int = 429):
        self._add(_Switch("rate", n, {"retry_after": retry_after, "status": status}))

    def hang_next(self, n: int = 1, seconds: float = 1.0) -> None:
        self._add(_Switch("hang", n, {"seconds": seconds}))

    def late_next(self, n: int = 1, seconds: float = 1.0) -> None:
        self._add(_Switch("late", n, {"seconds": seconds}))

    def fail_token_next(self, n: int = 1, status: int = 503) -> None:
        with self._lock:
            self._token_switches.append(_Switch("fail", n, {"status": status}))

    def recover(self) -> None:
        with self._lock:
            self._switches.clear()
            self._token_switches.clear()

    def _add(self, switch: _Switch) -> None:
        with self._lock:
            self._switches.append(switch)

    def take(self, token_endpoint: bool = False) -> _Switch | None:
        with self._lock:
            queue = self._token_switches if token_endpoint else self._switches
            if not queue:
                return None
            switch = queue[0]
            switch.count -= 1
            if switch.count <= 0:
                queue.pop(0)
            return switch

    def sleep(self, seconds: float) -> None:
        self._stop.wait(seconds)  # released at once by stop()

    # -- for the tests -------------------------------------------------------------------

    def calls(self, method: str, prefix: str = "/") -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path.startswith(prefix)]

    def route(self, handler: Handler, request: Recorded) -> tuple[int, object, dict]:
        raise NotImplementedError

    def is_token_endpoint(self, request: Recorded) -> bool:
        return False

    def rate_body(self, status: int = 429) -> dict:
        return {"error": {"code": "TooManyRequests", "message": "Too many requests."}}


class Handler(BaseHTTPRequestHandler):
    fake: FakeServer
    protocol_version = "HTTP/1.1"
    json_type = "application/json; charset=UTF-8"

    def log_message(self, format, *args):  # noqa: A002 - quiet test output
        return

    def send(self, status: int, body=None, headers: dict | None = None) -> None:
        """A dict as JSON, a str as HTML, else an empty body; a client that already
        hung up (a timeout test) is not an error."""
        if isinstance(body, dict):
            payload, ctype = json.dumps(body).encode(), self.json_type
        elif isinstance(body, str):
            payload, ctype = body.encode(), "text/html"
        else:
            payload, ctype = b"", None
        try:
            self.send_response(status)
            if ctype:
                self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)

    def _handle(self) -> None:
        fake = self.fake
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        ctype = self.headers.get("Content-Type", "")
        body = form = None
        if raw and ctype.startswith("application/json"):
            try:
                loaded = json.loads(raw)
            except ValueError:
                loaded = None
            body = loaded if isinstance(loaded, dict) else None
        elif raw and ctype.startswith("application/x-www-form-urlencoded"):
            form = {k: v[-1] for k, v in parse_qs(raw.decode("utf-8")).items()}
        recorded = Recorded(
            self.command,
            parts.path,
            query,
            body,
            form,
            {"Authorization": self.headers.get("Authorization", "")},
        )
        with fake._lock:
            fake.requests.append(recorded)
        token_endpoint = fake.is_token_endpoint(recorded)
        if token_endpoint and fake.token_delay:
            fake.sleep(fake.token_delay)
        switch = fake.take(token_endpoint=token_endpoint)
        if switch is not None and switch.kind == "fail":
            answer = {"json": {"error": {"code": "InternalServerError", "message": "oops"}},
                      "html": "<html>oops</html>"}.get(switch.options.get("body", "json"))  # fmt: skip
            headers = {}
            if switch.options.get("retry_after"):
                headers["Retry-After"] = switch.options["retry_after"]
            return self.send(switch.options["status"], answer, headers)
        if switch is not None and switch.kind == "rate":
            headers = {}
            if switch.options["retry_after"] is not None:
                headers["Retry-After"] = switch.options["retry_after"]
            return self.send(
                switch.options["status"], fake.rate_body(switch.options["status"]), headers
            )
        if switch is not None and switch.kind == "hang":
            fake.sleep(switch.options["seconds"])
            return self.send(503, {"error": {"code": "TooLate", "message": "Too late."}})
        status, answer, headers = fake.route(self, recorded)
        if switch is not None and switch.kind == "late":
            fake.sleep(switch.options["seconds"])
        self.send(status, answer, headers)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle

    def bearer(self) -> str:
        value = self.headers.get("Authorization", "")
        return value[7:] if value.startswith("Bearer ") else ""
