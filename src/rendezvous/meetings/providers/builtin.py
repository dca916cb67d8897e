"""`builtin`: the video room Rendezvous serves itself (rendezvous.rooms), the default
for a company that switches online meetings on without connecting a provider.

Nothing is created anywhere: the room exists as soon as the meeting does, and a
participant reaches it only through their own /join/<token>/ page, which renders the
room inside the window instead of redirecting (public.join). The meeting's
`join_url` is therefore an identifier that marks it ready, not a page to open; the
server checks the token and the window again on every WebSocket connect.
"""

from django.conf import settings

from . import MeetingRef, MeetingSpec, Participant, VideoProvider


class Provider(VideoProvider):
    name = "builtin"
    local = True

    def create_meeting(self, spec: MeetingSpec) -> MeetingRef:
        return MeetingRef(
            external_id=spec.meeting_id,
            join_url=f"{settings.BASE_URL}/join/room/{spec.meeting_id}/",
        )

    def join_url(self, ref: MeetingRef, participant: Participant) -> str:
        # The join page itself is the room; there is no other address to hand out.
        return ref.join_url
