"""The room as part of the join page (public.join renders it inside the window).

The browser gets no name, id or secret it could change to its advantage: the socket
path carries the same join token as the page's URL, and the server decides who the
participant is on every connect (rooms.domain.room_admit). The strings the script
shows are translated here and handed over with json_script.
"""

from django.conf import settings
from django.utils.csp import CSP, build_policy
from django.utils.translation import gettext as _

from rendezvous.core.rooms import builtin_room_seats
from rendezvous.core.security import BASE_POLICY


def room_strings() -> dict[str, str]:
    return {
        "connecting": _("Connecting…"),
        "reconnecting": _("Connection lost. Reconnecting…"),
        "joined": _("You are in the meeting."),
        "alone": _("Waiting for the others to join."),
        "peer_joined": _("%(name)s joined."),
        "peer_left": _("%(name)s left."),
        "peer_returning": _("%(name)s is reconnecting…"),
        "mic_on": _("Mute microphone"),
        "mic_off": _("Unmute microphone"),
        "cam_on": _("Turn camera off"),
        "cam_off": _("Turn camera on"),
        "share": _("Share screen"),
        "unshare": _("Stop sharing"),
        "you": _("%(name)s (you)"),
        "no_devices": _(
            "No camera or microphone was found. You can still join and hear and see the others."
        ),
        "denied": _(
            "The browser did not allow the camera or microphone. Allow them in the address "
            "bar's site settings and reload, or join without them."
        ),
        "audio_only": _("No camera available: you join with sound only."),
        "no_webrtc": _(
            "This browser cannot take part in video meetings. Please use a current Firefox, "
            "Chrome, Edge or Safari."
        ),
        "share_failed": _("Screen sharing did not start."),
        "ended_host": _("The host ended this meeting."),
        "ended_time": _("This meeting has ended."),
        "left": _("You left the meeting."),
        "refused_early": _("The meeting has not opened yet. This page opens it when it is time."),
        "refused_ended": _("This meeting has ended."),
        "refused_forbidden": _("This link does not give access to the meeting any more."),
        "refused_unknown": _("This link does not give access to the meeting any more."),
        "refused_full": _(
            "The meeting is full (at most %(max)s participants). Please contact the organiser."
        ),
        "replaced": _("You joined this meeting in another window; this one was disconnected."),
        "peer_problem": _("The connection to %(name)s is poor; trying again…"),
        "default_device": _("Default"),
        "camera_n": _("Camera %(n)s"),
        "mic_n": _("Microphone %(n)s"),
    }


def room_context(*, token: str, meeting, host: bool) -> dict:
    cap = settings.ROOM_MAX_PARTICIPANTS
    capacity = meeting.session.capacity if meeting.session_id else 1
    return {
        "ws_path": f"/ws/join/{token}/",
        "host": host,
        "max": cap,
        # A class larger than the mesh can carry: tell its host what to use instead.
        "too_big": host and capacity > builtin_room_seats(),
        "strings": room_strings(),
    }


def room_policy(response):
    """The join page's policy, plus what the room needs: its socket (same origin),
    live media, and the camera, microphone and screen for this page only."""
    policy = dict(BASE_POLICY)
    policy["frame-ancestors"] = [CSP.NONE]
    policy["media-src"] = [CSP.SELF, "blob:", "mediastream:"]
    response.headers[str(CSP.HEADER_ENFORCE)] = build_policy(policy)
    response.headers["Permissions-Policy"] = (
        "camera=(self), microphone=(self), display-capture=(self)"
    )
    return response
