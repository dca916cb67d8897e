"""Staff API, back office: services (/manage/services), through real HTTP handling."""

from decimal import Decimal

import pytest

from rendezvous.catalog.models import Category, Service
from rendezvous.companies.models import Role
from tests.conftest import TOMORROW_10, availability_version, book
from tests.factories import CompanyFactory, LocationFactory, StaffFactory

from .staff_support import M, assert_error, send, state, token_for

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("frozen_now")]


@pytest.fixture
def admin(practice):
    return token_for(practice.company, Role.ADMIN)


@pytest.fixture
def other(db):
    """Another company's rows, for ids that must not cross tenants."""
    company = CompanyFactory(slug="other")
    return {
        "company": company,
        "staff": StaffFactory(company=company),
        "location": LocationFactory(company=company),
        "category": Category.objects.create(company=company, name="Theirs"),
    }


def test_admin_creates_reads_changes_and_deactivates_a_service(
    client, practice, admin, django_capture_on_commit_callbacks
):
    ada, ben, _cleo = practice.staff
    location = LocationFactory(company=practice.company)
    category = Category.objects.create(company=practice.company, name="Hearing")
    version = availability_version(practice.company.id)
    body = {
        "name": "Hearing-aid fitting",
        "description": "Bring your\nold aids.",
        "duration_minutes": 50,
        "buffer_after_minutes": 10,
        "price": "89.50",
        "currency": "DKK",
        "online_meeting": True,
        "requires_confirmation": True,
        "resource_kind": "cabin",
        "max_per_staff_per_day": 4,
        "staff": [str(ada.id), str(ben.id)],
        "location": str(location.id),
        "category": str(category.id),
    }
    with django_capture_on_commit_callbacks(execute=True):
        r = send(client, "post", f"{M}/services", body, admin)
    assert r.status_code == 201, r.content
    created = r.json()
    assert created | {"id": None, "staff": sorted(created["staff"])} == {
        "id": None,
        "name": "Hearing-aid fitting",
        "description": "Bring your\nold aids.",
        "kind": "appointment",
        "category": str(category.id),
        "category_name": "Hearing",
        "duration_minutes": 50,
        "buffer_before_minutes": 0,
        "buffer_after_minutes": 10,
        "price": "89.50",
        "currency": "DKK",
        "online_meeting": True,
        "requires_confirmation": True,
        "requires_payment": False,
        "resource_kind": "cabin",
        "max_per_staff_per_day": 4,
        "staff": sorted([str(ada.id), str(ben.id)]),
        "location": str(location.id),
        "active": True,
        "position": 0,
        "translations": {},
    }
    assert availability_version(practice.company.id) != version
    url = f"{M}/services/{created['id']}"
    assert client.get(url, headers=admin).json() == created

    # A PATCH changes what it names; null clears what may be empty.
    r = send(
        client,
        "patch",
        url,
        {"duration_minutes": 40, "category": None, "max_per_staff_per_day": None, "staff": []},
        admin,
    )
    assert r.status_code == 200, r.content
    patched = r.json()
    assert (patched["duration_minutes"], patched["category"], patched["staff"]) == (40, None, [])
    assert patched["max_per_staff_per_day"] is None and patched["name"] == "Hearing-aid fitting"
    service = Service.objects.get(pk=created["id"])
    assert service.price == Decimal("89.50") and service.buffer_after_minutes == 10

    public = client.get("/api/v1/companies/practice/services").json()
    assert created["id"] in [s["id"] for s in public]
    r = client.post(f"{url}/deactivate", headers=admin)
    assert r.status_code == 200 and r.json()["active"] is False
    public = client.get("/api/v1/companies/practice/services").json()
    assert created["id"] not in [s["id"] for s in public]
    listed = client.get(f"{M}/services?active=false", headers=admin).json()
    assert [s["id"] for s in listed["results"]] == [created["id"]]
    assert send(client, "patch", url, {"active": True}, admin).json()["active"] is True


def test_list_is_paginated_like_the_bookings_list(client, practice, admin, monkeypatch):
    from rendezvous.api import staff as staff_api

    monkeypatch.setattr(staff_api, "PAGE_SIZE", 3)
    page = client.get(f"{M}/services", headers=admin).json()
    assert len(page["results"]) == 3 and page["next"]
    rest = client.get(page["next"], headers=admin).json()
    assert len(rest["results"]) == 1 and rest["next"] is None
    names = [s["name"] for s in page["results"] + rest["results"]]
    assert sorted(names) == ["Consultation", "Hearing test", "Video call", "Yoga"]
    classes = client.get(f"{M}/services?kind=class", headers=admin).json()["results"]
    assert [s["name"] for s in classes] == ["Yoga"]
    assert_error(client.get(f"{M}/services?kind=x", headers=admin), 400, "validation_error", "kind")
    assert_error(
        client.get(f"{M}/services?active=yes", headers=admin), 400, "validation_error", "active"
    )


BAD_SERVICES = [
    ({"duration_minutes": -30}, "duration_minutes"),
    ({"duration_minutes": 4}, "duration_minutes"),
    ({"duration_minutes": 100_000}, "duration_minutes"),
    ({"buffer_before_minutes": -5}, "buffer_before_minutes"),
    ({"price": "-1"}, "price"),
    ({"price": "1.234"}, "price"),
    ({"price": "1e12"}, "price"),
    ({"currency": "eu"}, "currency"),
    ({"name": ""}, "name"),
    ({"name": "   "}, "name"),
    ({"name": "Cut\r\nBcc: x@example.com"}, "name"),
    ({"name": "x" * 201}, "name"),
    ({"description": "x" * 5001}, "description"),
    ({"description": "nul\x00"}, "description"),
    ({"kind": "webinar"}, "kind"),
    ({"resource_kind": "two words"}, "resource_kind"),
    ({"max_per_staff_per_day": 0}, "max_per_staff_per_day"),
    ({"position": -1}, "position"),
    ({"staff": ["not-an-id"]}, "staff"),
    ({"location": "999999"}, "location"),
    ({"online_meeting": None}, "online_meeting"),
]


@pytest.mark.parametrize(("extra", "field"), BAD_SERVICES)
def test_bad_service_fields_are_400_and_change_nothing(client, practice, admin, extra, field):
    before = state()
    body = {"name": "Massage", "duration_minutes": 60} | extra
    assert_error(send(client, "post", f"{M}/services", body, admin), 400, "validation_error", field)
    url = f"{M}/services/{practice.service.id}"
    assert_error(send(client, "patch", url, extra, admin), 400, "validation_error", field)
    assert state() == before


def test_every_bad_field_is_named_at_once(client, practice, admin):
    before = state()
    body = {"name": "", "duration_minutes": 0, "price": "-3", "currency": "x"}
    error = assert_error(
        send(client, "post", f"{M}/services", body, admin), 400, "validation_error"
    )
    assert set(error["fields"]) == {"name", "duration_minutes", "price", "currency"}
    assert state() == before


def test_oversized_and_malformed_bodies_are_400(client, practice, admin):
    before = state()
    for body in ({"name": "x" * 20_000, "duration_minutes": 30}, {"duration_minutes": 30}):
        assert_error(send(client, "post", f"{M}/services", body, admin), 400, "validation_error")
    r = client.post(f"{M}/services", data="{", content_type="application/json", headers=admin)
    assert_error(r, 400, "validation_error")
    assert state() == before


def test_ids_of_another_company_are_refused(client, practice, admin, other):
    before = state()
    for field, row in (
        ("staff", [str(other["staff"].id)]),
        ("location", str(other["location"].id)),
        ("category", str(other["category"].id)),
    ):
        body = {"name": "Massage", "duration_minutes": 60, field: row}
        error = assert_error(
            send(client, "post", f"{M}/services", body, admin), 400, "validation_error", field
        )
        # The message says "unknown", never whose row it is.
        assert other["company"].name not in str(error)
    other_service = Service.objects.create(
        company=other["company"], name="Theirs", duration_minutes=30
    )
    url = f"{M}/services/{other_service.id}"
    assert_error(client.get(url, headers=admin), 404, "not_found")
    assert_error(send(client, "patch", url, {"name": "Mine"}, admin), 404, "not_found")
    assert_error(client.post(f"{url}/deactivate", headers=admin), 404, "not_found")
    assert state() | {"services": None} == before | {"services": None}
    assert Service.objects.get(pk=other_service.pk).name == "Theirs"


def test_another_companys_token_is_403_on_our_paths(client, practice, other):
    theirs = token_for(other["company"], Role.ADMIN)
    before = state()
    assert_error(client.get(f"{M}/services", headers=theirs), 403, "forbidden")
    body = {"name": "Sneaky", "duration_minutes": 30}
    assert_error(send(client, "post", f"{M}/services", body, theirs), 403, "forbidden")
    url = f"{M}/services/{practice.service.id}"
    assert_error(send(client, "patch", url, {"name": "Sneaky"}, theirs), 403, "forbidden")
    assert state() == before


@pytest.mark.parametrize("role", [Role.SENIOR, Role.JUNIOR])
def test_only_admins_change_services_but_everyone_reads_them(client, practice, role):
    headers = token_for(practice.company, role, staff=practice.staff[0])
    before = state()
    assert client.get(f"{M}/services", headers=headers).status_code == 200
    url = f"{M}/services/{practice.service.id}"
    assert client.get(url, headers=headers).status_code == 200
    body = {"name": "Massage", "duration_minutes": 60}
    assert_error(send(client, "post", f"{M}/services", body, headers), 403, "forbidden")
    assert_error(send(client, "patch", url, {"name": "Renamed"}, headers), 403, "forbidden")
    assert_error(client.post(f"{url}/deactivate", headers=headers), 403, "forbidden")
    assert state() == before


def test_no_token_is_401(client, practice):
    before = state()
    assert_error(client.get(f"{M}/services"), 401, "unauthenticated")
    r = send(client, "post", f"{M}/services", {"name": "x", "duration_minutes": 30}, {})
    assert_error(r, 401, "unauthenticated")
    assert state() == before


def test_kind_is_fixed_once_a_service_has_bookings(client, practice, admin):
    book(practice, TOMORROW_10)
    before = state()
    url = f"{M}/services/{practice.service.id}"
    assert_error(send(client, "patch", url, {"kind": "class"}, admin), 409, "invalid_state")
    assert state() == before
    fresh = send(client, "post", f"{M}/services", {"name": "New", "duration_minutes": 30}, admin)
    r = send(client, "patch", f"{M}/services/{fresh.json()['id']}", {"kind": "class"}, admin)
    assert r.status_code == 200 and r.json()["kind"] == "class"


def test_errors_speak_the_callers_language(client, practice, admin):
    body = {"name": "", "duration_minutes": 60}
    r = send(client, "post", f"{M}/services", body, admin | {"Accept-Language": "de"})
    assert r.json()["error"]["fields"]["name"] == ["Dieses Feld ist erforderlich."]
    r = send(
        client,
        "post",
        f"{M}/services",
        {"name": "x", "duration_minutes": 2},
        admin | {"Accept-Language": "da"},
    )
    assert r.json()["error"]["fields"]["duration_minutes"] == ["Angiv et helt tal fra 5 til 1440."]


def test_openapi_document_lists_the_back_office_endpoints(client):
    doc = client.get("/api/v1/openapi.json").json()
    base = "/api/v1/companies/{company}/manage"
    expected = {
        "/services": {"get", "post"},
        "/services/{service_id}": {"get", "patch"},
        "/services/{service_id}/deactivate": {"post"},
        "/staff": {"get", "post"},
        "/staff/{staff_id}": {"get", "patch"},
        "/staff/{staff_id}/deactivate": {"post"},
        "/staff/{staff_id}/hours": {"get", "put"},
        "/staff/{staff_id}/time-off": {"get", "post"},
        "/staff/{staff_id}/time-off/{time_off_id}": {"put", "delete"},
        "/staff/{staff_id}/exceptions": {"get", "post"},
        "/staff/{staff_id}/exceptions/{exception_id}": {"put", "delete"},
        "/sessions": {"get", "post"},
        "/sessions/{session_id}": {"get", "patch", "delete"},
        "/sessions/{session_id}/cancel": {"post"},
    }
    for path, methods in expected.items():
        operations = doc["paths"][base + path]
        assert set(operations) == methods, path
        for operation in operations.values():
            assert operation["security"], path  # a bearer token, never anonymous
    create = doc["paths"][base + "/services"]["post"]
    assert "Admins only" in create["description"]
    patch = doc["paths"]["/api/v1/companies/{company}/bookings/{booking_id}"]["patch"]
    schema = patch["requestBody"]["content"]["application/json"]["schema"]
    assert "BookingPatch" in str(schema)
    assert "online" in doc["components"]["schemas"]["BookingPatch"]["properties"]
