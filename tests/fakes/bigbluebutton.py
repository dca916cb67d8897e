"""A fake BigBlueButton server: a real HTTP server on 127.0.0.1 that follows
docs/providers.md (the API, not the client).

- `GET /bigbluebutton/api/<call>?<query>&checksum=<hex>`; the checksum is checked over
  the raw query string as received (minus `checksum`), the algorithm told apart by hex
  length (40/64/96/128) among `algorithms`; a mismatch answers the documented
  FAILED/checksumError XML with HTTP 200.
- create (idempotent: the same meetingID answers SUCCESS + duplicateWarning with the
  same createTime; a different name answers idNotUnique), join (302 into the client, or
  XML with redirect=false; role, fullName and a matching createTime required), end,
  isMeetingRunning, getMeetingInfo (notFound for unknown or ended meetings).
- meetings nobody joined are forgotten, as BBB's `meetingExpireIfNoUserJoinedInMinutes`
  does: `expire_unjoined_after` seconds after their creation (real time, checked on each
  request), or at once with `reap()`. A later create makes a new meeting with a new
  createTime; a join into a forgotten one answers invalidMeetingIdentifier.
- failure switches for the next N requests: `fail(n, status)` (HTTP 500 etc., HTML
  body), `unavailable(n, retry_after)` (503 + Retry-After), `hang(n, seconds)` (answers
  nothing for `seconds`, does nothing), `late(n, seconds)` (does the work, answers after
  `seconds`: the "created but the answer was lost" case), and `down` (every connection
  closed without an answer until switched off).

Use as a context manager or `start()`/`stop()`; `api_url` is what a MeetingAccount's url
takes. `created` counts meetings really created, `requests` lists (call, params).
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit
from xml.sax.saxutils import escape

SECRET = "fake-bbb-shared-secret-0123456789abcdef"
HASH_BY_LENGTH = {40: "sha1", 64: "sha256", 96: "sha384", 128: "sha512"}
PREFIX = "/bigbluebutton/api/"


@dataclass
class FakeMeeting:
    meeting_id: str
    name: str
    internal_id: str
    create_time: int
    created_at: float = 0.0  # time.monotonic() at creation
    running: bool = False
    ended: bool = False
    attendees: list[dict] = field(default_factory=list)


def xml(**fields) -> bytes:
    inner = "".join(f"<{k}>{v}</{k}>" for k, v in fields.items())
    return f"<response>{inner}</response>".encode()


def failed(key: str, message: str) -> bytes:
    return xml(returncode="FAILED", messageKey=key, message=escape(message))


class FakeBBB:
    def __init__(
        self,
        secret: str = SECRET,
        algorithms=("sha1", "sha256", "sha384", "sha512"),
        expire_unjoined_after: float | None = None,
    ):
        self.secret = secret
        self.expire_unjoined_after = expire_unjoined_after
        self.reaped: list[str] = []
        self.algorithms = set(algorithms)
        self.meetings: dict[str, FakeMeeting] = {}
        self.created = 0
        self.ended: list[str] = []
        self.requests: list[tuple[str, dict]] = []
        self.down = False
        self._faults: list[tuple[str, float]] = []  # (kind, value), one per request
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._clock = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None

    # -- switches ---------------------------------------------------------------------

    def fail(self, n: int = 1, status: int = 500) -> None:
        self._faults += [("status", status)] * n

    def unavailable(self, n: int = 1, retry_after: int = 120) -> None:
        self._faults += [("503", retry_after)] * n

    def hang(self, n: int = 1, seconds: float = 2.0) -> None:
        self._faults += [("hang", seconds)] * n

    def late(self, n: int = 1, seconds: float = 2.0) -> None:
        self._faults += [("late", seconds)] * n

    def reap(self) -> list[str]:
        """Forget every meeting nobody has joined now (BBB's expiry, without the wait)."""
        with self._lock:
            return self._reap(lambda meeting: True)

    def _reap(self, expired) -> list[str]:
        gone = [
            key
            for key, meeting in self.meetings.items()
            if not meeting.attendees and not meeting.ended and expired(meeting)
        ]
        for key in gone:
            del self.meetings[key]
        self.reaped += gone
        return gone

    # -- server -----------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/bigbluebutton/"

    def start(self) -> FakeBBB:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802
                fake._handle(self)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> FakeBBB:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- requests ---------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        if self.down:
            return self._hang_up(handler)  # no answer at all: the connection just closes
        with self._lock:
            fault = self._faults.pop(0) if self._faults else None
        if fault is not None and fault[0] == "status":
            return self._send(handler, int(fault[1]), b"<html>Internal error</html>", "text/html")
        if fault is not None and fault[0] == "503":
            return self._send(handler, 503, b"", "text/plain", {"Retry-After": str(int(fault[1]))})
        if fault is not None and fault[0] == "hang":
            self._stopping.wait(fault[1])
            return self._hang_up(handler)
        status, body, headers = self._answer(handler.path)
        if fault is not None and fault[0] == "late":
            self._stopping.wait(fault[1])
        ctype = "text/xml" if body else "text/plain"
        self._send(handler, status, body, ctype, headers)

    def _hang_up(self, handler) -> None:
        handler.close_connection = True
        with contextlib.suppress(OSError):
            handler.connection.shutdown(socket.SHUT_RDWR)

    def _send(self, handler, status, body, ctype, headers=None) -> None:
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", ctype)
            handler.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(body)
        except OSError:
            pass  # the client gave up (timeout)

    def verify(self, call: str, raw_query: str) -> bool:
        """BBB's check: the query as received without `checksum`, by the hash's length."""
        parts = raw_query.split("&") if raw_query else []
        given = [p.split("=", 1)[1] for p in parts if p.startswith("checksum=")]
        rest = "&".join(p for p in parts if not p.startswith("checksum="))
        if len(given) != 1:
            return False
        algorithm = HASH_BY_LENGTH.get(len(given[0]))
        if algorithm not in self.algorithms:
            return False
        expected = hashlib.new(algorithm, f"{call}{rest}{self.secret}".encode()).hexdigest()
        return expected == given[0].lower()

    def _answer(self, path: str) -> tuple[int, bytes, dict]:
        parts = urlsplit(path)
        if not parts.path.startswith(PREFIX):
            return 404, b"", {}
        call = parts.path[len(PREFIX) :]
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        with self._lock:
            self.requests.append((call, params))
        if call == "":
            return 200, xml(returncode="SUCCESS", version="2.0"), {}
        if not self.verify(call, parts.query):
            return 200, failed("checksumError", "Checksums do not match"), {}
        handler = getattr(self, f"_{call}", None)
        if handler is None:
            return 200, failed("unsupportedRequest", "This request is not supported."), {}
        params.pop("checksum", None)
        with self._lock:
            if self.expire_unjoined_after is not None:
                limit = time.monotonic() - self.expire_unjoined_after
                self._reap(lambda meeting: meeting.created_at <= limit)
            return handler(params)

    def _meeting(self, params) -> FakeMeeting | None:
        meeting = self.meetings.get(params.get("meetingID", ""))
        return None if meeting is None or meeting.ended else meeting

    def _create(self, p) -> tuple[int, bytes, dict]:
        meeting_id, name = p.get("meetingID", ""), p.get("name", "")
        if not meeting_id:
            return 200, failed("missingParamMeetingID", "You must specify a meeting ID."), {}
        if not 2 <= len(name) <= 64 or not 2 <= len(meeting_id) <= 256 or "," in meeting_id:
            return 200, failed("invalidParam", "name or meetingID out of bounds"), {}
        meeting = self._meeting(p)
        extra = {}
        if meeting is not None:
            if meeting.name != name:
                return 200, failed("idNotUnique", "A meeting already exists with that ID."), {}
            extra = {
                "messageKey": "duplicateWarning",
                "message": "This conference was already in existence and may currently be "
                "in progress.",
            }
        else:
            create_time = int(time.time() * 1000) + next(self._clock)
            meeting = FakeMeeting(
                meeting_id=meeting_id,
                name=name,
                internal_id=f"{hashlib.sha1(meeting_id.encode()).hexdigest()}-{create_time}",
                create_time=create_time,
                created_at=time.monotonic(),
            )
            self.meetings[meeting_id] = meeting
            self.created += 1
        body = xml(
            returncode="SUCCESS",
            meetingID=escape(meeting.meeting_id),
            internalMeetingID=meeting.internal_id,
            parentMeetingID="bbb-none",
            createTime=meeting.create_time,
            voiceBridge="70757",
            hasUserJoined=str(bool(meeting.attendees)).lower(),
            duration="0",
            hasBeenForciblyEnded="false",
            **extra,
        )
        return 200, body, {}

    def _join(self, p) -> tuple[int, bytes, dict]:
        meeting = self._meeting(p)
        if meeting is None:
            return 200, failed("invalidMeetingIdentifier", "The meeting ID does not exist."), {}
        if "createTime" in p and p["createTime"] != str(meeting.create_time):
            return 200, failed("mismatchCreateTimeParam", "createTime mismatch."), {}
        if p.get("role") not in ("MODERATOR", "VIEWER") or not p.get("fullName"):
            return 200, failed("missingParam", "role and fullName are required."), {}
        meeting.running = True
        meeting.attendees.append(
            {"userID": p.get("userID", ""), "fullName": p["fullName"], "role": p["role"]}
        )
        session = hashlib.sha1(repr(meeting.attendees).encode()).hexdigest()[:16]
        client = f"{self.url}/html5client/join?{urlencode({'sessionToken': session})}"
        if p.get("redirect") == "false":
            body = xml(
                returncode="SUCCESS",
                messageKey="successfullyJoined",
                meeting_id=meeting.internal_id,
                user_id=escape(p.get("userID", "")),
                session_token=session,
                url=escape(client),
            )
            return 200, body, {}
        return 302, b"", {"Location": client}

    def _end(self, p) -> tuple[int, bytes, dict]:
        meeting = self._meeting(p)
        if meeting is None:
            return 200, failed("notFound", "We could not find a meeting with that meeting ID"), {}
        meeting.ended, meeting.running = True, False
        self.ended.append(meeting.meeting_id)
        body = xml(
            returncode="SUCCESS",
            messageKey="sentEndMeetingRequest",
            message="A request to end the meeting was sent.",
        )
        return 200, body, {}

    def _isMeetingRunning(self, p) -> tuple[int, bytes, dict]:  # noqa: N802
        meeting = self._meeting(p)
        running = bool(meeting and meeting.running)
        return 200, xml(returncode="SUCCESS", running=str(running).lower()), {}

    def _getMeetingInfo(self, p) -> tuple[int, bytes, dict]:  # noqa: N802
        meeting = self._meeting(p)
        if meeting is None:
            return 200, failed("notFound", "We could not find a meeting with that meeting ID"), {}
        attendees = "".join(
            f"<attendee><userID>{escape(a['userID'])}</userID>"
            f"<fullName>{escape(a['fullName'])}</fullName><role>{a['role']}</role></attendee>"
            for a in meeting.attendees
        )
        body = xml(
            returncode="SUCCESS",
            meetingName=escape(meeting.name),
            meetingID=escape(meeting.meeting_id),
            internalMeetingID=meeting.internal_id,
            createTime=meeting.create_time,
            running=str(meeting.running).lower(),
            participantCount=len(meeting.attendees),
            moderatorCount=sum(a["role"] == "MODERATOR" for a in meeting.attendees),
            attendees=attendees,
        )
        return 200, body, {}
