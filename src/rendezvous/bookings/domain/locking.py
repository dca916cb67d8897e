"""The one place that knows how bookings lock, and how a lost race is reported.

| database | lock | last line of defence |
| --- | --- | --- |
| PostgreSQL | `SELECT ... FOR UPDATE` on the staff member (or class session, or resource) rows, in id order, before the re-check | exclusion constraints on active blocked ranges (migration bookings 0002) |
| SQLite | every transaction begins IMMEDIATE, so one writer at a time runs check-and-insert | the same serialisation |
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import IntegrityError, transaction

from rendezvous.core.errors import SlotUnavailable

EXCLUSION_VIOLATION = "23P01"


@contextmanager
def booking_transaction() -> Iterator[None]:
    """A transaction whose overlap violations surface as SlotUnavailable."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        if getattr(exc.__cause__, "sqlstate", None) == EXCLUSION_VIOLATION:
            raise SlotUnavailable() from exc
        raise
