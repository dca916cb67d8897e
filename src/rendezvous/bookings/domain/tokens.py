"""Manage tokens: 256 random bits, shown once, stored as SHA-256 (they are not passwords,
so a fast hash is enough; a leaked database does not give the links away)."""

import hashlib
import hmac
import secrets


def new_manage_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(token: str, token_hash: str) -> bool:
    return hmac.compare_digest(hash_token(token), token_hash)
