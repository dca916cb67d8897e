"""`jitsi`: a self-hosted Jitsi Meet with token authentication (docs/providers.md).

Nothing is created on the server: a meeting is an unguessable room name, and each
participant gets their own HS256 JWT, minted when they follow our join link inside
the window. Prosody checks `nbf`/`exp` without leeway, so `nbf` is the window's
opening less SKEW and `exp` the meeting's end plus GRACE (reconnects after a drop).

| claim | value |
| --- | --- |
| iss, aud | the account's app id |
| sub | the Jitsi domain |
| room | `rdv-<32 hex>` (lower case: Prosody compares lower-cased) |
| nbf, exp | window opening - 60 s, end + 15 min |
| context.user | id, name, email, moderator (the host only) |

The account's secret never leaves this module and is never logged.
"""

import secrets
from datetime import timedelta
from urllib.parse import urlsplit

import jwt

from . import MeetingRef, MeetingSpec, Participant, ProviderError, VideoProvider

SKEW = timedelta(seconds=60)
GRACE = timedelta(minutes=15)


class Provider(VideoProvider):
    name = "jitsi"
    local = True

    def _base(self) -> tuple[str, str]:
        account = self.account
        if account is None or not account.url or not account.app_id or not account.secret:
            raise ProviderError("jitsi account needs a URL, an app id and a secret", permanent=True)
        parts = urlsplit(account.url)
        if parts.scheme != "https" or not parts.hostname:
            raise ProviderError("jitsi URL must be https://<domain>", permanent=True)
        return f"https://{parts.netloc}{parts.path.rstrip('/')}", parts.hostname

    def create_meeting(self, spec: MeetingSpec) -> MeetingRef:
        base, _domain = self._base()
        room = f"rdv-{secrets.token_hex(16)}"
        return MeetingRef(external_id=room, join_url=f"{base}/{room}")

    def join_url(self, ref: MeetingRef, participant: Participant) -> str:
        _base, domain = self._base()
        assert self.account is not None  # _base raised otherwise
        claims = {
            "iss": self.account.app_id,
            "aud": self.account.app_id,
            "sub": domain,
            "room": ref.external_id.lower(),
            "nbf": int((participant.not_before - SKEW).timestamp()),
            "exp": int((participant.expires + GRACE).timestamp()),
            "context": {
                "user": {
                    "id": participant.id,
                    "name": participant.name,
                    "email": participant.email,
                    "moderator": participant.host,
                }
            },
        }
        token = jwt.encode(claims, self.account.secret, algorithm="HS256")
        return f"{ref.join_url}?jwt={token}"
