"""`static_link`: a staff member's permanent room (their MeetingAccount's URL)."""

from . import MeetingRef, MeetingSpec, ProviderError, VideoProvider


class Provider(VideoProvider):
    name = "static_link"
    local = True

    def create_meeting(self, spec: MeetingSpec) -> MeetingRef:
        url = self.account.url if self.account else ""
        if not url:
            raise ProviderError("static_link account has no room URL", permanent=True)
        return MeetingRef(join_url=url)
