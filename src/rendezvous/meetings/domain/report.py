"""The "Online meetings" report (issue #4, item 7): one row per meeting (an online
appointment's, or an online class session's), what staff need to act on, and a CSV of
the same rows.

| column | from |
| --- | --- |
| date | the meeting's start, in the company's zone |
| service, staff | the booking's, or the class session's |
| customers | the booking's name; for a class, its active participants (all of them once none is active) |
| provider, state | the meeting; `ready` after its end reads `ended` |
| problems | PROBLEMS below, from the meeting's retry bookkeeping (meetings.domain.lifecycle) and the bookings' payments |

Who sees which rows: access_bookings for appointments, and for class sessions the same
rule as the reveal rule (a junior: only sessions of their own staff profile). The
report never shows a provider's URL, and no join link either (those come from the
reveal rule, one by one, on the meeting's page). A constant number of queries, whatever
the number of rows: the meetings with their booking or session, and the sessions'
bookings in one prefetch.

CSV cells that a spreadsheet would run as a formula get a leading apostrophe
(core.text.safe_cell).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from rendezvous.bookings.domain.customers import display_name
from rendezvous.bookings.models import ACTIVE_STATUSES, Booking, BookingStatus, PaymentStatus
from rendezvous.companies.access import (
    Actor,
    access_staff_scope,
)
from rendezvous.companies.models import Company
from rendezvous.core.calendar import check_in_calendar
from rendezvous.core.text import safe_cell

from ..models import Meeting, MeetingState
from ..providers import PROVIDER_NAMES

ENDED = "ended"
MAX_DAYS = 366

PROBLEMS = {
    "create_failed": _("creation failed"),
    "create_retrying": _("creation being retried"),
    "no_link": _("no link yet"),
    "update_due": _("provider not updated yet"),
    "update_failed": _("provider update failed"),
    "delete_due": _("provider meeting not deleted yet"),
    "delete_failed": _("provider delete failed"),
    "unpaid": _("unpaid"),
    "refund_due": _("refund due"),
}

HEADERS = (
    _("Date"),
    _("Service"),
    _("Staff"),
    _("Customers"),
    _("Provider"),
    _("State"),
    _("Problems"),
)


@dataclass(frozen=True)
class ReportFilters:
    date_from: date | None = None
    date_to: date | None = None
    staff_id: int | None = None
    provider: str = ""
    state: str = ""  # a MeetingState, or "ended"
    problems_only: bool = False

    def __post_init__(self) -> None:
        # As bookings.domain.report's filters: midnights near year 1 or 9999 overflow.
        check_in_calendar(date_from=self.date_from, date_to=self.date_to)


@dataclass(frozen=True)
class ReportRow:
    meeting_id: str
    start: datetime
    when: str
    service: str
    staff: str
    customers: list[str]
    provider: str
    state: str
    problems: list[str] = field(default_factory=list)  # PROBLEMS keys
    last_error: str = ""

    @property
    def problem_labels(self) -> list[str]:
        return [str(PROBLEMS[p]) for p in self.problems]

    @property
    def provider_label(self) -> str:
        return str(PROVIDER_NAMES.get(self.provider, self.provider))

    @property
    def state_label(self) -> str:
        return str(MeetingState(self.state).label)


def meeting_report(
    *, actor: Actor, filters: ReportFilters, now: datetime, limit: int | None = None
) -> list[ReportRow]:
    """The rows `actor` may see, oldest first."""
    company = actor.company
    zone = company.zone
    meetings = Meeting.objects.filter(company=company)
    meetings = meetings.filter(
        access_staff_scope(actor, "booking__staff_id")
        | access_staff_scope(actor, "session__staff_id")
    )
    if filters.date_from:
        meetings = meetings.filter(start__gte=_midnight(filters.date_from, zone))
    if filters.date_to:
        meetings = meetings.filter(start__lt=_midnight(filters.date_to + timedelta(days=1), zone))
    if filters.staff_id:
        meetings = meetings.filter(
            Q(booking__staff_id=filters.staff_id) | Q(session__staff_id=filters.staff_id)
        )
    if filters.provider:
        meetings = meetings.filter(provider=filters.provider)
    if filters.state == ENDED:
        meetings = meetings.filter(state=MeetingState.READY, end__lte=now)
    elif filters.state == MeetingState.READY:
        meetings = meetings.filter(state=MeetingState.READY, end__gt=now)
    elif filters.state:
        meetings = meetings.filter(state=filters.state)
    participants = Booking.objects.order_by("created_at", "id").only(
        "id", "session_id", "first_name", "last_name", "status", "payment_status"
    )
    meetings = (
        meetings.select_related(
            "booking__service", "booking__staff", "session__service", "session__staff"
        )
        .prefetch_related(Prefetch("session__bookings", queryset=participants, to_attr="seats"))
        .order_by("start", "id")
    )
    hours = timedelta(hours=settings.LINK_MISSING_HOURS)
    rows = []
    for meeting in meetings:
        row = _row(meeting, zone, now, hours, company)
        if filters.problems_only and not row.problems:
            continue
        rows.append(row)
        if limit is not None and len(rows) >= limit:
            break
    return rows


def _local(moment: datetime, zone) -> str:
    local = timezone.localtime(moment, zone)
    return f"{date_format(local, 'SHORT_DATETIME_FORMAT')} {local.tzname()}"


def _midnight(day: date, zone) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def _row(meeting: Meeting, zone, now: datetime, hours: timedelta, company: Company) -> ReportRow:
    owner = meeting.booking or meeting.session
    assert owner is not None  # a booking's or a session's (meeting_for_booking_or_session)
    bookings: list[Booking]
    if meeting.booking_id:
        assert meeting.booking is not None  # booking_id is set
        bookings = [meeting.booking]
    else:
        session = meeting.session
        assert session is not None  # no booking (meeting_for_booking_or_session)
        # `seats` is the Prefetch's to_attr through session__ (report_rows), which the
        # django-stubs plugin cannot see from the meeting.
        bookings = list(session.seats)  # type: ignore[attr-defined]
    active = [b for b in bookings if b.status in ACTIVE_STATUSES]
    shown = active if meeting.booking_id is None and active else bookings
    state = meeting.state
    if state == MeetingState.READY and meeting.end <= now:
        state = ENDED
    return ReportRow(
        meeting_id=str(meeting.pk),
        start=meeting.start,
        when=_local(meeting.start, zone),
        # In the reader's language, as every page names services (Service.text_in).
        service=owner.service.text_in("name", company=company),
        staff=owner.staff.name if owner.staff else "",
        customers=[display_name(b.first_name, b.last_name) for b in shown],
        provider=meeting.provider,
        state=state,
        problems=_problems(meeting, active, bookings, now, hours),
        last_error=meeting.last_error,
    )


def _problems(meeting, active, bookings, now, hours) -> list[str]:
    found = []
    due = meeting.next_attempt_at is not None
    if meeting.state == MeetingState.FAILED:
        found.append("create_failed")
    elif meeting.state == MeetingState.PENDING:
        if meeting.attempts and due:
            found.append("create_retrying")
        if meeting.end > now and meeting.start - now <= hours:
            found.append("no_link")
    elif meeting.state == MeetingState.READY:
        if due:
            found.append("update_due")
        elif meeting.last_error:
            found.append("update_failed")
    elif meeting.state == MeetingState.REVOKED and meeting.external_id:
        if due:
            found.append("delete_due")
        elif meeting.last_error:
            found.append("delete_failed")
    if any(b.payment_status == PaymentStatus.PENDING for b in active):
        found.append("unpaid")
    if any(
        b.status == BookingStatus.CANCELLED and b.payment_status == PaymentStatus.PAID
        for b in bookings
    ):
        found.append("refund_due")
    return found


# -- CSV -------------------------------------------------------------------------------


def report_csv(rows: Iterable[ReportRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(label) for label in HEADERS])
    for row in rows:
        writer.writerow(
            safe_cell(value)
            for value in (
                row.when,
                row.service,
                row.staff,
                "; ".join(row.customers),
                row.provider,
                row.state,
                "; ".join(row.problem_labels),
            )
        )
    return out.getvalue()
