"""A service bound to a location is offered and booked only in the hours its staff work
there; a service without one, in the hours they work anywhere."""

import json
from datetime import date, time, timedelta

import pytest

from rendezvous.availability.domain import Window, service_slots
from rendezvous.availability.models import DateException, ExceptionKind, WorkingHours
from rendezvous.bookings import domain
from rendezvous.bookings.models import Booking
from rendezvous.core.errors import SlotUnavailable
from rendezvous.scheduling.intervals import from_epoch
from tests.conftest import BERLIN, NOW, TOMORROW_10, availability_version, book, snapshot
from tests.factories import LocationFactory

pytestmark = pytest.mark.integration

TOMORROW = TOMORROW_10.date()
TWO_PM = TOMORROW_10.replace(hour=14)


@pytest.fixture
def mitte(practice):
    """Consultation belongs to Mitte. Ada works at Mitte 09-12 and at Kreuzberg 13-17;
    Ben gives Consultation too, but works at Kreuzberg only; Cleo works at no location."""
    ada, ben, _cleo = practice.staff
    mitte = LocationFactory(company=practice.company, name="Berlin Mitte")
    kreuzberg = LocationFactory(company=practice.company, name="Kreuzberg")
    WorkingHours.objects.filter(staff__in=[ada, ben]).delete()
    ada.locations.set([mitte, kreuzberg])
    ben.locations.set([kreuzberg])
    for day in range(7):
        WorkingHours.objects.create(
            staff=ada, location=mitte, weekday=day, start=time(9), end=time(12)
        )
        WorkingHours.objects.create(
            staff=ada, location=kreuzberg, weekday=day, start=time(13), end=time(17)
        )
        WorkingHours.objects.create(
            staff=ben, location=kreuzberg, weekday=day, start=time(9), end=time(17)
        )
    practice.service.location = mitte
    practice.service.save()
    return mitte, kreuzberg


def starts(practice, service, day: date = TOMORROW, **kwargs) -> dict[str, list[str]]:
    """Local start time -> staff ids, as the slots endpoint's engine answers it."""
    slots = service_slots(
        company=practice.company,
        service=service,
        window=Window.for_dates(day, day, BERLIN),
        now=NOW,
        **kwargs,
    )
    return {f"{from_epoch(s.start).astimezone(BERLIN):%H:%M}": list(s.staff) for s in slots}


def post(client, body):
    return client.post(
        "/api/v1/companies/practice/bookings",
        data=json.dumps(body),
        content_type="application/json",
    )


def body(practice, start, staff=None, service=None):
    out = {
        "service": str((service or practice.service).id),
        "start": start.isoformat(),
        "customer": {"first_name": "Ana", "last_name": "Ionescu", "email": "ana@example.com"},
    }
    if staff is not None:
        out["staff"] = str(staff.id)
    return out


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code and error["message"]


# -- the booking API --------------------------------------------------------------------


def test_api_refuses_a_start_in_the_staff_members_hours_at_another_location(
    client, practice, mitte
):
    ada = practice.staff[0]
    before = snapshot()
    # Ada works at Kreuzberg at 14:00; Consultation is given at Mitte.
    assert_error(post(client, body(practice, TWO_PM, staff=ada)), 409, "slot_unavailable")
    assert_error(post(client, body(practice, TWO_PM)), 409, "slot_unavailable")
    assert snapshot() == before
    made = post(client, body(practice, TOMORROW_10, staff=ada))
    assert made.status_code == 201, made.content
    assert Booking.objects.get().staff_id == ada.id


def test_api_refuses_staff_who_never_work_at_the_services_location(client, practice, mitte):
    ben, cleo = practice.staff[1], practice.staff[2]
    before = snapshot()
    for member in (ben, cleo):
        assert_error(post(client, body(practice, TOMORROW_10, staff=member)), 404, "not_found")
    assert snapshot() == before


def test_a_service_without_a_location_uses_the_hours_at_every_location(client, practice, mitte):
    ada = practice.staff[0]
    made = post(client, body(practice, TWO_PM, staff=ada, service=practice.video))
    assert made.status_code == 201, made.content


# -- the slots ----------------------------------------------------------------------------


def test_slots_are_the_hours_worked_at_the_services_location(client, practice, mitte):
    ada = practice.staff[0]
    offered = starts(practice, practice.service)
    assert min(offered) == "09:00" and max(offered) == "11:00"
    assert all(who == [str(ada.id)] for who in offered.values())
    url = (
        f"/api/v1/companies/practice/slots?service={practice.service.id}"
        "&from=2026-12-02&to=2026-12-02"
    )
    api = client.get(url).json()["slots"]
    assert [s["start"][11:16] for s in api] == list(offered)
    assert {tuple(s["staff"]) for s in api} == {(str(ada.id),)}
    # Without a location, Ada's hours at both count.
    video = starts(practice, practice.video, staff=[ada])
    assert {"09:00", "11:30", "13:00", "16:30"} <= set(video) and "12:00" not in video


def test_a_location_page_for_another_location_offers_the_service_nothing(practice, mitte):
    _mitte, kreuzberg = mitte
    assert starts(practice, practice.service, location_id=kreuzberg.id) == {}
    before = snapshot()
    with pytest.raises(SlotUnavailable):
        book(practice, TWO_PM, location_id=kreuzberg.id)
    assert snapshot() == before


def test_a_needed_resource_must_be_at_the_services_location_or_at_none(practice, mitte):
    mitte, kreuzberg = mitte
    service = practice.cabin_service
    service.location = mitte
    service.save()
    practice.cabin.location = kreuzberg
    practice.cabin.save()
    assert starts(practice, service) == {}
    practice.cabin.location = None
    practice.cabin.save()
    assert "10:00" in starts(practice, service)


def test_extra_hours_count_only_at_their_own_location(practice, mitte):
    mitte, kreuzberg = mitte
    ada, ben = practice.staff[0], practice.staff[1]
    # Ben now works at Mitte too, but only on extra hours at Kreuzberg this evening.
    ben.locations.add(mitte)
    for member in (ada, ben):
        DateException.objects.create(
            staff=member,
            location=kreuzberg,
            date=TOMORROW,
            kind=ExceptionKind.EXTRA,
            start=time(18),
            end=time(20),
        )
    offered = starts(practice, practice.service)
    assert str(ben.id) not in {sid for who in offered.values() for sid in who}
    assert max(offered) == "11:00"


def test_extra_hours_at_a_location_without_weekly_hours_there_count(practice, mitte):
    mitte, _kreuzberg = mitte
    ada = practice.staff[0]
    wedding = LocationFactory(company=practice.company, name="Wedding")
    ada.locations.add(wedding)
    DateException.objects.create(
        staff=ada,
        location=wedding,
        date=TOMORROW,
        kind=ExceptionKind.EXTRA,
        start=time(18),
        end=time(20),
    )
    # 19:00: Ada teaches Yoga 18:00-19:00.
    assert {"19:00", "19:30"} <= set(starts(practice, practice.video, staff=[ada]))
    assert "19:00" not in starts(practice, practice.service)


# -- rescheduling -------------------------------------------------------------------------


def test_reschedule_keeps_to_the_services_location(practice, mitte):
    ada = practice.staff[0]
    later = TOMORROW_10 + timedelta(days=2)
    booking = book(practice, later, staff=ada).booking
    before = snapshot()
    with pytest.raises(SlotUnavailable):
        domain.booking_reschedule(
            booking=booking, start=later.replace(hour=14), actor=domain.CUSTOMER, now=NOW
        )
    assert snapshot() == before
    moved = domain.booking_reschedule(
        booking=booking, start=later.replace(hour=11), actor=domain.CUSTOMER, now=NOW
    )
    assert moved.start == later.replace(hour=11)


# -- the public booking page ------------------------------------------------------------


def test_public_page_offers_and_books_only_the_services_location_hours(client, practice, mitte):
    ada, ben = practice.staff[0], practice.staff[1]
    url = f"/en/{practice.company.slug}/"
    # Ben gives Consultation, but never at Mitte: no choice of staff is left to offer.
    assert client.get(url, {"service": practice.service.pk, "staff": ben.pk}).status_code == 404
    page = client.get(url, {"service": practice.service.pk}).content.decode()
    assert "Any available" not in page and '<fieldset class="slots">' in page
    query = {
        "service": practice.service.pk,
        "staff": "any",
        "week": "2026-11-30",
        "tz": "Europe/Berlin",
    }
    html = client.get(url, query).content.decode()
    assert 'value="2026-12-02T09:00Z"' in html  # 10:00 Berlin, at Mitte
    assert 'value="2026-12-02T13:00Z"' not in html  # 14:00 Berlin, Ada is at Kreuzberg
    before = snapshot()
    response = client.post(
        f"{url}book/",
        {
            "service": practice.service.pk,
            "staff": str(ada.id),
            "start": "2026-12-02T13:00Z",
            "tz": "Europe/Berlin",
            "first_name": "Ana",
            "last_name": "Ionescu",
            "email": "ana@example.com",
            "phone": "",
            "notes": "",
            "consent": "on",
        },
    )
    assert response.status_code == 409
    assert "Sorry, that time was just taken." in response.content.decode()
    assert snapshot() == before


# -- the cached slots answer --------------------------------------------------------------


def test_cached_slots_follow_a_change_of_the_staff_members_locations(
    client, practice, mitte, django_capture_on_commit_callbacks
):
    mitte, _kreuzberg = mitte
    ben = practice.staff[1]
    WorkingHours.objects.create(staff=ben, location=None, weekday=2, start=time(6), end=time(8))
    url = (
        f"/api/v1/companies/practice/slots?service={practice.service.id}"
        "&from=2026-12-02&to=2026-12-02"
    )
    assert all(str(ben.id) not in s["staff"] for s in client.get(url).json()["slots"])
    version = availability_version(practice.company.id)
    # No domain function, no admin: the relation alone changes who works at Mitte.
    with django_capture_on_commit_callbacks(execute=True):
        ben.locations.add(mitte)
    assert availability_version(practice.company.id) != version
    assert any(str(ben.id) in s["staff"] for s in client.get(url).json()["slots"])


# -- who is listed for it -----------------------------------------------------------------


def test_staff_list_and_staff_pages_keep_to_the_services_location(client, practice, mitte):
    ada, ben = practice.staff[0], practice.staff[1]
    listed = client.get(f"/api/v1/companies/practice/staff?service={practice.service.id}")
    assert [s["name"] for s in listed.json()] == [ada.name]
    video = client.get(f"/api/v1/companies/practice/staff?service={practice.video.id}")
    assert {s["name"] for s in video.json()} == {"Ada", "Ben", "Cleo"}
    # Ben's own page does not offer what he cannot be booked for.
    bens = client.get(f"/en/{practice.company.slug}/staff/{ben.pk}/").content.decode()
    adas = client.get(f"/en/{practice.company.slug}/staff/{ada.pk}/").content.decode()
    assert "Video call" in bens and "Consultation" not in bens
    assert "Consultation" in adas
