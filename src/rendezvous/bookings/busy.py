"""The queries the slot search reads bookings with (availability.booked), registered
when the apps load (bookings.apps)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.db.models.functions import Coalesce

from .models import ACTIVE_STATUSES, Booking, seats_taken_subquery


class BookedTime:
    def busy(
        self, field: str, ids: Sequence[int], start: datetime, end: datetime, exclude: Sequence
    ) -> Iterable[tuple[int, datetime, datetime, datetime]]:
        margin = timedelta(days=1)
        rows = Booking.objects.filter(
            **{f"{field}_id__in": ids},
            status__in=ACTIVE_STATUSES,
            session__isnull=True,
            blocked_start__lt=end + margin,
            blocked_end__gt=start - margin,
        )
        if exclude:
            rows = rows.exclude(id__in=exclude)
        # Unordered: the engine takes busy rows in any order (scheduling.slots).
        return rows.order_by().values_list(f"{field}_id", "blocked_start", "blocked_end", "start")

    def per_day(self, staff_ids: Sequence[int], start: datetime, end: datetime) -> Iterable[int]:
        return (
            Booking.objects.filter(
                staff_id__in=staff_ids,
                status__in=ACTIVE_STATUSES,
                start__gte=start,
                start__lt=end,
            )
            .order_by()
            .values_list("staff_id", flat=True)
        )

    def seats_taken(self) -> Coalesce:
        return seats_taken_subquery()
