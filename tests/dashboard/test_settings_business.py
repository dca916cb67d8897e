"""The back office's business settings (/office/settings/): the company and its booking
rules, locations and resources, services, classes and categories. Every save is the
domain functions' (companies.domain, catalog.domain); every refusal shows their
message and writes nothing; only admins reach these pages (404 for everyone else and
for another company's rows)."""

from decimal import Decimal

import pytest

from rendezvous.catalog.models import Category, Service, ServiceKind
from rendezvous.companies.models import Company, Location, Resource
from tests.conftest import TOMORROW_10, book
from tests.factories import (
    CompanyFactory,
    LocationFactory,
    ResourceFactory,
    ServiceFactory,
    StaffFactory,
)

from .test_office_bookings import signed_in

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

SETTINGS = "/office/settings/"


def state() -> list[list[dict]]:
    """Every row these screens may write, to prove a refusal changed nothing."""
    return [
        list(model.objects.order_by("pk").values())
        for model in (Company, Location, Resource, Service, Service.staff.through, Category)
    ]


def company_form(company: Company, **changes) -> dict:
    form = {
        "name": company.name,
        "timezone": company.timezone,
        "default_language": company.languages[0],
        "languages": company.languages,
        "currency": company.currency,
        "min_notice_minutes": str(company.min_notice_minutes),
        "max_days_ahead": str(company.max_days_ahead),
        "slot_step_minutes": str(company.slot_step_minutes),
        "cancel_cutoff_hours": str(company.cancel_cutoff_hours),
        "reschedule_cutoff_hours": str(company.reschedule_cutoff_hours),
        "frame_ancestors": company.frame_ancestors,
    }
    if company.altcha_enabled:
        form["altcha_enabled"] = "on"
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def service_form(practice, **changes) -> dict:
    form = {
        "name": "Massage",
        "kind": "appointment",
        "description": "Relaxing.",
        "duration_minutes": "50",
        "buffer_before_minutes": "5",
        "buffer_after_minutes": "10",
        "price": "45,50",
        "requires_confirmation": "on",
        "max_per_staff_per_day": "4",
        "staff": [str(practice.staff[0].pk), str(practice.staff[1].pk)],
        "location": "",
        "resource_kind": "cabin",
        "category": "",
        "tr-de-name": "Massage (de)",
        "tr-de-description": "Entspannend.",
    }
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


# -- the company and its booking rules -------------------------------------------------


def test_an_admin_saves_the_company_and_its_booking_rules(client, practice, team):
    signed_in(client, team["admin"])
    page = client.get(SETTINGS).content.decode()
    assert "Slot step (minutes)" in page and "ALTCHA" in page
    assert f'href="{SETTINGS}"' in page  # the nav link, for admins
    assert '<option value="Europe/Berlin" selected>' in page
    assert '<option value="en" selected>' in page and 'value="ro" checked>' in page
    response = client.post(
        SETTINGS,
        company_form(
            practice.company,
            name="The Practice",
            timezone="Europe/Copenhagen",
            default_language="da",
            languages=["en", "de"],
            currency="dkk",
            min_notice_minutes="120",
            max_days_ahead="30",
            slot_step_minutes="30",
            cancel_cutoff_hours="12",
            reschedule_cutoff_hours="6",
            altcha_enabled="on",
            frame_ancestors="https://www.example.com",
        ),
    )
    assert response.status_code == 302, response.content.decode()
    company = Company.objects.get(pk=practice.company.pk)
    assert (company.name, company.timezone, company.languages, company.currency) == (
        "The Practice",
        "Europe/Copenhagen",
        ["da", "en", "de"],
        "DKK",
    )
    assert (
        company.min_notice_minutes,
        company.max_days_ahead,
        company.slot_step_minutes,
        company.cancel_cutoff_hours,
        company.reschedule_cutoff_hours,
    ) == (120, 30, 30, 12, 6)
    # The switch has its home on the online meetings page: this form leaves it as it was.
    assert company.online_meetings_enabled == practice.company.online_meetings_enabled
    assert company.altcha_enabled
    assert company.frame_ancestors == "https://www.example.com"
    assert "Saved." in client.get(SETTINGS).content.decode()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"slot_step_minutes": "0"}, "Enter a whole number from 1 to 1440."),
        ({"slot_step_minutes": "five"}, "Enter a whole number from 1 to 1440."),
        ({"slot_step_minutes": ""}, "This field cannot be empty."),
        ({"max_days_ahead": "-1"}, "Enter a whole number from 0 to"),
        ({"currency": "EURO"}, "Enter a three-letter currency code such as EUR."),
        ({"timezone": "Mars/Olympus"}, "Choose a time zone from the list."),
        ({"name": ""}, "This field is required."),
        ({"default_language": "", "languages": []}, "Choose one or more of:"),
        ({"frame_ancestors": "https://example.com/shop"}, "Not a site origin"),
    ],
)
def test_bad_booking_rules_are_refused_and_change_nothing(client, practice, team, change, message):
    signed_in(client, team["admin"])
    before = state()
    response = client.post(SETTINGS, company_form(practice.company, **change))
    assert response.status_code == 422
    assert message in response.content.decode()
    assert state() == before


# -- locations and resources -----------------------------------------------------------


def test_an_admin_adds_edits_and_deletes_locations_and_resources(client, practice, team):
    signed_in(client, team["admin"])
    url = SETTINGS + "locations/"
    response = client.post(
        url, {"name": "North", "timezone": "Europe/Berlin", "address": "Nordweg 1\nBerlin"}
    )
    assert response.status_code == 302
    north = Location.objects.get(company=practice.company, name="North")
    assert north.address == "Nordweg 1\nBerlin"
    response = client.post(
        f"{url}{north.pk}/", {"name": "North branch", "timezone": "Europe/Copenhagen"}
    )
    assert response.status_code == 302
    north.refresh_from_db()
    assert (north.name, north.timezone) == ("North branch", "Europe/Copenhagen")

    response = client.post(
        SETTINGS + "resources/new/",
        {"name": "Room 1", "kind": "room", "location": str(north.pk), "active": "on"},
    )
    assert response.status_code == 302
    room = Resource.objects.get(company=practice.company, name="Room 1")
    assert (room.kind, room.location, room.active, room.online_bookable) == (
        "room",
        north,
        True,
        False,
    )
    response = client.post(
        f"{SETTINGS}resources/{room.pk}/",
        {"name": "Room 1", "kind": "room", "location": "", "online_bookable": "on"},
    )
    assert response.status_code == 302
    room.refresh_from_db()
    assert (room.location, room.active, room.online_bookable) == (None, False, True)
    page = client.get(url).content.decode()
    assert "North branch" in page and "Room 1" in page and "Inactive" in page

    assert client.post(f"{SETTINGS}resources/{room.pk}/delete/").status_code == 302
    assert client.post(f"{url}{north.pk}/delete/").status_code == 302
    assert not Resource.objects.filter(pk=room.pk).exists()
    assert not Location.objects.filter(pk=north.pk).exists()


def test_bad_locations_and_resources_are_refused_and_change_nothing(client, practice, team):
    signed_in(client, team["admin"])
    other = LocationFactory(company=CompanyFactory(slug="elsewhere"))
    before = state()
    for url, data, message in (
        (SETTINGS + "locations/", {"name": "", "timezone": "UTC"}, "This field is required."),
        (SETTINGS + "locations/", {"name": "X", "timezone": "Nowhere"}, "Choose a time zone"),
        (
            f"{SETTINGS}locations/",
            {"name": "X", "timezone": "UTC", "address": "a\x00b"},
            "Control characters are not allowed.",
        ),
        (
            SETTINGS + "resources/new/",
            {"name": "Room", "kind": "big room"},
            "Letters, digits, - and _ only",
        ),
        (
            SETTINGS + "resources/new/",
            {"name": "Room", "kind": "room", "location": str(other.pk)},
            f"Unknown id: {other.pk}.",
        ),
        (
            f"{SETTINGS}resources/{practice.cabin.pk}/",
            {"name": "", "kind": "cabin"},
            "This field is required.",
        ),
    ):
        response = client.post(url, data)
        assert response.status_code == 422, url
        assert message in response.content.decode(), data
    assert state() == before


def test_a_location_or_resource_in_use_is_not_deleted(client, practice, team):
    signed_in(client, team["admin"])
    branch = LocationFactory(company=practice.company, name="Branch")
    practice.service.location = branch
    practice.service.save()
    book(practice, TOMORROW_10, service=practice.cabin_service)
    before = state()
    response = client.post(f"{SETTINGS}locations/{branch.pk}/delete/", follow=True)
    assert "Services, class sessions or bookings use this location" in response.content.decode()
    response = client.post(f"{SETTINGS}resources/{practice.cabin.pk}/delete/", follow=True)
    assert "This resource has bookings or class sessions" in response.content.decode()
    assert state() == before


# -- services, classes and categories --------------------------------------------------


def test_an_admin_creates_and_edits_a_service(client, practice, team):
    signed_in(client, team["admin"])
    category = Category.objects.create(company=practice.company, name="Body")
    page = client.get(SETTINGS + "services/new/").content.decode()
    assert "Advanced options" in page and "does not notify anyone" in page
    assert 'name="online_meeting" ' in page and 'name="online_meeting" checked' not in page
    response = client.post(
        SETTINGS + "services/new/", service_form(practice, category=str(category.pk))
    )
    assert response.status_code == 302, response.content.decode()
    created = Service.objects.get(company=practice.company, name="Massage")
    assert (created.kind, created.duration_minutes, created.price) == (
        ServiceKind.APPOINTMENT,
        50,
        Decimal("45.50"),
    )
    assert (created.buffer_before_minutes, created.buffer_after_minutes) == (5, 10)
    assert created.requires_confirmation and not created.requires_payment
    assert not created.online_meeting
    assert (created.max_per_staff_per_day, created.resource_kind, created.category) == (
        4,
        "cabin",
        category,
    )
    assert set(created.staff.all()) == {practice.staff[0], practice.staff[1]}
    assert created.translations == {"de": {"name": "Massage (de)", "description": "Entspannend."}}

    response = client.post(
        f"{SETTINGS}services/{created.pk}/",
        service_form(
            practice,
            name="Deep massage",
            kind="class",
            requires_confirmation=None,
            requires_payment="on",
            max_per_staff_per_day="",
            staff=[str(practice.staff[2].pk)],
            online_meeting="on",
            **{"tr-de-description": ""},
        ),
    )
    assert response.status_code == 302
    created.refresh_from_db()
    assert (created.name, created.kind, created.max_per_staff_per_day) == (
        "Deep massage",
        ServiceKind.CLASS,
        None,
    )
    assert created.requires_payment and created.online_meeting
    assert not created.requires_confirmation
    assert list(created.staff.all()) == [practice.staff[2]]
    assert created.translations == {"de": {"name": "Massage (de)"}}

    page = client.get(SETTINGS + "services/").content.decode()
    assert "Body" in page and "Deep massage" in page and "Without a category" in page


def test_the_online_meeting_option_links_to_the_companys_switch_while_it_is_off(
    client, practice, team
):
    # The switch lives on the online meetings page, not on the company page.
    signed_in(client, team["admin"])
    Company.objects.filter(pk=practice.company.pk).update(online_meetings_enabled=False)
    page = client.get(SETTINGS + "services/new/").content.decode()
    assert "Online meetings are off for the company." in page
    assert f'href="{SETTINGS}meetings/"' in page
    Company.objects.filter(pk=practice.company.pk).update(online_meetings_enabled=True)
    page = client.get(SETTINGS + "services/new/").content.decode()
    assert "Online meetings are off" not in page


def test_bad_services_are_refused_and_change_nothing(client, practice, team):
    signed_in(client, team["admin"])
    other_staff = StaffFactory(company=CompanyFactory(slug="elsewhere"))
    book(practice, TOMORROW_10)
    before = state()
    for change, message in (
        ({"duration_minutes": "3"}, "Enter a whole number from 5 to 1440."),
        ({"duration_minutes": ""}, "This field cannot be empty."),
        ({"price": "-1"}, "Enter an amount from 0 to"),
        ({"price": "1.999"}, "At most two decimal places."),
        ({"kind": ""}, "Choose appointment or class."),
        ({"max_per_staff_per_day": "0"}, "Enter a whole number from 1 to 1000."),
        ({"staff": [str(other_staff.pk)]}, f"Unknown id: {other_staff.pk}."),
        ({"resource_kind": "a room"}, "Letters, digits, - and _ only"),
        ({"tr-de-name": "x" * 201}, "At most 200 characters."),
    ):
        response = client.post(SETTINGS + "services/new/", service_form(practice, **change))
        assert response.status_code == 422, change
        assert message in response.content.decode(), change
    # A service with bookings keeps its kind.
    response = client.post(
        f"{SETTINGS}services/{practice.service.pk}/", service_form(practice, kind="class")
    )
    assert response.status_code == 422
    assert "its kind cannot change" in response.content.decode()
    assert state() == before


def test_a_service_with_bookings_is_archived_not_deleted(client, practice, team):
    signed_in(client, team["admin"])
    book(practice, TOMORROW_10)
    url = f"{SETTINGS}services/{practice.service.pk}/"
    before = state()
    response = client.post(url + "delete/", follow=True)
    assert "This service has bookings or class sessions; deactivate it instead." in (
        response.content.decode()
    )
    assert state() == before
    response = client.post(url + "archive/", follow=True)
    assert "is archived" in response.content.decode()
    practice.service.refresh_from_db()
    assert not practice.service.active
    assert "Archived" in client.get(SETTINGS + "services/").content.decode()
    client.post(url + "restore/")
    practice.service.refresh_from_db()
    assert practice.service.active
    # One never booked goes for good.
    unbooked = ServiceFactory(company=practice.company, name="Unbooked")
    assert client.post(f"{SETTINGS}services/{unbooked.pk}/delete/").status_code == 302
    assert not Service.objects.filter(pk=unbooked.pk).exists()


def test_an_admin_adds_renames_and_deletes_categories(client, practice, team):
    signed_in(client, team["admin"])
    client.post(SETTINGS + "categories/new/", {"name": "Hearing", "tr-da-name": "Hørelse"})
    category = Category.objects.get(company=practice.company)
    assert category.translations == {"da": {"name": "Hørelse"}}
    practice.cabin_service.category = category
    practice.cabin_service.save()
    page = client.get(SETTINGS + "services/").content.decode()
    assert "Hearing" in page and "Edit category" in page
    before = state()
    response = client.post(f"{SETTINGS}categories/{category.pk}/", {"name": "", "position": "1"})
    assert response.status_code == 422 and "This field is required." in response.content.decode()
    response = client.post(SETTINGS + "categories/new/", {"name": "x" * 201}, follow=True)
    assert "At most 200 characters." in response.content.decode()
    assert state() == before
    client.post(f"{SETTINGS}categories/{category.pk}/", {"name": "Ears", "position": "2"})
    category.refresh_from_db()
    assert (category.name, category.position, category.translations) == ("Ears", 2, {})
    client.post(f"{SETTINGS}categories/{category.pk}/delete/")
    practice.cabin_service.refresh_from_db()
    assert practice.cabin_service.category is None
    assert not Category.objects.exists()


# -- who may ---------------------------------------------------------------------------


def _every_url(practice) -> list[str]:
    company = practice.company
    location = LocationFactory(company=company)
    category = Category.objects.create(company=company, name="Any")
    return [
        SETTINGS,
        SETTINGS + "locations/",
        f"{SETTINGS}locations/{location.pk}/",
        f"{SETTINGS}locations/{location.pk}/delete/",
        SETTINGS + "resources/new/",
        f"{SETTINGS}resources/{practice.cabin.pk}/",
        f"{SETTINGS}resources/{practice.cabin.pk}/delete/",
        SETTINGS + "services/",
        SETTINGS + "services/new/",
        f"{SETTINGS}services/{practice.service.pk}/",
        f"{SETTINGS}services/{practice.service.pk}/archive/",
        f"{SETTINGS}services/{practice.service.pk}/restore/",
        f"{SETTINGS}services/{practice.service.pk}/delete/",
        SETTINGS + "categories/new/",
        f"{SETTINGS}categories/{category.pk}/",
        f"{SETTINGS}categories/{category.pk}/delete/",
    ]


@pytest.mark.parametrize("role", ["senior", "junior"])
def test_seniors_and_juniors_get_404_for_every_settings_url(client, practice, team, role):
    urls = _every_url(practice)
    signed_in(client, team[role])
    assert f'href="{SETTINGS}"' not in client.get("/office/customers/").content.decode()
    before = state()
    for url in urls:
        assert client.get(url).status_code == 404, url
        response = client.post(url, {**service_form(practice), "timezone": "UTC", "kind": "room"})
        assert response.status_code == 404, url
    assert state() == before


def test_another_companys_rows_are_404(client, practice, team):
    other = CompanyFactory(slug="elsewhere")
    location = LocationFactory(company=other)
    resource = ResourceFactory(company=other)
    service = ServiceFactory(company=other)
    category = Category.objects.create(company=other, name="Theirs")
    signed_in(client, team["admin"])
    before = state()
    for url in (
        f"{SETTINGS}locations/{location.pk}/",
        f"{SETTINGS}locations/{location.pk}/delete/",
        f"{SETTINGS}resources/{resource.pk}/",
        f"{SETTINGS}resources/{resource.pk}/delete/",
        f"{SETTINGS}services/{service.pk}/",
        f"{SETTINGS}services/{service.pk}/archive/",
        f"{SETTINGS}services/{service.pk}/delete/",
        f"{SETTINGS}categories/{category.pk}/",
        f"{SETTINGS}categories/{category.pk}/delete/",
    ):
        if not url.endswith(("delete/", "archive/")):
            assert client.get(url).status_code == 404, url
        assert client.post(url, {"name": "Taken over", "timezone": "UTC"}).status_code == 404
    assert state() == before
