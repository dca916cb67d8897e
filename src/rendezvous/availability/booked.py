"""The bookings that hold time, as the slot search reads them: a hook bookings fills.

The slot search (availability.domain) counts active bookings as busy time, the seats
they take in class sessions, and how many each staff member has on a day (fair picks),
each in one query whatever the number of staff members or days. Bookings sits above
availability, so it hands these queries over when the apps load (bookings.apps ->
bookings.busy), as it hands its events to the apps above it; nothing here imports it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol


class BookedTime(Protocol):
    def busy(
        self, field: str, ids: Sequence[int], start: datetime, end: datetime, exclude: Sequence
    ) -> Iterable[tuple[int, datetime, datetime, datetime]]:
        """(staff or resource id, blocked start, blocked end, start) of the active
        appointments of `ids` (through `field`: "staff" or "resource") near start..end,
        without those in `exclude`."""
        ...

    def per_day(self, staff_ids: Sequence[int], start: datetime, end: datetime) -> Iterable[int]:
        """The staff id of every active booking of these staff starting in start..end."""
        ...

    def seats_taken(self) -> Any:
        """An annotation for a ClassSession queryset: the seats its active bookings hold."""
        ...


_source: BookedTime | None = None


def register(source: BookedTime) -> None:
    global _source
    _source = source


def booked() -> BookedTime:
    if _source is None:
        raise RuntimeError("The bookings app registers its busy time when the apps load.")
    return _source
