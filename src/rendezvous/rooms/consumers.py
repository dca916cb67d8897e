"""Signaling for the built-in room: one WebSocket per participant, /ws/join/<token>/.

The server relays WebRTC offers, answers and ICE candidates between the participants
of one meeting; media flows browser to browser (a mesh) and never through here.

| client -> server | effect |
| --- | --- |
| `{"type": "signal", "to": pid, "data": {...}}` | relayed to that participant of the same room only |
| `{"type": "end"}` | the host ends the meeting for everyone (rooms.domain.room_end) |

| server -> client | when |
| --- | --- |
| `welcome` (you, peers, ICE servers, closes_at) | admitted |
| `joined` / `left` (peer) | another participant connects / disconnects |
| `signal` (from, sid, data) | a peer's offer, answer or candidate, and which of its connections sent it |
| `ended` | the host ended the meeting, or its time is over; then close 4410 |
| `refused` (reason) | then close with the code of rooms.domain.CLOSE_CODES |

The socket is accepted before the checks so that a refusal carries its own close
code (a refused handshake only says 403). Every connect runs rooms.domain.room_admit,
and it runs again every RECHECK seconds: a token revoked meanwhile is put out, and the
window's end closes every socket.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from contextlib import suppress

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.utils import timezone

from . import domain
from .presence import presence, public

log = logging.getLogger(__name__)

RECHECK = 20.0
MAX_MESSAGE = 64 * 1024
# 1012 "service restart": the browser reconnects at once (rooms/static/rooms/room.js).
CLOSE_RESTART = 1012


class RoomConsumer(AsyncJsonWebsocketConsumer):
    admission: domain.Admission | None = None
    watcher: asyncio.Task | None = None

    async def connect(self):
        self.token = self.scope["url_route"]["kwargs"]["token"]
        await self.accept()
        admitted = await database_sync_to_async(domain.room_admit)(token=self.token)
        if isinstance(admitted, domain.Refusal):
            await self._refuse(admitted)
            return
        cap = settings.ROOM_MAX_PARTICIPANTS
        self.room = admitted.meeting_id.hex
        # This connection of the participant (a reconnect gets a new one).
        self.sid = secrets.token_hex(4)
        me = {"pid": admitted.pid, "sid": self.sid, "name": admitted.name, "host": admitted.host}
        status, previous = await presence().join(
            self.room,
            pid=admitted.pid,
            sid=self.sid,
            name=admitted.name,
            host=admitted.host,
            channel=self.channel_name,
            cap=cap,
        )
        if status == "full":
            await self._refuse(domain.Refusal("full"))
            return
        self.admission = admitted
        if previous and previous != self.channel_name:
            # The same participant again (a reload, a new network): the old socket goes.
            await self.channel_layer.send(previous, {"type": "room.replaced"})
        await self.channel_layer.group_add(self._group(), self.channel_name)
        await self.channel_layer.group_add(self._group(admitted.pid), self.channel_name)
        members = await presence().members(self.room)
        ice = await database_sync_to_async(domain.ice_servers)(
            pid=admitted.pid, closes_at=admitted.closes_at
        )
        await self.send_json(
            {
                "type": "welcome",
                "you": me,
                "peers": [public(m) for m in members if m["pid"] != admitted.pid],
                "ice": ice,
                "closes_at": int(admitted.closes_at.timestamp() * 1000),
                "max": cap,
            }
        )
        await self.channel_layer.group_send(self._group(), {"type": "room.joined", "peer": me})
        self.watcher = asyncio.create_task(self._watch())

    def _group(self, pid: str = "") -> str:
        return f"rdv.room.{self.room}" + (f".{pid}" if pid else "")

    async def _refuse(self, refusal: domain.Refusal) -> None:
        await self.send_json({"type": "refused", "reason": refusal.reason})
        await self.close(code=refusal.code)

    async def _watch(self):
        """Close at the window's end; re-check the token and refresh presence meanwhile."""
        admitted = self.admission
        while True:
            left = (admitted.closes_at - timezone.now()).total_seconds()
            await asyncio.sleep(max(0.0, min(RECHECK, left)))
            if timezone.now() >= admitted.closes_at:
                await self.send_json({"type": "ended", "reason": "time"})
                await self.close(code=domain.CLOSE_CODES["ended"])
                return
            again = await database_sync_to_async(domain.room_admit)(token=self.token)
            if isinstance(again, domain.Refusal) and again.reason == "ended":
                # Inside the window only the host ends a meeting, and this check can
                # come between the host's end and the group's "ended": say it as that
                # message does, so no page tells a host's end as a refusal.
                await self.room_ended({})
                return
            if isinstance(again, domain.Refusal):
                await self._refuse(again)
                return
            await presence().touch(self.room, pid=admitted.pid, channel=self.channel_name)

    async def disconnect(self, code):
        if self.watcher is not None and self.watcher is not asyncio.current_task():
            self.watcher.cancel()
            with suppress(asyncio.CancelledError, Exception):
                await self.watcher
        admitted, self.admission = self.admission, None
        if admitted is None:
            return
        await self.channel_layer.group_discard(self._group(), self.channel_name)
        await self.channel_layer.group_discard(self._group(admitted.pid), self.channel_name)
        gone = await presence().leave(self.room, pid=admitted.pid, channel=self.channel_name)
        if gone:
            await self.channel_layer.group_send(
                self._group(), {"type": "room.left", "pid": admitted.pid}
            )

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if self.admission is None or text_data is None or len(text_data) > MAX_MESSAGE:
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            return
        if isinstance(content, dict):
            await self.receive_json(content)

    async def receive_json(self, content, **kwargs):
        kind = content.get("type")
        if kind == "signal":
            to, data = content.get("to"), content.get("data")
            me = self.admission.pid
            if not isinstance(to, str) or not isinstance(data, dict) or to == me:
                return
            if not to.isalnum() or len(to) > 24:
                return
            await self.channel_layer.group_send(
                self._group(to), {"type": "room.signal", "from": me, "sid": self.sid, "data": data}
            )
        elif kind == "end" and self.admission.host:
            ended = await database_sync_to_async(domain.room_end)(token=self.token)
            if ended is not None:
                await self.channel_layer.group_send(self._group(), {"type": "room.ended"})

    # Channel-layer events (the `type` with its dot turned into an underscore).

    async def room_joined(self, event):
        if self.admission and event["peer"]["pid"] != self.admission.pid:
            await self.send_json({"type": "joined", "peer": event["peer"]})

    async def room_left(self, event):
        if self.admission and event["pid"] != self.admission.pid:
            await self.send_json({"type": "left", "pid": event["pid"]})

    async def room_signal(self, event):
        if self.admission:
            await self.send_json(
                {
                    "type": "signal",
                    "from": event["from"],
                    "sid": event["sid"],
                    "data": event["data"],
                }
            )

    async def room_ended(self, event):
        await self.send_json({"type": "ended", "reason": "host"})
        await self.close(code=domain.CLOSE_CODES["ended"])

    async def room_replaced(self, event):
        # Keep the place for the new socket: no "left", no presence removal.
        admitted, self.admission = self.admission, None
        if admitted is not None:
            await self.channel_layer.group_discard(self._group(), self.channel_name)
            await self.channel_layer.group_discard(self._group(admitted.pid), self.channel_name)
        await self.close(code=domain.CLOSE_CODES["replaced"])

    async def room_drop(self, event):
        """Close this socket as a restarting server would; the browser comes back."""
        await self.close(code=CLOSE_RESTART)
