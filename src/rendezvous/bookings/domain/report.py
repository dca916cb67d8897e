"""The "Booking details" report of the back office: the bookings an actor may see in a
date range, filtered, with totals, and the same rows as CSV.

A constant number of queries whatever the number of rows: the rows (with their
service and staff) and one aggregate for the totals. Times are the company's wall
clock. CSV cells go through core.text.safe_cell, so a customer named "=HYPERLINK(...)"
stays text in a spreadsheet.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext_lazy as _

from rendezvous.bookings.access import access_bookings
from rendezvous.companies.access import Actor
from rendezvous.core.calendar import check_in_calendar
from rendezvous.core.text import safe_cell

from ..models import Booking, BookingStatus, PaymentStatus
from .customers import display_name, is_erased

MAX_DAYS = 366

HEADERS = (
    _("date"),
    _("start"),
    _("end"),
    _("service"),
    _("staff"),
    _("customer"),
    _("email"),
    _("phone"),
    _("status"),
    _("by video"),
    _("payment"),
    _("price"),
    _("source"),
)


@dataclass(frozen=True)
class BookingFilters:
    date_from: date
    date_to: date
    staff_id: int | None = None
    service_id: int | None = None
    status: str = ""
    source: str = ""
    online: bool | None = None

    def __post_init__(self) -> None:
        # Midnights in the company's zone, and the day after the last, overflow near
        # year 1 or 9999: such filters are refused (ValidationFailed) before any query.
        check_in_calendar(date_from=self.date_from, date_to=self.date_to)


@dataclass(frozen=True)
class Totals:
    bookings: int
    by_status: dict[str, int]
    online: int
    paid: Decimal
    unpaid: Decimal


def _query(actor: Actor, filters: BookingFilters):
    zone = actor.company.zone
    start = datetime.combine(filters.date_from, time(0), zone)
    end = datetime.combine(filters.date_to + timedelta(days=1), time(0), zone)
    rows = access_bookings(actor).filter(start__gte=start, start__lt=end)
    if filters.staff_id:
        rows = rows.filter(staff_id=filters.staff_id)
    if filters.service_id:
        rows = rows.filter(service_id=filters.service_id)
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.source:
        rows = rows.filter(source=filters.source)
    if filters.online is not None:
        rows = rows.filter(online=filters.online)
    return rows


def booking_report(
    *, actor: Actor, filters: BookingFilters, limit: int | None = None
) -> tuple[list[Booking], Totals]:
    """The rows `actor` may see (oldest first, at most `limit`) and the totals of all
    that match."""
    query = _query(actor, filters)
    ordered = query.select_related("service", "staff", "resource").order_by("start", "id")
    rows = list(ordered if limit is None else ordered[:limit])
    counts = dict(
        query.order_by().values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    sums = query.aggregate(
        online=Count("id", filter=Q(online=True)),
        paid=Sum("service__price", filter=Q(payment_status=PaymentStatus.PAID)),
        unpaid=Sum(
            "service__price",
            filter=Q(payment_status=PaymentStatus.PENDING)
            & ~Q(status__in=[BookingStatus.CANCELLED]),
        ),
    )
    totals = Totals(
        bookings=sum(counts.values()),
        by_status=counts,
        online=sums["online"] or 0,
        paid=sums["paid"] or Decimal("0"),
        unpaid=sums["unpaid"] or Decimal("0"),
    )
    return rows, totals


def booking_report_csv(rows: Iterable[Booking], *, actor: Actor) -> str:
    zone = actor.company.zone
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(label) for label in HEADERS])
    for b in rows:
        start, end = b.start.astimezone(zone), b.end.astimezone(zone)
        writer.writerow(
            safe_cell(value)
            for value in (
                start.date().isoformat(),
                start.strftime("%H:%M"),
                end.strftime("%H:%M"),
                b.service.name,
                b.staff.name if b.staff else "",
                display_name(b.first_name, b.last_name),
                "" if is_erased(b.first_name, b.last_name) else b.email,  # a placeholder
                b.phone,
                b.get_status_display(),
                "1" if b.online else "0",
                b.get_payment_status_display(),
                b.service.price,
                b.get_source_display(),
            )
        )
    return out.getvalue()
