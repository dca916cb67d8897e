"""Bookings made from a location's or a resource's page stay inside that narrowing."""

from datetime import time

import pytest

from rendezvous.availability.models import WorkingHours
from rendezvous.core.errors import SlotUnavailable
from tests.conftest import TOMORROW_10, book, snapshot
from tests.factories import LocationFactory, ResourceFactory

pytestmark = pytest.mark.integration


@pytest.fixture
def two_locations(practice):
    """Ada works at North mornings and South afternoons; Ben only at South; Cleo nowhere."""
    ada, ben, _cleo = practice.staff
    north = LocationFactory(company=practice.company, name="North")
    south = LocationFactory(company=practice.company, name="South")
    WorkingHours.objects.filter(staff__in=[ada, ben]).delete()
    ada.locations.set([north, south])
    ben.locations.set([south])
    for day in range(7):
        WorkingHours.objects.create(
            staff=ada, location=north, weekday=day, start=time(9), end=time(12)
        )
        WorkingHours.objects.create(
            staff=ada, location=south, weekday=day, start=time(13), end=time(17)
        )
        WorkingHours.objects.create(
            staff=ben, location=south, weekday=day, start=time(9), end=time(17)
        )
    return north, south


def test_location_counts_only_hours_worked_there(practice, two_locations):
    north, south = two_locations
    ada = practice.staff[0]
    before = snapshot()
    with pytest.raises(SlotUnavailable):  # Ada works at South then, not at North
        book(practice, TOMORROW_10.replace(hour=14), staff=ada, location_id=north.id)
    assert snapshot() == before
    assert book(practice, TOMORROW_10, staff=ada, location_id=north.id).booking.staff_id == ada.id
    assert book(practice, TOMORROW_10.replace(hour=14), staff=ada, location_id=south.id)


def test_any_staff_at_a_location_only_picks_staff_of_that_location(practice, two_locations):
    north, _south = two_locations
    ada = practice.staff[0]
    assert book(practice, TOMORROW_10, location_id=north.id).booking.staff_id == ada.id
    before = snapshot()
    with pytest.raises(SlotUnavailable):  # Ben is free at 10:00, but at South
        book(practice, TOMORROW_10, location_id=north.id)
    assert snapshot() == before


def test_resource_page_books_that_resource_or_nothing(practice):
    second = ResourceFactory(company=practice.company, name="Cabin B")
    ada, ben, _ = practice.staff
    b = book(
        practice, TOMORROW_10, service=practice.cabin_service, staff=ada, resource_id=second.id
    )
    assert b.booking.resource_id == second.id  # not the first cabin, which was free too
    before = snapshot()
    with pytest.raises(SlotUnavailable):  # Cabin B is taken; the free first cabin is not offered
        book(
            practice, TOMORROW_10, service=practice.cabin_service, staff=ben, resource_id=second.id
        )
    assert snapshot() == before
