"""The one place that knows how bookings lock, and how a lost race is reported.

| database | lock | last line of defence |
| --- | --- | --- |
| PostgreSQL | `SELECT ... FOR UPDATE` on the staff member (or class session, or resource) rows, in id order, before the re-check | exclusion constraints on active blocked ranges (migration bookings 0002) |
| SQLite | every transaction begins IMMEDIATE, so one writer at a time runs check-and-insert | the same serialisation |

Locks take `of=("self",)`: a plain FOR UPDATE on a query that joins the company (through
`select_related` or a model's default ordering) would lock the company row too, which
serialises the whole company and deadlocks a reschedule against a cancel.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

from django.db import IntegrityError, connection, transaction

from rendezvous.core.errors import SlotUnavailable

EXCLUSION_VIOLATION = "23P01"

# SQLite makes a blocked writer poll with sleeps of up to 100 ms, so under contention
# writers wake late and out of order (a 50-client storm took seconds). Queueing this
# process's booking writers on a lock first hands the database over at once and in turn.
# Other processes still wait on SQLite's busy timeout, which stays correct.
# Reentrant: an on_commit hook runs while the outermost block still holds it (Django
# runs the hooks as atomic() exits), and a hook that writes (a card refund's answer)
# opens a booking_transaction of its own in the same thread.
_SQLITE_WRITERS = threading.RLock()


@contextmanager
def booking_transaction() -> Iterator[None]:
    """A transaction whose overlap violations surface as SlotUnavailable."""
    outermost = connection.vendor == "sqlite" and not connection.in_atomic_block
    try:
        with _SQLITE_WRITERS if outermost else nullcontext(), transaction.atomic():
            yield
    except IntegrityError as exc:
        if getattr(exc.__cause__, "sqlstate", None) == EXCLUSION_VIOLATION:
            raise SlotUnavailable() from exc
        raise
