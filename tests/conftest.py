"""Shared fixtures. `practice` is a small company used across the suite:

Europe/Berlin, three staff working 09:00-17:00 every day, a 60-minute service all
three give, a 30-minute online service, a service needing the one cabin, and a class
with capacity 10. The clock is frozen at NOW (a Tuesday morning) by `frozen_now`.
"""

import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.utils import translation

from rendezvous.availability.cache import forget_local
from rendezvous.bookings import domain
from rendezvous.bookings.models import Booking
from rendezvous.catalog.models import ClassSession, Service, ServiceKind
from rendezvous.companies.models import Company, Resource, StaffMember
from tests.factories import (
    ClassSessionFactory,
    CompanyFactory,
    ResourceFactory,
    ServiceFactory,
    StaffFactory,
)

# The real SMTP server fixture (aiosmtpd), for any test that follows an email out.
from tests.notifications.conftest import smtp  # noqa: F401

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=BERLIN)  # Tuesday
TOMORROW_10 = datetime(2026, 12, 2, 10, 0, tzinfo=BERLIN)


@dataclass
class Practice:
    company: Company
    staff: list[StaffMember]
    service: Service
    video: Service
    cabin_service: Service
    cabin: Resource
    yoga: Service
    session: ClassSession


# CI runs the suite a second time with the clock moved ahead (`make test-ahead`), so that a
# test which passes only on the day it was written fails at once rather than on that
# day. The move is time-machine's, ticking, for the whole session: libfaketime also
# moves the monotonic clock, and Python's timed waits (Lock.acquire(timeout=...),
# Event.wait, time.sleep) then hang or fail with EINVAL in every thread test.
CLOCK_AHEAD_DAYS = int(os.environ.get("RENDEZVOUS_TEST_CLOCK_AHEAD_DAYS") or 0)


def pytest_configure(config):
    if CLOCK_AHEAD_DAYS:
        ahead = datetime.now(UTC) + timedelta(days=CLOCK_AHEAD_DAYS)
        config._clock_ahead = time_machine.travel(ahead, tick=True)
        config._clock_ahead.start()


def pytest_unconfigure(config):
    if getattr(config, "_clock_ahead", None) is not None:
        config._clock_ahead.stop()


def pytest_report_header(config):
    if CLOCK_AHEAD_DAYS:
        return f"clock moved {CLOCK_AHEAD_DAYS} days ahead: it is {datetime.now(UTC):%Y-%m-%d} here"


# Every test says what it needs to run (pyproject.toml lists the markers), so that a
# run can pick a kind (`-m unit`) and a reader knows what a failure involves.
TEST_KINDS = ("unit", "integration", "concurrency", "e2e")


def pytest_collection_modifyitems(items):
    """Refuse a test without one of TEST_KINDS.

    Under pytest-xdist (--dist loadgroup), the thread storms run on one worker, one
    after another: two at once could open more PostgreSQL connections than it allows.
    The browser tests keep to one worker too, so two Chromiums never share the cores."""
    unmarked = [i.nodeid for i in items if not any(map(i.get_closest_marker, TEST_KINDS))]
    if unmarked:
        raise pytest.UsageError(
            f"every test needs one of the markers {', '.join(TEST_KINDS)}; these have none:\n"
            + "\n".join(unmarked)
        )
    for item in items:
        for marker in ("concurrency", "e2e"):
            if item.get_closest_marker(marker):
                item.add_marker(pytest.mark.xdist_group(marker))
                break


@pytest.fixture(autouse=True)
def _clear_cache(request):
    """The cache (rate-limit counters, cached slot answers) is a table no test rolls back
    or flushes: start every test that uses the database with an empty one, and with no
    answer kept in this process's memory either."""
    uses_db = request.node.get_closest_marker("django_db") or {
        "db",
        "transactional_db",
        "live_server",
    } & set(request.fixturenames)
    if uses_db:
        request.getfixturevalue(
            "transactional_db" if "transactional_db" in request.fixturenames else "db"
        )
        cache.clear()
        forget_local()


@pytest.fixture(autouse=True)
def _default_language():
    """The test client runs LocaleMiddleware in the test's own thread, and its activate()
    outlives the request: without this, a German page leaves German for the next test."""
    yield
    translation.deactivate()


@pytest.fixture
def frozen_now():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def practice(db, frozen_now) -> Practice:
    """The fixed dates above are only "tomorrow" on the frozen clock, so the company that
    is built on them brings the clock with it: no test of it can depend on today's date."""
    company = CompanyFactory(slug="practice")
    staff = [StaffFactory(company=company, name=n) for n in ("Ada", "Ben", "Cleo")]
    service = ServiceFactory(company=company, name="Consultation", duration_minutes=60, staff=staff)
    video = ServiceFactory(
        company=company, name="Video call", duration_minutes=30, online_meeting=True, staff=staff
    )
    cabin = ResourceFactory(company=company)
    cabin_service = ServiceFactory(
        company=company,
        name="Hearing test",
        duration_minutes=45,
        resource_kind="cabin",
        staff=staff,
    )
    yoga = ServiceFactory(
        company=company, name="Yoga", kind=ServiceKind.CLASS, online_meeting=True, staff=[staff[0]]
    )
    session = ClassSessionFactory(
        service=yoga,
        staff=staff[0],
        start=TOMORROW_10 + timedelta(hours=8),
        capacity=10,
        online=True,
    )
    return Practice(company, staff, service, video, cabin_service, cabin, yoga, session)


def details(n: int | str = 1) -> domain.CustomerDetails:
    return domain.CustomerDetails("Test", f"Customer {n}", f"customer{n}@example.com", "")


def book(
    practice: Practice,
    start: datetime,
    *,
    service: Service | None = None,
    staff: StaffMember | None = None,
    n: int | str | None = None,
    now: datetime = NOW,
    **kwargs,
) -> domain.Created:
    return domain.booking_create(
        company=practice.company,
        service=service or practice.service,
        start=start,
        details=details(n if n is not None else uuid.uuid4().hex[:8]),
        staff_id=staff.id if staff else None,
        now=now,
        **kwargs,
    )


def availability_version(company_id: int) -> int:
    """The company's availability version as stored now (availability.cache)."""
    return Company.objects.values_list("availability_version", flat=True).get(pk=company_id)


def snapshot() -> list[tuple]:
    """Every booking row's state, to prove a refusal changed nothing."""
    return list(
        Booking.objects.order_by("id").values_list(
            "id", "status", "start", "end", "staff_id", "updated_at"
        )
    )
