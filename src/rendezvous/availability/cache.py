"""A version number per company that changes whenever its availability may change.

Answers that depend on availability (the slots endpoint) are cached under the
current version; a write that can change availability bumps it when it commits, so
the next reader misses and recomputes. Bumping with or after the commit (never before)
means a reader that raced the write can only have stored its answer under the old
version, which nobody reads any more.

The version is a column of the company row: a reader has it with the company it
loads anyway, and a bump is one UPDATE in its own short statement, rather than a
read-modify-write of a cache entry (six statements and a second write transaction
per booking on the database cache). On PostgreSQL it is not bumped inside the
writer's transaction: that would lock the company row until commit and serialise
bookings for different staff members. On SQLite it is, since writers are serialised
anyway: the version then changes in the same commit as the data.

| written | bumps |
| --- | --- |
| Booking, ClassSession, Service (and its staff), StaffMember (and its locations), Resource, Company, Location | its company |
| WorkingHours, DateException, TimeOff | the staff member's company |
"""

import threading
import time
from collections.abc import Callable

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Greatest

from rendezvous.companies.models import Company


def availability_changed(company_id: int) -> None:
    """Bump the company's version once the current transaction commits (on SQLite: in
    it, see below)."""

    def bump() -> None:
        # Never back to a number used before: a company saved from a form loaded
        # earlier writes its old version back (then bumps it; post_save), so the
        # bump jumps to at least the clock.
        Company.objects.filter(pk=company_id).update(
            availability_version=Greatest(F("availability_version") + 1, time.time_ns())
        )

    if connection.vendor == "sqlite" and connection.in_atomic_block:
        # SQLite: the transaction already holds the database's one write lock, so the
        # bump locks nothing more here, and it commits together with the change. After
        # commit it would be a second write transaction, queueing behind every other
        # writer (through SQLite's sleeping busy handler) before the answer goes out.
        bump()
    else:
        transaction.on_commit(bump)


# Striped locks: one per key would grow without end (keys carry the minute).
_COMPUTING = [threading.Lock() for _ in range(64)]


def cached_answer(key: str, version: int, compute: Callable[[], str]) -> str:
    """The answer stored under `key` at `version`, or `compute()`'s, stored for 2 min.

    A burst of identical requests right after a change (every visitor of a page that
    just saw a booking) computes the answer once in this process: the others wait for
    it instead of computing it alongside and slowing each other down.
    """
    entry = cache.get(key)
    if entry is not None and entry[0] == version:
        return entry[1]
    with _COMPUTING[hash(key) % len(_COMPUTING)]:
        entry = cache.get(key)
        if entry is not None and entry[0] == version:
            return entry[1]
        body = compute()
        cache.set(key, (version, body), timeout=120)
        return body
