"""The database's own guard against double booking (migration bookings 0002).

Rows are written with Booking.objects directly, bypassing the domain and its locks, to
show that PostgreSQL alone refuses overlapping active blocked ranges of one staff member
or one resource. The last tests show the domain turns that refusal into SlotUnavailable
and writes nothing. SQLite has no exclusion constraints (it serialises writers instead),
so the whole module is skipped there.
"""

import uuid
from datetime import datetime, timedelta

import pytest
from django.db import IntegrityError, connection, transaction

from rendezvous.availability import domain as availability
from rendezvous.bookings import domain
from rendezvous.bookings.domain import change as change_module
from rendezvous.bookings.domain import create as create_module
from rendezvous.bookings.domain.locking import EXCLUSION_VIOLATION, booking_transaction
from rendezvous.bookings.models import Booking, BookingStatus, Customer
from rendezvous.core.errors import SlotUnavailable
from tests.conftest import NOW, TOMORROW_10, book, details, snapshot

pytestmark = pytest.mark.integration

H = timedelta(hours=1)
M = timedelta(minutes=1)


@pytest.fixture(autouse=True)
def _postgresql_only(db):
    if connection.vendor != "postgresql":
        pytest.skip(
            "exclusion constraints exist on PostgreSQL only; "
            "SQLite serialises check-and-insert with IMMEDIATE transactions instead"
        )


def insert(
    practice,
    start: datetime,
    end: datetime,
    *,
    staff="first",
    resource=None,
    session=None,
    status=BookingStatus.CONFIRMED,
    before=timedelta(0),
    after=timedelta(0),
) -> Booking:
    """A raw Booking row: no domain function, no lock, no re-check."""
    return Booking.objects.create(
        company=practice.company,
        service=practice.yoga if session else practice.service,
        staff=practice.staff[0] if staff == "first" else staff,
        resource=resource,
        session=session,
        first_name="Raw",
        last_name="Row",
        email="raw@example.com",
        start=start,
        end=end,
        blocked_start=start - before,
        blocked_end=end + after,
        status=status,
        manage_token_hash=uuid.uuid4().hex,
    )


def refused(practice, *args, **kwargs) -> IntegrityError:
    """Insert a row that must be refused; return the error (the test transaction lives on)."""
    with pytest.raises(IntegrityError) as err, transaction.atomic():
        insert(practice, *args, **kwargs)
    return err.value


def constraint_of(err: IntegrityError) -> tuple[str | None, str | None]:
    cause = err.__cause__
    return getattr(cause, "sqlstate", None), getattr(
        getattr(cause, "diag", None), "constraint_name", None
    )


# --- the constraint alone --------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "length"),
    [
        (timedelta(0), H),  # the same range
        (30 * M, H),  # starts inside
        (-30 * M, H),  # ends inside
        (15 * M, 30 * M),  # wholly inside
        (-H, 3 * H),  # wholly around
        (59 * M, H),  # one minute shared
    ],
)
def test_overlapping_active_rows_of_one_staff_member_are_refused(practice, offset, length):
    insert(practice, TOMORROW_10, TOMORROW_10 + H)
    before = snapshot()
    err = refused(practice, TOMORROW_10 + offset, TOMORROW_10 + offset + length)
    assert constraint_of(err) == (EXCLUSION_VIOLATION, "booking_staff_no_overlap")
    assert snapshot() == before


def test_buffers_count_as_blocked_time(practice):
    """10:00-11:00 plus 15 min after, and 11:00-12:00: the appointments touch, the blocked
    ranges overlap."""
    insert(practice, TOMORROW_10, TOMORROW_10 + H, after=15 * M)
    err = refused(practice, TOMORROW_10 + H, TOMORROW_10 + 2 * H)
    assert constraint_of(err)[1] == "booking_staff_no_overlap"
    err = refused(practice, TOMORROW_10 - H, TOMORROW_10, after=5 * M)
    assert constraint_of(err)[1] == "booking_staff_no_overlap"


def test_a_request_holds_its_time_too(practice):
    insert(practice, TOMORROW_10, TOMORROW_10 + H, status=BookingStatus.REQUESTED)
    refused(practice, TOMORROW_10, TOMORROW_10 + H, status=BookingStatus.CONFIRMED)
    refused(practice, TOMORROW_10, TOMORROW_10 + H, status=BookingStatus.REQUESTED)


def test_overlapping_rows_of_one_resource_are_refused_across_staff(practice):
    ada, ben, _ = practice.staff
    insert(practice, TOMORROW_10, TOMORROW_10 + H, staff=ada, resource=practice.cabin)
    err = refused(
        practice, TOMORROW_10 + 30 * M, TOMORROW_10 + 90 * M, staff=ben, resource=practice.cabin
    )
    assert constraint_of(err) == (EXCLUSION_VIOLATION, "booking_resource_no_overlap")
    # A resource booked with no staff member at all is guarded just the same.
    err = refused(practice, TOMORROW_10, TOMORROW_10 + H, staff=None, resource=practice.cabin)
    assert constraint_of(err)[1] == "booking_resource_no_overlap"


def test_different_staff_at_the_same_time_do_not_conflict(practice):
    for member in practice.staff:
        insert(practice, TOMORROW_10, TOMORROW_10 + H, staff=member)
    insert(practice, TOMORROW_10, TOMORROW_10 + H, staff=None)
    insert(practice, TOMORROW_10, TOMORROW_10 + H, staff=None)  # no staff, no resource: unguarded
    assert Booking.objects.count() == 5


@pytest.mark.parametrize(
    "inactive", [BookingStatus.CANCELLED, BookingStatus.COMPLETED, BookingStatus.NO_SHOW]
)
def test_inactive_rows_do_not_conflict(practice, inactive):
    insert(practice, TOMORROW_10, TOMORROW_10 + H, status=inactive, resource=practice.cabin)
    insert(practice, TOMORROW_10, TOMORROW_10 + H, resource=practice.cabin)
    insert(
        practice, TOMORROW_10 + 30 * M, TOMORROW_10 + H, status=inactive, resource=practice.cabin
    )
    assert Booking.objects.filter(status__in=domain.change.ACTIVE_STATUSES).count() == 1


def test_cancelling_frees_the_range_and_reactivating_into_an_overlap_is_refused(practice):
    first = insert(practice, TOMORROW_10, TOMORROW_10 + H)
    Booking.objects.filter(pk=first.pk).update(status=BookingStatus.CANCELLED)
    insert(practice, TOMORROW_10, TOMORROW_10 + H)
    # The constraint guards updates too, not only inserts.
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.filter(pk=first.pk).update(status=BookingStatus.CONFIRMED)
    assert Booking.objects.get(pk=first.pk).status == BookingStatus.CANCELLED


def test_moving_a_row_into_an_overlap_is_refused(practice):
    insert(practice, TOMORROW_10, TOMORROW_10 + H)
    other = insert(practice, TOMORROW_10 + 2 * H, TOMORROW_10 + 3 * H)
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.filter(pk=other.pk).update(
            start=TOMORROW_10 + 30 * M,
            end=TOMORROW_10 + 90 * M,
            blocked_start=TOMORROW_10 + 30 * M,
            blocked_end=TOMORROW_10 + 90 * M,
        )


def test_adjacent_ranges_do_not_conflict(practice):
    """Half-open ranges: [10:00, 11:00) and [11:00, 12:00) share no instant."""
    insert(practice, TOMORROW_10, TOMORROW_10 + H, resource=practice.cabin)
    insert(practice, TOMORROW_10 + H, TOMORROW_10 + 2 * H, resource=practice.cabin)
    insert(practice, TOMORROW_10 - H, TOMORROW_10, resource=practice.cabin)
    assert Booking.objects.count() == 3


def test_class_seat_bookings_do_not_conflict_with_each_other(practice):
    session = practice.session
    ada = practice.staff[0]
    for _ in range(3):
        insert(practice, session.start, session.end, staff=ada, session=session)
    assert Booking.objects.filter(session=session).count() == 3
    # ...nor does an appointment row (the session row lock and the slot engine keep
    # appointments off a teacher's class time, not this constraint).
    insert(practice, session.start, session.end, staff=ada)


# --- the domain's mapping of the constraint --------------------------------------------


def test_booking_transaction_turns_an_overlap_into_slot_unavailable_and_writes_nothing(practice):
    before = snapshot()
    with pytest.raises(SlotUnavailable) as err, booking_transaction():
        insert(practice, TOMORROW_10, TOMORROW_10 + H)
        insert(practice, TOMORROW_10 + 30 * M, TOMORROW_10 + 90 * M)
    assert_from_constraint(err.value, "booking_staff_no_overlap")
    assert snapshot() == before  # the first row went too: the whole transaction is undone


def test_booking_transaction_lets_other_integrity_errors_through(practice):
    first = insert(practice, TOMORROW_10, TOMORROW_10 + H)
    with pytest.raises(IntegrityError) as err, booking_transaction():
        row = insert(practice, TOMORROW_10 + 2 * H, TOMORROW_10 + 3 * H)
        Booking.objects.filter(pk=row.pk).update(manage_token_hash=first.manage_token_hash)
    assert not isinstance(err.value, SlotUnavailable)
    assert Booking.objects.count() == 1


@pytest.fixture
def blind_recheck(monkeypatch):
    """Simulate a lost race the locks did not see: the re-check ignores every existing
    booking, exactly as if the conflicting row had been committed after it ran."""

    def slot_at(**kwargs):
        kwargs["exclude_bookings"] = list(Booking.objects.values_list("pk", flat=True))
        return availability.slot_at(**kwargs)

    monkeypatch.setattr(create_module, "slot_at", slot_at)
    monkeypatch.setattr(change_module, "slot_at", slot_at)


def assert_from_constraint(err: SlotUnavailable, name: str) -> None:
    """The refusal came from the database, not from the (blinded) re-check."""
    assert isinstance(err.__cause__, IntegrityError), "refused by the re-check, not the constraint"
    assert constraint_of(err.__cause__) == (EXCLUSION_VIOLATION, name)


def test_create_maps_the_constraint_to_slot_unavailable(practice, blind_recheck):
    ada = practice.staff[0]
    insert(practice, TOMORROW_10, TOMORROW_10 + H, staff=ada)
    customers, before = Customer.objects.count(), snapshot()
    with pytest.raises(SlotUnavailable) as err:
        book(practice, TOMORROW_10 + 30 * M, staff=ada, n="late")
    assert_from_constraint(err.value, "booking_staff_no_overlap")
    assert snapshot() == before
    # The customer record written earlier in the same transaction was rolled back too.
    assert Customer.objects.count() == customers
    # The blinded re-check alone would have accepted it: another staff member's time is free.
    assert (
        book(practice, TOMORROW_10, staff=practice.staff[1]).booking.staff_id
        == practice.staff[1].id
    )


def test_reschedule_maps_the_constraint_to_slot_unavailable(practice, blind_recheck):
    ada = practice.staff[0]
    insert(practice, TOMORROW_10 + 2 * H, TOMORROW_10 + 3 * H, staff=ada)
    mine = insert(practice, TOMORROW_10 + 5 * H, TOMORROW_10 + 6 * H, staff=ada)
    before = snapshot()
    with pytest.raises(SlotUnavailable) as err:
        domain.booking_reschedule(
            booking=mine, start=TOMORROW_10 + 2 * H, actor=domain.STAFF, now=NOW
        )
    assert_from_constraint(err.value, "booking_staff_no_overlap")
    assert snapshot() == before


def test_create_on_the_cabin_maps_the_resource_constraint(practice, blind_recheck):
    ada, ben, _ = practice.staff
    insert(practice, TOMORROW_10, TOMORROW_10 + H, staff=ada, resource=practice.cabin)
    before = snapshot()
    with pytest.raises(SlotUnavailable) as err:
        domain.booking_create(
            company=practice.company,
            service=practice.cabin_service,
            start=TOMORROW_10,
            details=details("cabin"),
            staff_id=ben.id,
            now=NOW,
        )
    assert_from_constraint(err.value, "booking_resource_no_overlap")
    assert snapshot() == before
