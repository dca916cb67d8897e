"""The availability version changes after any write that can change slots."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from rendezvous.availability import cache as availability_cache
from rendezvous.availability.cache import cached_answer
from rendezvous.availability.models import TimeOff, WorkingHours
from rendezvous.companies.models import Location
from tests.conftest import BERLIN, availability_version

pytestmark = pytest.mark.integration


def write_something(practice, write: str) -> None:
    ada = practice.staff[0]
    if write == "time_off":
        start = datetime(2026, 12, 3, 9, tzinfo=BERLIN)
        TimeOff.objects.create(staff=ada, start=start, end=start + timedelta(hours=3))
    elif write == "hours":
        WorkingHours.objects.filter(staff=ada).delete()
    elif write == "service_staff":
        practice.service.staff.remove(ada)
    elif write == "staff_locations":
        # bulk_create sends no signal: only the relation can bump the version here.
        (north,) = Location.objects.bulk_create(
            [Location(company=practice.company, name="North", timezone="Europe/Berlin")]
        )
        ada.locations.add(north)
    else:
        practice.session.capacity = 3
        practice.session.save()


WRITES = ["time_off", "hours", "service_staff", "staff_locations", "session"]


@pytest.mark.parametrize("write", WRITES)
def test_writes_bump_the_version_when_they_commit(
    practice, django_capture_on_commit_callbacks, write
):
    before = availability_version(practice.company.id)
    with django_capture_on_commit_callbacks(execute=True):
        write_something(practice, write)
        if connection.vendor == "postgresql":
            # Not in the writer's transaction: that would lock the company row.
            assert availability_version(practice.company.id) == before
    assert availability_version(practice.company.id) > before


@pytest.mark.parametrize("write", WRITES)
def test_a_write_that_rolls_back_leaves_the_version(
    practice, django_capture_on_commit_callbacks, write
):
    # On SQLite the bump is part of the writer's transaction: undone with it.
    before = availability_version(practice.company.id)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        write_something(practice, write)
        raise RuntimeError("the writer fails after writing")
    assert callbacks == [] and availability_version(practice.company.id) == before


def test_a_company_saved_from_an_old_copy_never_brings_an_old_version_back(
    practice, django_capture_on_commit_callbacks
):
    # A form loaded the company; bookings bumped the version meanwhile; the form saves.
    stale = type(practice.company).objects.get(pk=practice.company.pk)
    seen = set()
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            practice.session.save()
        seen.add(availability_version(practice.company.id))
    with django_capture_on_commit_callbacks(execute=True):
        stale.name = "Renamed"
        stale.save()
    # Answers cached under any earlier version must never be read again.
    assert availability_version(practice.company.id) > max(seen)


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_a_burst_of_identical_misses_computes_the_answer_once():
    from django.db import connection

    calls = []
    start = threading.Barrier(8)

    def compute() -> str:
        calls.append(1)
        time.sleep(0.2)  # long enough for every other thread to arrive meanwhile
        return f"answer {len(calls)}"

    def visitor() -> str:
        try:
            start.wait()
            return cached_answer("burst-test", 7, compute)
        finally:
            connection.close()

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: visitor(), range(8)))
    assert answers == ["answer 1"] * 8 and len(calls) == 1
    # A newer version is a miss again.
    assert cached_answer("burst-test", 8, compute) == "answer 2"


def test_an_answer_kept_locally_is_served_only_at_its_version(db, monkeypatch):
    """keep_local answers from this process's memory without the shared cache, never at
    another version, and keeps no more than its limits."""
    calls = []

    def compute(text):
        def run():
            calls.append(text)
            return text

        return run

    assert cached_answer("k", 1, compute("one"), keep_local=True) == "one"
    cache.clear()  # the shared copy is gone: the kept one answers
    with CaptureQueriesContext(connection) as queries:
        assert cached_answer("k", 1, compute("other"), keep_local=True) == "one"
    assert len(queries) == 0 and calls == ["one"]
    assert cached_answer("k", 2, compute("two"), keep_local=True) == "two"
    assert cached_answer("k", 1, compute("old"), keep_local=True) == "old"
    monkeypatch.setattr(availability_cache, "LOCAL_ENTRIES", 2)
    for n in range(3):
        cached_answer(f"n{n}", 1, compute(f"n{n}"), keep_local=True)
    assert list(availability_cache._LOCAL) == ["n1", "n2"]
    monkeypatch.setattr(availability_cache, "LOCAL_CHARS", 5)
    cached_answer("big", 1, compute("123456"), keep_local=True)
    assert list(availability_cache._LOCAL) == ["big"]  # the newest stays, however big
