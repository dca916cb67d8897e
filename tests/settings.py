"""Test settings: the real settings, with tasks run inline and a fast password hasher."""

from rendezvous.settings import *  # noqa: F403
from rendezvous.settings import HUEY

HUEY = {**HUEY, "immediate": True}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
BOOKING_RATE_LIMIT = "off"
RATELIMIT_ENABLE = True
BASE_URL = "http://testserver"
