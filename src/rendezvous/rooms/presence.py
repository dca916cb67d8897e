"""Who is in which room: the list behind the welcome message, the cap and "left".

The channel layer delivers messages but cannot say who is in a group, so presence is
kept beside it, in the same place: in process memory with the in-memory layer (one
`rendezvous serve`), in Redis with the Redis layer (several web processes).

| entry (per meeting, per participant) | why |
| --- | --- |
| `pid`, `name`, `host` | what the others are told |
| `sid` | which connection of the participant: a page that sees a new `sid` for a known `pid` knows they came back and starts a fresh peer connection |
| `channel` | the socket that holds the place: a reconnect of the same participant replaces it, and only that socket's disconnect removes it |
| `seen` | refreshed by the consumer's periodic re-check; an entry older than STALE seconds (its process died) is dropped and does not count towards the cap |

`join` checks the cap and writes in one step (a Lua script on Redis, no await in
memory), so two people racing for the last place cannot both get it.
"""

from __future__ import annotations

import asyncio
import json
import time
import weakref
from typing import Any

from django.conf import settings

STALE = 90.0

_JOIN = """
local now, stale, cap = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local entries = redis.call('HGETALL', KEYS[1])
local count, previous = 0, ''
for i = 1, #entries, 2 do
  local entry = cjson.decode(entries[i + 1])
  if tonumber(entry.seen) < now - stale then
    redis.call('HDEL', KEYS[1], entries[i])
  elseif entries[i] == ARGV[1] then
    previous = entry.channel
  else
    count = count + 1
  end
end
if count >= cap then return {'full', ''} end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], 86400)
return {'ok', previous}
"""

_LEAVE = """
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
if cjson.decode(raw).channel ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
return 1
"""

_TOUCH = """
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
local entry = cjson.decode(raw)
if entry.channel ~= ARGV[2] then return 0 end
entry.seen = tonumber(ARGV[3])
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(entry))
return 1
"""


def _entry(pid: str, sid: str, name: str, host: bool, channel: str) -> dict:
    return {
        "pid": pid,
        "sid": sid,
        "name": name,
        "host": host,
        "channel": channel,
        "seen": time.time(),
    }


def public(entry: dict) -> dict:
    """What the other participants see of an entry (not its channel)."""
    return {k: entry[k] for k in ("pid", "sid", "name", "host")}


class MemoryPresence:
    def __init__(self):
        self.rooms: dict[str, dict[str, dict]] = {}

    async def join(self, room: str, *, pid, sid, name, host, channel, cap) -> tuple[str, str]:
        entries = self.rooms.setdefault(room, {})
        now = time.time()
        for key in [k for k, e in entries.items() if e["seen"] < now - STALE]:
            del entries[key]
        previous = entries.get(pid, {}).get("channel", "")
        if len([k for k in entries if k != pid]) >= cap:
            return "full", ""
        entries[pid] = _entry(pid, sid, name, host, channel)
        return "ok", previous

    async def leave(self, room: str, *, pid: str, channel: str) -> bool:
        entries = self.rooms.get(room, {})
        if entries.get(pid, {}).get("channel") != channel:
            return False
        del entries[pid]
        if not entries:
            self.rooms.pop(room, None)
        return True

    async def touch(self, room: str, *, pid: str, channel: str) -> bool:
        entry = self.rooms.get(room, {}).get(pid)
        if entry is None or entry["channel"] != channel:
            return False
        entry["seen"] = time.time()
        return True

    async def members(self, room: str) -> list[dict]:
        now = time.time()
        return [e for e in self.rooms.get(room, {}).values() if e["seen"] >= now - STALE]

    async def clear(self) -> None:
        self.rooms.clear()


class RedisPresence:
    def __init__(self, url: str, prefix: str = "rendezvous:room"):
        self.url = url
        self.prefix = prefix
        # redis.asyncio connections belong to the event loop that opened them.
        self._clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def _client(self):
        import redis.asyncio  # noqa: PLC0415 (only with REDIS_URL: the in-memory layer needs no client)

        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            client = self._clients[loop] = redis.asyncio.Redis.from_url(self.url)
        return client

    def _key(self, room: str) -> str:
        return f"{self.prefix}:{room}"

    async def join(self, room: str, *, pid, sid, name, host, channel, cap) -> tuple[str, str]:
        entry = json.dumps(_entry(pid, sid, name, host, channel))
        status, previous = await self._client().eval(
            _JOIN, 1, self._key(room), pid, entry, time.time(), STALE, cap
        )
        return status.decode(), previous.decode()

    async def leave(self, room: str, *, pid: str, channel: str) -> bool:
        return bool(await self._client().eval(_LEAVE, 1, self._key(room), pid, channel))

    async def touch(self, room: str, *, pid: str, channel: str) -> bool:
        return bool(
            await self._client().eval(_TOUCH, 1, self._key(room), pid, channel, time.time())
        )

    async def members(self, room: str) -> list[dict]:
        raw = await self._client().hgetall(self._key(room))
        now = time.time()
        entries = [json.loads(value) for value in raw.values()]
        return [e for e in entries if e["seen"] >= now - STALE]

    async def clear(self) -> None:
        client = self._client()
        keys = [key async for key in client.scan_iter(f"{self.prefix}:*")]
        if keys:
            await client.delete(*keys)


_backends: dict[str, MemoryPresence | RedisPresence] = {}


def presence() -> MemoryPresence | RedisPresence:
    """The presence store that goes with the configured channel layer."""
    # One of the two shapes settings.py gives it; mypy joins them into Collection[str].
    layer: dict[str, Any] = settings.CHANNEL_LAYERS["default"]
    if "redis" in layer["BACKEND"].lower():
        url = layer["CONFIG"]["hosts"][0]
        prefix = layer["CONFIG"].get("prefix", "rendezvous:channels") + ":presence"
        key = f"redis {url} {prefix}"
        if key not in _backends:
            _backends[key] = RedisPresence(url, prefix)
    else:
        key = "memory"
        if key not in _backends:
            _backends[key] = MemoryPresence()
    return _backends[key]
