"""Encryption at rest: a meeting account's OAuth tokens and `secret`, a meeting's
`host_url` (Zoom's start URL) and `password`, a company's payment provider keys. In
core because apps on several layers keep secrets (meetings, payments).

| what | how |
| --- | --- |
| cipher | Fernet (AES-128-CBC + HMAC-SHA256, a timestamp, random IV) from `cryptography` |
| keys | `settings.RENDEZVOUS_ENCRYPTION_KEYS` (Fernet keys, newest first) when set, else derived with HKDF-SHA256 from SECRET_KEY, then from each of SECRET_KEY_FALLBACKS |
| rotation | MultiFernet: encrypts with the first key, decrypts with any; a token is re-encrypted with the newest key whenever it is written again (every refresh) |
| a key that no longer fits | the value reads as empty: the account shows "needs reconnecting" instead of crashing |

Deriving from SECRET_KEY needs no extra setting on a small install; the HKDF `info`
keeps this key apart from every other use of SECRET_KEY (signing, join tokens).
Rotating SECRET_KEY without moving the old one to SECRET_KEY_FALLBACKS means every
OAuth account must be connected again and every account secret typed in again; meetings
lose their stored host link (the host joins through the participant link or, on Zoom, a
fresh start URL) and their password.
The `info` still says oauth-tokens: changing it would orphan every stored value.
"""

from __future__ import annotations

import base64
import functools
import logging

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.signals import setting_changed
from django.db import models

log = logging.getLogger(__name__)

_INFO = b"rendezvous.meetings.oauth-tokens"


def _derive(secret: str) -> bytes:
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret.encode())
    return base64.urlsafe_b64encode(raw)


@functools.cache
def _fernet() -> MultiFernet:
    configured = getattr(settings, "RENDEZVOUS_ENCRYPTION_KEYS", None) or []
    if isinstance(configured, str):
        configured = [k.strip() for k in configured.split(",") if k.strip()]
    keys = [k.encode() if isinstance(k, str) else k for k in configured]
    if not keys:
        secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
        keys = [_derive(s) for s in secrets if s]
    return MultiFernet([Fernet(k) for k in keys])


def _reset(*, setting, **kwargs):
    if setting in {"SECRET_KEY", "SECRET_KEY_FALLBACKS", "RENDEZVOUS_ENCRYPTION_KEYS"}:
        _fernet.cache_clear()


setting_changed.connect(_reset)


def encrypt(value: str) -> str:
    if not value:
        return ""
    return _fernet().encrypt(value.encode()).decode("ascii")


def decrypt(value: str) -> str:
    """The plaintext, or "" when no key fits (never raises: see the module docstring)."""
    if not value:
        return ""
    try:
        return _fernet().decrypt(value.encode("ascii")).decode()
    except (InvalidToken, ValueError):
        log.warning("an encrypted value could not be decrypted with the current keys")
        return ""


class EncryptedTextField(models.TextField):
    """A text column that holds only Fernet ciphertext; Python sees the plaintext.

    Not searchable or orderable (each write gets a fresh IV); meant for secrets only.
    """

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else ""

    def to_python(self, value):
        return value or ""

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(value) if value else ""
