"""The local Zoom (tests/fakes/zoom.py) with an OAuth app's token endpoint instead of
Server-to-Server: `POST /oauth/token` with Basic client_id:client_secret and the
`authorization_code` (+ PKCE) or `refresh_token` grant (docs/providers.md).

Refresh tokens rotate and are single use: "the latest refresh token must always be
used"; an older one gets `{"reason": "Invalid Token!", "error": "invalid_grant"}`.
The meetings API is FakeZoom's, for the user `me` (whoever connected).

    with FakeZoomOAuth() as zoom:
        settings.ZOOM_OAUTH_BASE, settings.ZOOM_API_BASE = zoom.oauth_base, zoom.api_base
        code = zoom.issuer.authorize(query_of(our_redirect))
"""

from __future__ import annotations

import threading
import time
from http.server import ThreadingHTTPServer

from .oauth_server import TokenIssuer
from .zoom import FakeZoom, _Handler


class _OAuthHandler(_Handler):
    def _token(self, params: dict) -> None:
        fake = self.fake
        with fake._lock:
            fake.token_requests += 1
        if fake.token_delay:
            fake.sleep(fake.token_delay)
        status, body = fake.issuer.grant(params, self.headers.get("Authorization", ""))
        if status == 200:
            with fake._lock:
                fake.tokens[body["access_token"]] = time.time() + body["expires_in"]
        self._send(status, body)


class FakeZoomOAuth(FakeZoom):
    def __init__(self, *, client_id="zoom-oauth-client", client_secret="zoom-oauth-secret-0123456789",
                 **kwargs):  # fmt: skip
        super().__init__(client_id=client_id, client_secret=client_secret, users=("me",), **kwargs)
        self.issuer = TokenIssuer(
            client_id=client_id,
            client_secret=client_secret,
            basic_auth=True,
            rotate=True,
            invalid_grant={"reason": "Invalid Token!", "error": "invalid_grant"},
        )

    def start(self) -> FakeZoomOAuth:
        handler = type("Handler", (_OAuthHandler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()
        return self

    def connect(self) -> str:
        return self.issuer.issue_refresh_token({"sub": "zoom-user"})
