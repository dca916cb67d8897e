"""How many customers the built-in video room holds, for every layer that plans a class.

The room (rendezvous.rooms) is a peer-to-peer mesh: ROOM_MAX_PARTICIPANTS counts every
browser connected, the class's host among them. The number sits down here because the
room, the meetings domain (which refuses an online class too large for it) and the demo
all need the same one, and they live on different layers.
"""

from django.conf import settings

# One host token per meeting: the session's staff member.
ROOM_HOSTS = 1


def builtin_room_seats() -> int:
    """The largest class capacity the built-in room can carry besides its host."""
    return max(settings.ROOM_MAX_PARTICIPANTS - ROOM_HOSTS, 0)
