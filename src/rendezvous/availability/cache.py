"""A version number per company that changes whenever its availability may change.

Answers that depend on availability (the slots endpoint) are cached under the
current version; a write that can change availability bumps it after commit, so the
next reader misses and recomputes. Bumping after commit (not before) means a reader
that raced the write can only have stored its answer under the old version, which
nobody reads any more.

| written | bumps |
| --- | --- |
| Booking, ClassSession, Service (and its staff), StaffMember, Resource, Company, Location | its company |
| WorkingHours, DateException, TimeOff | the staff member's company |
"""

import time

from django.core.cache import cache
from django.db import transaction

KEY = "availability:{}"


def version_key(company_id: int) -> str:
    """The cache key of the company's version, for readers that fetch it together with
    their own entries in one ``get_many`` (one round trip, one query on the database
    cache)."""
    return KEY.format(company_id)


def availability_version(company_id: int, *, known: int | None = None) -> int:
    """The company's current version; ``known`` is one just read with ``version_key``."""
    if known is not None:
        return known
    key = KEY.format(company_id)
    version = cache.get(key)
    if version is None:
        # Start from the clock, not 1: after a cache flush an old number must not come back.
        cache.add(key, time.time_ns(), timeout=None)
        version = cache.get(key)
    return version


def availability_changed(company_id: int) -> None:
    """Bump the company's version once the current transaction commits."""

    def bump() -> None:
        key = KEY.format(company_id)
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, time.time_ns(), timeout=None)

    transaction.on_commit(bump)
