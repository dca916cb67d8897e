"""Room fixtures: the channel layer (and the presence store that goes with it) under
test, in memory or on Redis, and helpers that speak to the ASGI app like a browser.

The Redis variant runs wherever Redis answers (CI sets REDIS_URL); it is skipped only
when no Redis is reachable, with the reason.
"""

import asyncio
import json
import uuid

import pytest
from asgiref.testing import ApplicationCommunicator
from channels.layers import channel_layers

from rendezvous.core.tokens import join_token
from rendezvous.rooms import presence as presence_module
from tests.meetings.conftest import customer_token, host_token


def _redis_url() -> str:
    # The settings' URL: under pytest-xdist each worker has its own Redis database.
    from django.conf import settings

    return settings.REDIS_URL or "redis://127.0.0.1:6379/15"


def _redis_reachable() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(_redis_url(), socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture(params=["memory", "redis"])
def layer(request, settings):
    if request.param == "redis":
        if not _redis_reachable():
            pytest.skip(f"Redis is not reachable at {_redis_url()}")
        # A prefix of our own: other test runs may share this Redis database.
        prefix = f"rdv-test-{uuid.uuid4().hex[:8]}"
        settings.CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {"hosts": [_redis_url()], "prefix": prefix},
            }
        }
    else:
        settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    channel_layers.backends.clear()
    presence_module._backends.clear()
    yield request.param
    if request.param == "redis":
        asyncio.run(presence_module.presence().clear())
    channel_layers.backends.clear()
    presence_module._backends.clear()


class WebsocketCommunicator(ApplicationCommunicator):
    """A WebSocket client for an ASGI app in the same process: channels.testing's own
    cannot be imported without daphne (it loads its live-server helpers), which we do
    not install, so this is the part of it these tests use."""

    def __init__(self, app, path: str, headers=None):
        scope = {
            "type": "websocket",
            "path": path,
            "query_string": b"",
            "headers": headers or [],
            "subprotocols": [],
        }
        super().__init__(app, scope)

    async def connect(self, timeout=1) -> tuple[bool, object]:
        await self.send_input({"type": "websocket.connect"})
        response = await self.receive_output(timeout)
        if response["type"] == "websocket.close":
            return False, response.get("code", 1000)
        assert response["type"] == "websocket.accept"
        return True, response.get("subprotocol")

    async def send_to(self, text_data: str) -> None:
        await self.send_input({"type": "websocket.receive", "text": text_data})

    async def send_json_to(self, data) -> None:
        await self.send_to(json.dumps(data))

    async def receive_json_from(self, timeout=1):
        response = await self.receive_output(timeout)
        assert response["type"] == "websocket.send", response
        return json.loads(response["text"])

    async def disconnect(self, code=1000, timeout=1) -> None:
        await self.send_input({"type": "websocket.disconnect", "code": code})
        await self.wait(timeout)


def customer(booking) -> str:
    return join_token(customer_token(booking).nonce)


def host(meeting) -> str:
    return join_token(host_token(meeting).nonce)


def application():
    from rendezvous.asgi import application as app

    return app


async def connect(token: str, *, origin: bytes = b"http://testserver") -> WebsocketCommunicator:
    comm = WebsocketCommunicator(application(), f"/ws/join/{token}/", headers=[(b"origin", origin)])
    connected, _sub = await comm.connect(timeout=5)
    assert connected
    return comm


async def admitted(token: str) -> tuple[WebsocketCommunicator, dict]:
    comm = await connect(token)
    welcome = await comm.receive_json_from(timeout=5)
    assert welcome["type"] == "welcome", welcome
    return comm, welcome


async def refused(token: str) -> tuple[str, int]:
    """(reason, close code) of a connect the server turns away."""
    comm = await connect(token)
    message = await comm.receive_json_from(timeout=5)
    closed = await comm.receive_output(timeout=5)
    assert closed["type"] == "websocket.close"
    await comm.disconnect(closed["code"])  # what the server hears back from a browser
    return message["reason"], closed["code"]


async def closed_with(comm: WebsocketCommunicator) -> int:
    """Read past messages until the server closes the socket; its code."""
    while True:
        out = await comm.receive_output(timeout=5)
        if out["type"] == "websocket.close":
            await comm.disconnect(out["code"])
            return out["code"]
