"""Our /join/<token>/ links. The token is derived from the JoinToken's nonce
(core.tokens.join_token), so every later email (reminder, link added) carries the same
link while the database alone does not give it away."""

from django.conf import settings

from rendezvous.core.tokens import join_token


def join_link(nonce: str) -> str:
    return f"{settings.BASE_URL}/join/{join_token(nonce)}/"
