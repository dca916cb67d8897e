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
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

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


# The last answers this process gave with keep_local: key -> (version, body).
_LOCAL: OrderedDict[str, tuple[int, Any]] = OrderedDict()
_LOCAL_LOCK = threading.Lock()
# At most this many answers, and this many characters (or bytes) in all (a 42-day calendar of a
# busy company is a few MB): the oldest go first.
LOCAL_ENTRIES = 32
LOCAL_CHARS = 16_000_000


def forget_local() -> None:
    """Drop this process's kept answers (tests: a new database may reuse ids and versions)."""
    with _LOCAL_LOCK:
        _LOCAL.clear()


def cached_answer[T: (str, bytes)](
    key: str, version: int, compute: Callable[[], T], *, keep_local: bool = False
) -> T:
    """The answer stored under `key` at `version`, or `compute()`'s, stored for 2 min.

    A burst of identical requests right after a change (every visitor of a page that
    just saw a booking) computes the answer once in this process: the others wait for
    it instead of computing it alongside and slowing each other down.

    `keep_local`: also keep the last few answers in this process's memory, for large
    answers read again and again (the back-office calendar, polled by every open
    page), whose copy out of the database cache costs more than the rest of the
    request. An entry is only ever served at the version it was computed at, which
    came with the company row of the request, so it is exactly as fresh as the shared
    one.
    """
    if keep_local:
        with _LOCAL_LOCK:
            local = _LOCAL.get(key)
            if local is not None and local[0] == version:
                _LOCAL.move_to_end(key)
                return local[1]
    entry = cache.get(key)
    if entry is None or entry[0] != version:
        with _COMPUTING[hash(key) % len(_COMPUTING)]:
            entry = cache.get(key)
            if entry is None or entry[0] != version:
                entry = (version, compute())
                cache.set(key, entry, timeout=120)
    if keep_local:
        with _LOCAL_LOCK:
            _LOCAL[key] = entry
            _LOCAL.move_to_end(key)
            while len(_LOCAL) > LOCAL_ENTRIES or (
                len(_LOCAL) > 1 and sum(len(body) for _v, body in _LOCAL.values()) > LOCAL_CHARS
            ):
                _LOCAL.popitem(last=False)
    return entry[1]
