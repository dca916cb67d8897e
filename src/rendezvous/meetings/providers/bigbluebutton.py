"""`bigbluebutton`: a BigBlueButton server (or Scalelite) through its API
(docs/providers.md).

Every call is `GET <base>/bigbluebutton/api/<call>?<query>&checksum=<hex>`, the checksum
being HEX(HASH(call + query + shared secret)) over exactly the query we send. Answers
are XML with a `returncode`: HTTP 200 alone means nothing.

| method | call | notes |
| --- | --- | --- |
| create_meeting | `create?name&meetingID&record=false` | meetingID `rdv-<our meeting id>`: a retry after a lost answer gets `duplicateWarning` and the same meeting, never a second one; the same parameters every time |
| update_meeting | none | BBB has no update; the schedule is ours, the meetingID stays |
| delete_meeting | `end?meetingID` | `notFound` (already ended or reaped) counts as done |
| join_url | `create` again (same parameters), then a signed `join?fullName&meetingID&role&userID&createTime` | minted per participant on the join page; the name is covered by the checksum so it cannot be edited |

The stored join URL is the unsigned `join?meetingID&createTime&name` (useless without a
checksum); it keeps the createTime and the exact name the meeting was created with.

Why join_url() creates the meeting again: BBB removes a meeting nobody joined within
`meetingExpireIfNoUserJoinedInMinutes` (5 by default) of its creation, so the meeting
the task made days ahead is usually gone when the first participant arrives, and a
join into it fails; BBB's own advice is to call create again right before handing
out join URLs. Create is idempotent, so calling it at every join:

| BBB has | create answers | the join URL carries |
| --- | --- | --- |
| the meeting (someone is in it, or it was just created) | SUCCESS, duplicateWarning, the same createTime | that createTime: the same room as everyone else |
| nothing (reaped, or ended by its duration) | SUCCESS with a new createTime | the new createTime |
| a temporary error, or idNotUnique | - | the stored createTime (best effort: right while the meeting lives) |
| checksumError (wrong secret) | - | nothing: ProviderError, the join page says so |

A sweep that creates the meeting just before the window opens was the alternative;
it fails whenever nobody joins within BBB's few minutes after the sweep (a customer
arriving 10 minutes late to find the host absent), and costs a periodic task. One
extra idempotent call per join page visit costs nothing that matters. join_url() is
only called on the join page (meetings.domain.reveal mints for join tokens only),
never inside a transaction.

| answer | ProviderError |
| --- | --- |
| transport error, timeout, 5xx, 429 (Retry-After kept) | temporary (providers.http) |
| other 4xx | permanent |
| FAILED checksumError (wrong secret or algorithm), missingParam*, idNotUnique, invalid* | permanent |
| any other FAILED, an answer that is not BBB XML | temporary (bounded retries) |

The checksum algorithm is settings.BBB_CHECKSUM_ALGORITHM (sha256 by default; sha1 for
servers older than 2.5). The shared secret never leaves this module: errors carry the
call and BBB's messageKey only, never a URL or a body.
"""

from __future__ import annotations

import hashlib
import ipaddress
from urllib.parse import parse_qs, urlencode, urlsplit
from xml.etree import ElementTree

from django.conf import settings

from . import MeetingRef, MeetingSpec, Participant, ProviderError, VideoProvider
from .http import request

ALGORITHMS = ("sha1", "sha256", "sha384", "sha512")
DEFAULT_ALGORITHM = "sha256"
PREFIX = "rdv-"
NAME_MAX = 64
PERMANENT_KEYS = {"checksumError", "idNotUnique", "notAuthorized"}


class Failed(ProviderError):
    """BBB answered returncode FAILED; `key` is its messageKey."""

    def __init__(self, call: str, key: str):
        super().__init__(f"bigbluebutton: {call} FAILED ({key})", permanent=_permanent(key))
        self.key = key


def checksum(call: str, query: str, secret: str, algorithm: str = DEFAULT_ALGORITHM) -> str:
    """HEX(HASH(call + query + secret)), `query` exactly as sent, without `checksum`."""
    if algorithm not in ALGORITHMS:
        raise ProviderError(f"bigbluebutton: unsupported checksum {algorithm!r}", permanent=True)
    return hashlib.new(algorithm, f"{call}{query}{secret}".encode()).hexdigest()


def meeting_id_for(spec_meeting_id: str) -> str:
    return f"{PREFIX}{spec_meeting_id}"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Provider(VideoProvider):
    name = "bigbluebutton"
    local = False

    # -- settings ---------------------------------------------------------------------

    def _api(self) -> str:
        """The API base, `https://host[/prefix]/bigbluebutton/api`, from the account URL
        (`https://host`, `.../bigbluebutton/` or `.../bigbluebutton/api` all work)."""
        account = self.account
        if account is None or not account.url or not account.secret:
            raise ProviderError(
                "bigbluebutton account needs the server URL and the shared secret", permanent=True
            )
        parts = urlsplit(account.url)
        host = parts.hostname or ""
        # http only for a server on this machine (a local test server); the checksum
        # does not reveal the secret, but join links must not travel in clear text.
        if not host or not (
            parts.scheme == "https" or parts.scheme == "http" and _is_loopback(host)
        ):
            raise ProviderError(
                "bigbluebutton URL must be https://<server>/bigbluebutton/", permanent=True
            )
        path = parts.path.rstrip("/")
        if path.endswith("/bigbluebutton/api"):
            pass
        elif path.endswith("/bigbluebutton"):
            path += "/api"
        else:
            path += "/bigbluebutton/api"
        return f"{parts.scheme}://{parts.netloc}{path}"

    def _algorithm(self) -> str:
        algorithm = getattr(settings, "BBB_CHECKSUM_ALGORITHM", DEFAULT_ALGORITHM)
        if algorithm not in ALGORITHMS:
            raise ProviderError(
                f"bigbluebutton: BBB_CHECKSUM_ALGORITHM must be one of {', '.join(ALGORITHMS)}",
                permanent=True,
            )
        return algorithm

    def _signed(self, call: str, params: list[tuple[str, str]]) -> str:
        query = urlencode(params)
        # Without an account this failed before too (on .secret); _api() says so politely.
        assert self.account is not None
        digest = checksum(call, query, self.account.secret, self._algorithm())
        joined = f"{query}&checksum={digest}" if query else f"checksum={digest}"
        return f"{self._api()}/{call}?{joined}"

    # -- calls ------------------------------------------------------------------------

    def _call(self, call: str, params: list[tuple[str, str]]) -> ElementTree.Element:
        """GET one API call; return the XML root when returncode is SUCCESS."""
        response = request(self.name, "GET", self._signed(call, params))
        try:
            root = ElementTree.fromstring(response.content)
        except ElementTree.ParseError:
            raise ProviderError(f"bigbluebutton: {call} answered without XML") from None
        code = root.findtext("returncode")
        if root.tag != "response" or code is None:
            raise ProviderError(f"bigbluebutton: {call} answered without a returncode")
        if code == "SUCCESS":
            return root
        key = (root.findtext("messageKey") or "unknown").strip()[:64]
        raise Failed(call, key)

    def create_meeting(self, spec: MeetingSpec) -> MeetingRef:
        meeting_id = meeting_id_for(spec.meeting_id)
        # Same parameters on every call, so a retry is the documented duplicate create.
        params = [
            ("name", _meeting_name(spec.title)),
            ("meetingID", meeting_id),
            ("record", "false"),
        ]
        root = self._call("create", params)
        if (root.findtext("meetingID") or meeting_id) != meeting_id:
            raise ProviderError("bigbluebutton: create answered for another meeting")
        create_time = (root.findtext("createTime") or "").strip()
        query = [("meetingID", meeting_id)]
        if create_time.isdigit():
            query.append(("createTime", create_time))
        query.append(("name", params[0][1]))
        return MeetingRef(external_id=meeting_id, join_url=f"{self._api()}/join?{urlencode(query)}")

    def _create_again(self, ref: MeetingRef) -> str:
        """Create the meeting again (idempotent) so a reaped one is back before anyone
        joins; its createTime, or the stored one when BBB could not say."""
        stored = parse_qs(urlsplit(ref.join_url).query)
        create_time = stored.get("createTime", [""])[0]
        name = stored.get("name", [""])[0]
        if not name:
            return create_time  # stored before names were kept: cannot repeat the create
        params = [("name", name), ("meetingID", ref.external_id), ("record", "false")]
        try:
            root = self._call("create", params)
        except Failed as exc:
            if exc.key == "idNotUnique" or not exc.permanent:
                return create_time
            raise
        except ProviderError as exc:
            if exc.permanent:
                raise
            return create_time  # BBB unreachable for a moment: the stored one may still work
        fresh = (root.findtext("createTime") or "").strip()
        return fresh if fresh.isdigit() else create_time

    def update_meeting(self, ref: MeetingRef, spec: MeetingSpec) -> MeetingRef:
        return ref

    def delete_meeting(self, ref: MeetingRef) -> None:
        if not ref.external_id:
            return
        try:
            self._call("end", [("meetingID", ref.external_id)])
        except Failed as exc:
            if exc.key == "notFound":
                return  # already ended, reaped or never created: gone either way
            raise

    def join_url(self, ref: MeetingRef, participant: Participant) -> str:
        if not ref.external_id:
            raise ProviderError("bigbluebutton: the meeting has no id yet", permanent=True)
        create_time = self._create_again(ref)
        params = [
            ("fullName", participant.name.strip() or ("Host" if participant.host else "Guest")),
            ("meetingID", ref.external_id),
            ("role", "MODERATOR" if participant.host else "VIEWER"),
            ("userID", participant.id),
        ]
        if create_time.isdigit():
            params.append(("createTime", create_time))
        return self._signed("join", params)


def _permanent(key: str) -> bool:
    return key in PERMANENT_KEYS or key.startswith(("missingParam", "invalid"))


def _meeting_name(title: str) -> str:
    """BBB wants 2 to 64 characters."""
    name = " ".join(title.split())[:NAME_MAX].strip()
    return name if len(name) >= 2 else "Meeting"
