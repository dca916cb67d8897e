"""The video-provider interface (docs/providers.md) and its registry.

Adding a provider: a module here with a class `Provider(VideoProvider)`, a line in
REGISTRY, a fake in tests/fakes/ if it talks HTTP, and tests against that fake.

| method | when | network |
| --- | --- | --- |
| `create_meeting(spec) -> MeetingRef` | after the booking commits (a task), or inline when `local` | remote providers only |
| `update_meeting(ref, spec) -> MeetingRef` | after a reschedule commits | remote providers only |
| `delete_meeting(ref)` | after a cancel commits; "already gone" is success | remote providers only |
| `join_url(ref, participant) -> str` | on the join page, inside the window only, never inside a transaction | Jitsi signs a JWT; BigBlueButton may re-create a reaped room and Zoom fetches the host's fresh start URL |

Errors raise ProviderError(permanent=...): permanent ones (bad settings, refused
credentials) fail the meeting at once, the others are retried with backoff.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from importlib import import_module
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy

if TYPE_CHECKING:
    from ..models import MeetingAccount

REGISTRY: dict[str, str] = {
    "builtin": "rendezvous.meetings.providers.builtin.Provider",
    "manual": "rendezvous.meetings.providers.manual.Provider",
    "static_link": "rendezvous.meetings.providers.static_link.Provider",
    "jitsi": "rendezvous.meetings.providers.jitsi.Provider",
    "bigbluebutton": "rendezvous.meetings.providers.bigbluebutton.Provider",
    "zoom": "rendezvous.meetings.providers.zoom.Provider",
    "teams": "rendezvous.meetings.providers.teams.Provider",
    "google_meet": "rendezvous.meetings.providers.google_meet.Provider",
}
# What staff read for each REGISTRY key (settings, reports, the pop-up). Product names
# stay as their makers spell them; only our own descriptions translate.
PROVIDER_NAMES = {
    "builtin": gettext_lazy("Rendezvous video room"),
    "static_link": gettext_lazy("Static room link"),
    "manual": gettext_lazy("A link typed per booking"),
    "jitsi": "Jitsi",
    "bigbluebutton": "BigBlueButton",
    "zoom": "Zoom",
    "teams": "Microsoft Teams",
    "google_meet": "Google Meet",
}


class ProviderError(Exception):
    """`permanent`: retrying cannot help. `retry_after`: seconds the provider asked us to wait."""

    def __init__(self, message: str, *, permanent: bool = False, retry_after: float | None = None):
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


@dataclass(frozen=True)
class MeetingSpec:
    """What a provider needs to know about the meeting (no customer data)."""

    meeting_id: str
    title: str
    start: datetime
    end: datetime
    timezone: str
    host_name: str = ""
    host_email: str = ""


@dataclass(frozen=True)
class MeetingRef:
    external_id: str = ""
    join_url: str = ""
    # Out of repr: a ref printed into a log or a traceback must not carry the host's
    # start URL or the password (both are encrypted at rest, meetings.models).
    host_url: str = field(default="", repr=False)
    password: str = field(default="", repr=False)
    instructions: str = ""
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Participant:
    id: str
    name: str
    email: str
    host: bool
    not_before: datetime
    expires: datetime


class VideoProvider:
    name = ""
    # True: no network at all (create/update/delete may run inside the transaction).
    local = False

    def __init__(self, account: MeetingAccount | None):
        self.account = account

    def create_meeting(self, spec: MeetingSpec) -> MeetingRef:
        raise NotImplementedError

    def update_meeting(self, ref: MeetingRef, spec: MeetingSpec) -> MeetingRef:
        return ref

    def delete_meeting(self, ref: MeetingRef) -> None:
        return None

    def join_url(self, ref: MeetingRef, participant: Participant) -> str:
        if participant.host and ref.host_url:
            return ref.host_url
        return ref.join_url


def provider_class(name: str) -> type[VideoProvider]:
    try:
        dotted = REGISTRY[name]
    except KeyError:
        raise ProviderError(f"unknown video provider {name!r}", permanent=True) from None
    module, _dot, attr = dotted.rpartition(".")
    return getattr(import_module(module), attr)


def get_provider(name: str, account: MeetingAccount | None) -> VideoProvider:
    return provider_class(name)(account)
