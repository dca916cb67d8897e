"""Customers in the back office: list and search, profile, correction, merge, export
and erasure, each through the bookings domain and in the audit log; roles apply."""

import json
from datetime import timedelta

import pytest

from rendezvous.bookings.models import Booking, Customer
from rendezvous.core.models import AuditEntry
from tests.conftest import TOMORROW_10, book, snapshot

from .test_office_bookings import signed_in

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture
def customers(practice):
    ada, ben = practice.staff[0], practice.staff[1]
    mine = book(practice, TOMORROW_10, staff=ada, n="ines").booking
    theirs = book(practice, TOMORROW_10, staff=ben, n="olaf").booking
    book(practice, TOMORROW_10 + timedelta(days=1), staff=ben, n="ines")
    return mine.customer, theirs.customer


def test_the_list_searches_and_counts_bookings(client, team, customers):
    ines, olaf = customers
    signed_in(client, team["senior"])
    page = client.get("/office/customers/").content.decode()
    assert "customerines@example.com" in page and "customerolaf@example.com" in page
    found = client.get("/office/customers/?q=olaf").content.decode()
    assert "customerolaf@" in found and "customerines@" not in found
    assert "No customer matches" in client.get("/office/customers/?q=zzz").content.decode()


def test_a_junior_sees_only_customers_of_their_own_bookings(client, team, customers):
    ines, olaf = customers
    signed_in(client, team["junior"])  # Ada's column: Ines only
    page = client.get("/office/customers/").content.decode()
    assert "customerines@" in page and "customerolaf@" not in page
    assert client.get(f"/office/customers/{olaf.pk}/").status_code == 404
    profile = client.get(f"/office/customers/{ines.pk}/").content.decode()
    # Only the booking in Ada's column, and no editing.
    assert profile.count("Consultation ·") == 1 and 'name="first_name"' not in profile
    before = Customer.objects.get(pk=ines.pk).first_name
    assert client.post(f"/office/customers/{ines.pk}/", {"first_name": "X"}).status_code == 404
    assert (
        client.post(f"/office/customers/{ines.pk}/erase/", {"confirm": "erase"}).status_code == 404
    )
    assert Customer.objects.get(pk=ines.pk).first_name == before


def test_correcting_a_customer_checks_like_the_booking_form(client, practice, team, customers):
    ines, olaf = customers
    signed_in(client, team["admin"])
    data = {
        "first_name": "Inès",
        "last_name": "Berg",
        "email": "ines@new.example",
        "phone": "+45 11 22 33 44",
        "language": "en",
        "notes": "Prefers mornings",
    }
    assert client.post(f"/office/customers/{ines.pk}/", data).status_code == 302
    ines.refresh_from_db()
    assert (ines.first_name, ines.email, ines.notes) == (
        "Inès",
        "ines@new.example",
        "Prefers mornings",
    )
    entry = AuditEntry.objects.get(entity="customer", entity_id=str(ines.pk), action="updated")
    assert "email" in entry.changes["fields"] and "ines@new" not in json.dumps(entry.changes)
    # Another customer's email, a bad email, a language the company does not offer.
    for bad, field in (
        ({"email": olaf.email}, "merge the two instead"),
        ({"email": "nope"}, "Enter a valid email address."),
        ({"language": "xx"}, "Pick one of the company"),
    ):
        response = client.post(f"/office/customers/{ines.pk}/", {**data, **bad})
        assert response.status_code == 422 and field in response.content.decode()
    ines.refresh_from_db()
    assert ines.email == "ines@new.example"


def test_merging_moves_the_bookings_and_removes_the_duplicate(client, team, customers):
    ines, olaf = customers
    signed_in(client, team["senior"])
    before = snapshot()
    unconfirmed = client.post(
        f"/office/customers/{ines.pk}/merge/", {"duplicate": str(olaf.pk)}, follow=True
    )
    assert "Tick the box to confirm" in unconfirmed.content.decode()
    assert Customer.objects.filter(pk=olaf.pk).exists() and snapshot() == before
    client.post(
        f"/office/customers/{ines.pk}/merge/", {"duplicate": str(olaf.pk), "confirm": "same"}
    )
    assert not Customer.objects.filter(pk=olaf.pk).exists()
    assert Booking.objects.filter(customer=ines).count() == 3
    entry = AuditEntry.objects.get(entity="customer", entity_id=str(ines.pk), action="merged")
    assert entry.changes == {"duplicate": olaf.pk, "bookings": 1}
    # Merging a record into itself is refused, nothing changes.
    before = snapshot()
    response = client.post(
        f"/office/customers/{ines.pk}/merge/",
        {"duplicate": str(ines.pk), "confirm": "same"},
        follow=True,
    )
    assert "Pick another customer" in response.content.decode() and snapshot() == before


def test_export_gives_everything_and_is_logged(client, team, customers):
    ines, _olaf = customers
    signed_in(client, team["admin"])
    assert client.get(f"/office/customers/{ines.pk}/export/").status_code == 405
    response = client.post(f"/office/customers/{ines.pk}/export/")
    assert response["Content-Disposition"].startswith("attachment")
    data = json.loads(response.content)
    assert data["customer"]["email"] == ines.email and len(data["bookings"]) == 2
    assert AuditEntry.objects.filter(
        entity="customer", entity_id=str(ines.pk), action="exported"
    ).exists()


def test_erasure_keeps_the_bookings_without_personal_data(client, team, customers):
    ines, _olaf = customers
    signed_in(client, team["admin"])
    ids = list(Booking.objects.filter(customer=ines).values_list("pk", flat=True))
    refused = client.post(f"/office/customers/{ines.pk}/erase/", follow=True)
    assert (
        "Tick the box" in refused.content.decode() and Customer.objects.filter(pk=ines.pk).exists()
    )
    done = client.post(f"/office/customers/{ines.pk}/erase/", {"confirm": "erase"}, follow=True)
    assert "2 bookings keep their place" in done.content.decode()
    assert not Customer.objects.filter(pk=ines.pk).exists()
    for booking in Booking.objects.filter(pk__in=ids):
        assert "ines" not in (booking.first_name + booking.last_name + booking.email).lower()
        assert booking.phone == "" and booking.notes == ""
    entry = AuditEntry.objects.get(entity="customer", entity_id=str(ines.pk), action="erased")
    assert entry.changes == {"bookings": 2}


@pytest.mark.parametrize(
    ("language", "label"), [("en", "Erased customer"), ("da", "Slettet kunde")]
)
def test_an_erased_customers_bookings_say_so_once_wherever_a_name_is_shown(
    client, practice, team, customers, language, label
):
    practice.company.online_meetings_enabled = True
    practice.company.save()
    ines, _olaf = customers
    video = book(practice, TOMORROW_10 + timedelta(hours=2), service=practice.video, n="ines")
    seat = book(practice, None, service=practice.yoga, session_id=practice.session.pk, n="ines")
    for row in (video.booking, seat.booking):
        row.customer = ines
        row.save()
    booking = Booking.objects.filter(customer=ines).order_by("start").first()
    signed_in(client, team["admin"])
    client.post(f"/office/customers/{ines.pk}/erase/", {"confirm": "erase"})
    client.cookies["django_language"] = language
    week = "date_from=2026-12-01&date_to=2026-12-07"
    pages = {
        "popup": client.get(f"/office/bookings/{booking.pk}/"),
        "report": client.get(f"/office/reports/?{week}"),
        "csv": client.get(f"/office/reports/?{week}&format=csv"),
        "meetings": client.get(f"/office/reports/meetings/?{week}"),
        "class": client.get(f"/office/classes/{practice.session.pk}/"),
        "calendar": client.get(
            f"/api/v1/companies/{practice.company.slug}/manage/calendar"
            "?from=2026-12-02&to=2026-12-03"
        ),
    }
    for name, response in pages.items():
        text = response.content.decode()
        assert response.status_code == 200, name
        assert label in text and "— —" not in text and "erased.invalid" not in text, name
    assert f'<h2 id="dialog-title">{label}</h2>' in pages["popup"].content.decode()
