"""Test settings: the real settings, with tasks run inline and a fast password hasher."""

import os

# Every test that uses the database starts with an empty cache, which on Redis is a
# FLUSHDB: parallel workers (pytest-xdist) get a Redis database each, counting down
# from the one REDIS_URL names. Set before the settings read it.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
_base, _, _db = os.environ.get("REDIS_URL", "").rpartition("/")
if _worker.startswith("gw") and _db.isdigit():
    os.environ["REDIS_URL"] = f"{_base}/{(int(_db) - int(_worker[2:])) % 16}"

# The tests' own fixed key, given as the environment gives one: no key file is made in
# the data directory, and the processes tests start sign with the same key.
TEST_SECRET_KEY = "tests-only-secret-key-never-deployed-5f0c2a9e7b1d4e63a8c9"
os.environ["SECRET_KEY"] = TEST_SECRET_KEY

from rendezvous.settings import *  # noqa: E402, F403
from rendezvous.settings import DATABASES, HUEY  # noqa: E402

HUEY = {**HUEY, "immediate": True}
# Live servers in the browser tests answer from pool threads that outlive each test: with
# persistent connections those threads would still hold sessions when PostgreSQL drops
# the test database. Production keeps them (tests/demo/test_serve.py runs that way).
DATABASES["default"]["CONN_MAX_AGE"] = 0
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
BOOKING_RATE_LIMIT = "off"
BASE_URL = "http://testserver"
SECRET_KEY = TEST_SECRET_KEY
