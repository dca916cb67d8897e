"""`manual`: staff type a link, instructions and a password per booking or session.
Nothing to create: the meeting stays pending until they do (meetings.domain.meeting_set_link)."""

from . import MeetingRef, MeetingSpec, VideoProvider


class Provider(VideoProvider):
    name = "manual"
    local = True

    def create_meeting(self, spec: MeetingSpec) -> MeetingRef:
        return MeetingRef()
