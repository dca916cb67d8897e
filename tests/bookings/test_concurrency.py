"""Races between real clients: threads started together, each on its own connection.

Every test commits its data (`transaction=True`) so the other connections see it, and
runs unchanged on SQLite (IMMEDIATE transactions serialise the writers) and on
PostgreSQL (row locks, then the exclusion constraints). A thread records what the
domain answered: "ok" or the DomainError code. Anything else (a `database is locked`,
a raw IntegrityError, a deadlock) is recorded as `!ExceptionName: message`, so it shows
up in the failing assertion instead of being retried away.

After each race `assert_consistent()` checks the invariants on the whole table: no two
active appointment bookings of one staff member (or one resource) overlap, and no class
session holds more seats than its capacity.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import combinations

import pytest
from django.db import connection
from django.db.models import Q, Sum

from rendezvous.bookings import domain
from rendezvous.bookings.domain import change as change_module
from rendezvous.bookings.models import ACTIVE_STATUSES, Booking, Customer
from rendezvous.catalog.models import ClassSession, Service, ServiceKind
from rendezvous.companies.models import Company, Resource, StaffMember
from rendezvous.core.errors import DomainError
from tests.conftest import NOW, TOMORROW_10
from tests.factories import (
    ClassSessionFactory,
    CompanyFactory,
    ResourceFactory,
    ServiceFactory,
    StaffFactory,
)

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]

OK = "ok"
TAKEN = "slot_unavailable"
FULL = "class_full"
# Long enough for 50 threads to connect on a busy 2-core machine, short enough to fail fast.
BARRIER_TIMEOUT = 60


@dataclass
class Shop:
    company: Company
    staff: list[StaffMember]
    service: Service  # 60 minutes, all three staff
    short: Service  # 30 minutes, all three staff
    cabin_service: Service  # 45 minutes, needs the one cabin
    cabin: Resource
    yoga: Service
    session: ClassSession  # capacity 10, Ada


@pytest.fixture
def shop(transactional_db) -> Shop:
    """The `practice` company of conftest.py, committed so that every connection sees it."""
    company = CompanyFactory(slug="race")
    staff = [StaffFactory(company=company, name=n) for n in ("Ada", "Ben", "Cleo")]
    service = ServiceFactory(company=company, name="Consultation", duration_minutes=60, staff=staff)
    short = ServiceFactory(company=company, name="Check-up", duration_minutes=30, staff=staff)
    cabin = ResourceFactory(company=company)
    cabin_service = ServiceFactory(
        company=company,
        name="Hearing test",
        duration_minutes=45,
        resource_kind="cabin",
        staff=staff,
    )
    yoga = ServiceFactory(company=company, name="Yoga", kind=ServiceKind.CLASS, staff=[staff[0]])
    session = ClassSessionFactory(
        service=yoga, staff=staff[0], start=TOMORROW_10 + timedelta(hours=8), capacity=10
    )
    return Shop(company, staff, service, short, cabin_service, cabin, yoga, session)


# --- the harness -----------------------------------------------------------------------


def race(calls: list[Callable[[], object]], delays: list[float] | None = None) -> list[str]:
    """Run each call in its own thread, all released at once; return what each answered.

    Each thread opens its connection before the barrier (so connecting is not part of
    the race) and closes it at the end. `delays[i]` holds thread i back after the
    barrier, to choose who is likely first.
    """
    barrier = threading.Barrier(len(calls))
    delays = delays or [0.0] * len(calls)

    def run(i: int) -> str:
        try:
            connection.ensure_connection()
            barrier.wait(timeout=BARRIER_TIMEOUT)
            if delays[i]:
                time.sleep(delays[i])
            return answer(calls[i])
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, range(len(calls))))


def answer(call: Callable[[], object]) -> str:
    """ "ok", the DomainError code, or "!Exception: message" for anything else."""
    try:
        call()
    except DomainError as exc:
        return exc.code
    except Exception as exc:  # reported in the result, never retried or swallowed
        return f"!{type(exc).__name__}: {exc}"
    return OK


def in_thread(call: Callable[[], object]) -> Callable[[], str]:
    """`call` for a pool thread: its answer, and its connection closed afterwards."""

    def run() -> str:
        try:
            return answer(call)
        finally:
            connection.close()

    return run


def blocked_or_done(future, timeout: float = 5.0) -> None:
    """Wait until `future` has finished or its connection waits on a lock (PostgreSQL),
    or a short while on SQLite (where the wait is inside the busy handler)."""
    if connection.vendor != "postgresql":
        wait([future], timeout=0.3)
        return
    deadline = time.monotonic() + timeout
    while not future.done() and time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return
        time.sleep(0.02)


def customer(tag: str | int) -> domain.CustomerDetails:
    return domain.CustomerDetails("Race", f"Client {tag}", f"client-{tag}@example.com")


def create(
    shop: Shop,
    start: datetime,
    *,
    staff: StaffMember | None = None,
    service: Service | None = None,
    tag: str | int | None = None,
) -> Callable[[], object]:
    tag = tag if tag is not None else uuid.uuid4().hex[:10]
    return lambda: domain.booking_create(
        company=shop.company,
        service=service or shop.service,
        start=start,
        details=customer(tag),
        staff_id=staff.id if staff else None,
        now=NOW,
    )


def active_at(staff: StaffMember, start: datetime, end: datetime) -> list[Booking]:
    """Active appointment bookings of `staff` whose blocked range meets [start, end)."""
    return list(
        Booking.objects.filter(
            staff=staff,
            status__in=ACTIVE_STATUSES,
            session__isnull=True,
            blocked_start__lt=end,
            blocked_end__gt=start,
        )
    )


def overlaps() -> list[tuple]:
    """Every pair of active appointment bookings that share a staff member or resource
    and whose blocked ranges intersect. Checked pairwise in Python on purpose: this must
    not share code (or a query shape) with the engine it checks."""
    rows = list(
        Booking.objects.filter(status__in=ACTIVE_STATUSES, session__isnull=True).values_list(
            "id", "staff_id", "resource_id", "blocked_start", "blocked_end"
        )
    )
    bad = []
    for a, b in combinations(rows, 2):
        shares = (a[1] is not None and a[1] == b[1]) or (a[2] is not None and a[2] == b[2])
        if shares and a[3] < b[4] and b[3] < a[4]:
            bad.append((a, b))
    return bad


def overfull_sessions() -> list[tuple]:
    rows = ClassSession.objects.annotate(
        taken=Sum("bookings__participants", filter=Q(bookings__status__in=ACTIVE_STATUSES))
    ).values_list("id", "capacity", "taken")
    return [(sid, cap, taken) for sid, cap, taken in rows if (taken or 0) > cap]


def assert_consistent() -> None:
    assert overlaps() == [], "two active bookings of one staff member or resource overlap"
    assert overfull_sessions() == [], "a class session holds more seats than its capacity"


# --- the races -------------------------------------------------------------------------


def test_fifty_clients_one_slot_one_named_staff(shop):
    ada = shop.staff[0]
    results = race([create(shop, TOMORROW_10, staff=ada, tag=i) for i in range(50)])
    assert Counter(results) == {OK: 1, TAKEN: 49}
    assert len(active_at(ada, TOMORROW_10, TOMORROW_10 + timedelta(hours=1))) == 1
    assert Booking.objects.count() == 1
    # The losers left nothing behind: exactly the winner's customer exists.
    assert Customer.objects.count() == 1
    assert_consistent()


def test_thirty_clients_on_a_class_of_ten(shop):
    session = shop.session
    calls = [
        (
            lambda i=i: domain.booking_create(
                company=shop.company,
                service=shop.yoga,
                start=None,
                session_id=session.id,
                details=customer(i),
                now=NOW,
            )
        )
        for i in range(30)
    ]
    results = race(calls)
    assert Counter(results) == {OK: 10, FULL: 20}
    taken = Booking.objects.filter(session=session, status__in=ACTIVE_STATUSES).aggregate(
        n=Sum("participants")
    )["n"]
    assert taken == session.capacity == 10
    assert_consistent()


def test_group_bookings_never_overfill_a_class(shop):
    """Mixed party sizes: whatever order wins, the seats sold never pass capacity."""
    session = shop.session
    sizes = [3, 2, 4, 1, 3, 2, 4, 1, 3, 2, 1, 4]  # 30 seats asked for, 10 available
    calls = [
        (
            lambda i=i, n=n: domain.booking_create(
                company=shop.company,
                service=shop.yoga,
                start=None,
                session_id=session.id,
                details=customer(i),
                participants=n,
                now=NOW,
            )
        )
        for i, n in enumerate(sizes)
    ]
    results = race(calls)
    assert set(results) <= {OK, FULL}, results
    sold = sum(n for n, r in zip(sizes, results, strict=True) if r == OK)
    taken = Booking.objects.filter(session=session, status__in=ACTIVE_STATUSES).aggregate(
        n=Sum("participants")
    )["n"]
    assert taken == sold <= 10
    # Every refusal was justified: the refused party would not have fitted.
    refused = [n for n, r in zip(sizes, results, strict=True) if r == FULL]
    assert all(sold + n > 10 for n in refused)
    assert_consistent()


def test_twenty_any_staff_clients_on_three_staff(shop):
    results = race([create(shop, TOMORROW_10, tag=i) for i in range(20)])
    assert Counter(results) == {OK: 3, TAKEN: 17}
    owners = list(
        Booking.objects.filter(status__in=ACTIVE_STATUSES).values_list("staff_id", flat=True)
    )
    assert sorted(owners) == sorted(s.id for s in shop.staff)
    assert_consistent()


def test_any_staff_clients_share_the_one_cabin(shop):
    """Three staff are free but the service needs the only cabin: one booking, not three."""
    results = race(
        [create(shop, TOMORROW_10, service=shop.cabin_service, tag=i) for i in range(12)]
    )
    assert Counter(results) == {OK: 1, TAKEN: 11}
    assert Booking.objects.get().resource_id == shop.cabin.id
    assert_consistent()


def test_named_and_any_staff_clients_mixed(shop):
    """Clients naming Ada, Ben or Cleo race clients who take anyone: still one per staff."""
    calls = [create(shop, TOMORROW_10, staff=shop.staff[i % 3], tag=f"n{i}") for i in range(9)]
    calls += [create(shop, TOMORROW_10, tag=f"a{i}") for i in range(9)]
    results = race(calls)
    assert Counter(results) == {OK: 3, TAKEN: 15}
    assert_consistent()


@pytest.mark.parametrize("rounds", [10])
def test_reschedule_races_a_new_booking_for_the_same_time(shop, rounds):
    ada = shop.staff[0]
    for r in range(rounds):
        day = TOMORROW_10 + timedelta(days=2 + r)
        target = day.replace(hour=14)
        moving = domain.booking_create(
            company=shop.company,
            service=shop.service,
            start=day.replace(hour=9),
            details=customer(f"m{r}"),
            staff_id=ada.id,
            now=NOW,
        ).booking
        reschedule = lambda b=moving, t=target: domain.booking_reschedule(  # noqa: E731
            booking=b, start=t, actor=domain.STAFF, now=NOW
        )
        # Alternate who is (likely) first, and by how much.
        head_start = [0.0, 0.0] if r % 4 < 2 else [0.0, 0.003]
        if r % 2:
            head_start.reverse()
        results = race([reschedule, create(shop, target, staff=ada, tag=f"c{r}")], head_start)
        assert sorted(results) == sorted([OK, TAKEN]), (r, results)
        owners = active_at(ada, target, target + timedelta(hours=1))
        assert len(owners) == 1, (r, owners)
        moved = Booking.objects.get(pk=moving.pk)
        if results[0] == OK:  # the reschedule won: the booking moved, its old time is free
            assert owners[0].pk == moving.pk and moved.start == target
        else:  # the new booking won: the rescheduled booking did not move at all
            assert owners[0].pk != moving.pk and moved.start == day.replace(hour=9)
        assert_consistent()


@pytest.mark.parametrize("rounds", [12])
def test_overlapping_services_of_different_lengths_never_both_succeed(shop, rounds):
    """60 minutes at 10:00 and 30 minutes at 10:30 on Ada: they share 10:30-11:00."""
    ada = shop.staff[0]
    wins = Counter()
    for r in range(rounds):
        day = TOMORROW_10 + timedelta(days=1 + r)
        long_call = create(shop, day, staff=ada, service=shop.service, tag=f"l{r}")
        short_call = create(
            shop, day + timedelta(minutes=30), staff=ada, service=shop.short, tag=f"s{r}"
        )
        calls = [long_call, short_call] if r % 2 == 0 else [short_call, long_call]
        results = race(calls)
        assert sorted(results) == sorted([OK, TAKEN]), (r, results)
        assert len(active_at(ada, day, day + timedelta(hours=1))) == 1
        wins["long" if (results[0] == OK) == (r % 2 == 0) else "short"] += 1
        assert_consistent()
    assert sum(wins.values()) == rounds


@pytest.mark.parametrize("rounds", [8])
def test_cancel_racing_bookings_of_the_same_slot_leaves_one_owner_at_most(shop, rounds):
    ada = shop.staff[0]
    for r in range(rounds):
        start = TOMORROW_10 + timedelta(days=1 + r)
        held = domain.booking_create(
            company=shop.company,
            service=shop.service,
            start=start,
            details=customer(f"h{r}"),
            staff_id=ada.id,
            now=NOW,
        ).booking
        cancel = lambda b=held: domain.booking_cancel(booking=b, actor=domain.STAFF, now=NOW)  # noqa: E731
        bookers = [create(shop, start, staff=ada, tag=f"b{r}-{i}") for i in range(5)]
        # The cancel goes first in even rounds, after the bookers have started in odd ones.
        delays = [0.0 if r % 2 == 0 else 0.003] + [0.0] * len(bookers)
        results = race([cancel, *bookers], delays)
        assert results[0] == OK, results
        assert set(results[1:]) <= {OK, TAKEN}, results
        assert results[1:].count(OK) <= 1
        owners = active_at(ada, start, start + timedelta(hours=1))
        assert len(owners) == results[1:].count(OK)
        assert Booking.objects.get(pk=held.pk).status == "cancelled"
        assert_consistent()


def test_one_customer_books_many_slots_at_once(shop):
    """Same email from many threads: every booking succeeds and they share one Customer
    (the unique (company, email) insert race is resolved, not turned into a 500)."""
    calls = [
        create(shop, TOMORROW_10 + timedelta(hours=h), staff=shop.staff[i], tag="same")
        for i in range(3)
        for h in range(4)
    ]
    results = race(calls)
    assert Counter(results) == {OK: 12}
    assert Customer.objects.count() == 1
    assert set(Booking.objects.values_list("customer_id", flat=True)) == {Customer.objects.get().id}
    assert_consistent()


def test_two_reschedules_onto_one_time(shop):
    """Two of Ada's bookings moved to the same free time at once: one moves, one stays."""
    ada = shop.staff[0]
    target = TOMORROW_10.replace(hour=15)
    first, second = (
        domain.booking_create(
            company=shop.company,
            service=shop.service,
            start=TOMORROW_10.replace(hour=h),
            details=customer(f"r{h}"),
            staff_id=ada.id,
            now=NOW,
        ).booking
        for h in (9, 11)
    )
    results = race(
        [
            lambda: domain.booking_reschedule(
                booking=first, start=target, actor=domain.STAFF, now=NOW
            ),
            lambda: domain.booking_reschedule(
                booking=second, start=target, actor=domain.STAFF, now=NOW
            ),
        ]
    )
    assert sorted(results) == sorted([OK, TAKEN])
    assert len(active_at(ada, target, target + timedelta(hours=1))) == 1
    assert_consistent()


def test_cancel_and_reschedule_of_one_booking(shop):
    """Whichever wins, the booking ends cancelled or moved, never moved *and* active twice."""
    ada = shop.staff[0]
    for r in range(4):
        start = TOMORROW_10 + timedelta(days=1 + r)
        b = domain.booking_create(
            company=shop.company,
            service=shop.service,
            start=start,
            details=customer(f"x{r}"),
            staff_id=ada.id,
            now=NOW,
        ).booking
        target = start.replace(hour=15)
        results = race(
            [
                lambda b=b: domain.booking_cancel(booking=b, actor=domain.STAFF, now=NOW),
                lambda b=b, t=target: domain.booking_reschedule(
                    booking=b, start=t, actor=domain.STAFF, now=NOW
                ),
            ],
            [0.0, 0.003] if r % 2 else [0.003, 0.0],
        )
        assert results[0] == OK
        assert results[1] in {OK, "invalid_state"}, results
        row = Booking.objects.get(pk=b.pk)
        assert row.status == "cancelled"
        assert row.start == (target if results[1] == OK else start)
        assert_consistent()


@pytest.mark.parametrize("action", ["cancel", "confirm", "reschedule"])
def test_changing_one_booking_does_not_block_booking_another_staff_member(
    shop, monkeypatch, action
):
    """Lock scope: cancelling, confirming or rescheduling Ada's booking must not hold up a
    new booking with Ben at another time. The change is paused inside its transaction (just before
    its write) while the new booking runs; the new booking normally takes milliseconds.

    On SQLite every write transaction is serialised by design, so this is PostgreSQL only.
    """
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises all writers (IMMEDIATE); lock scope is a PostgreSQL matter")
    ada, ben = shop.staff[0], shop.staff[1]
    if action == "confirm":
        Service.objects.filter(pk=shop.service.pk).update(requires_confirmation=True)
        shop.service.refresh_from_db()
    held = domain.booking_create(
        company=shop.company,
        service=shop.service,
        start=TOMORROW_10,
        details=customer("held"),
        staff_id=ada.id,
        now=NOW,
    ).booking
    change = {
        "cancel": lambda: domain.booking_cancel(booking=held, actor=domain.STAFF, now=NOW),
        "confirm": lambda: domain.booking_confirm(booking=held, now=NOW),
        "reschedule": lambda: domain.booking_reschedule(
            booking=held, start=TOMORROW_10.replace(hour=15), actor=domain.STAFF, now=NOW
        ),
    }[action]
    paused_field = {
        "cancel": "cancelled_at",
        "confirm": "confirmed_at",
        "reschedule": "blocked_start",
    }[action]

    inside, release = threading.Event(), threading.Event()
    original_save = Booking.save

    def save(self, *args, **kwargs):
        if paused_field in (kwargs.get("update_fields") or ()):
            inside.set()
            release.wait(BARRIER_TIMEOUT)
        return original_save(self, *args, **kwargs)

    monkeypatch.setattr(Booking, "save", save)

    other = create(shop, TOMORROW_10 + timedelta(days=3), staff=ben, tag="other")
    with ThreadPoolExecutor(max_workers=2) as pool:
        changing = pool.submit(in_thread(change))
        try:
            assert inside.wait(BARRIER_TIMEOUT), "the change never reached its write"
            booking = pool.submit(in_thread(other))
            started = time.monotonic()
            finished = wait([booking], timeout=5).done
            waited = time.monotonic() - started
        finally:
            release.set()
        assert (changing.result(), booking.result()) == (OK, OK)
    assert finished, (
        f"booking Ben waited {waited:.1f}s on booking_{action} of Ada's booking: "
        "the change locks more than the booking row"
    )


@pytest.mark.parametrize("action", ["cancel", "confirm"])
def test_cancel_or_confirm_during_a_reschedule_of_the_same_booking_never_deadlocks(
    shop, monkeypatch, action
):
    """The reschedule is held between its staff lock and its booking lock while a cancel
    (or confirm) of the same booking starts; then it goes on. Whatever the order, both
    answer with a domain outcome. Any lock the two take in opposite orders shows up here
    as PostgreSQL's `deadlock detected` (an OperationalError, a 500 at the API)."""
    ada = shop.staff[0]
    if action == "confirm":
        Service.objects.filter(pk=shop.service.pk).update(requires_confirmation=True)
        shop.service.refresh_from_db()
    start = TOMORROW_10 + timedelta(days=2)
    held = domain.booking_create(
        company=shop.company,
        service=shop.service,
        start=start,
        details=customer("dl"),
        staff_id=ada.id,
        now=NOW,
    ).booking

    # booking_reschedule locks the service's resources between locking the staff row
    # and locking the booking row: the pause point. The real function still answers.
    inside, release = threading.Event(), threading.Event()
    real_resources_locked = change_module.resources_locked

    def paused_resources_locked(*args, **kwargs):
        inside.set()
        release.wait(BARRIER_TIMEOUT)
        return real_resources_locked(*args, **kwargs)

    monkeypatch.setattr(change_module, "resources_locked", paused_resources_locked)
    reschedule = lambda: domain.booking_reschedule(  # noqa: E731
        booking=held, start=start.replace(hour=15), actor=domain.STAFF, now=NOW
    )
    change = {
        "cancel": lambda: domain.booking_cancel(booking=held, actor=domain.STAFF, now=NOW),
        "confirm": lambda: domain.booking_confirm(booking=held, now=NOW),
    }[action]
    with ThreadPoolExecutor(max_workers=2) as pool:
        moving = pool.submit(in_thread(reschedule))
        try:
            assert inside.wait(BARRIER_TIMEOUT), "the reschedule never reached its pause"
            changing = pool.submit(in_thread(change))
            blocked_or_done(changing)
        finally:
            release.set()
        results = {"reschedule": moving.result(), action: changing.result()}
    assert not [r for r in results.values() if r.startswith("!")], results
    assert results[action] == OK
    # A cancel that went first leaves nothing to move; a confirm does not stop the move.
    assert results["reschedule"] in ({"invalid_state", OK} if action == "cancel" else {OK})
    assert_consistent()
