"""The audit log: who booked, confirmed, moved and cancelled each booking, through the
same paths people use (public API, staff API, the admin), and nothing for a refusal."""

import json
from datetime import datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from rendezvous.bookings.domain.history import booking_history
from rendezvous.bookings.models import Booking, BookingStatus
from rendezvous.companies.models import ApiToken, Membership, Role
from rendezvous.core.audit import CUSTOMER, OPERATOR, STAFF, who_label
from rendezvous.core.models import AuditEntry
from tests.conftest import TOMORROW_10, book

pytestmark = pytest.mark.integration


def post(client, url, body, **headers):
    return client.post(url, data=json.dumps(body), content_type="application/json", headers=headers)


def entries(booking_id):
    return [
        (e.action, e.actor_kind, e.user.username if e.user else None)
        for e in booking_history(Booking.objects.get(pk=booking_id))
    ]


def test_a_customer_books_moves_and_cancels_and_each_step_says_so(client, practice):
    created = post(
        client,
        "/api/v1/companies/practice/bookings",
        {
            "service": str(practice.service.id),
            "start": TOMORROW_10.isoformat(),
            "staff": str(practice.staff[0].id),
            "customer": {"first_name": "Ana", "last_name": "Ionescu", "email": "ana@example.com"},
        },
    ).json()
    url = f"/api/v1/bookings/{created['id']}"
    token = {"X-Booking-Token": created["manage_token"]}
    later = TOMORROW_10 + timedelta(days=1)
    assert (
        post(client, url + "/reschedule", {"start": later.isoformat()}, **token).status_code == 200
    )
    assert post(client, url + "/cancel", {}, **token).status_code == 200
    assert entries(created["id"]) == [
        ("created", CUSTOMER, None),
        ("rescheduled", CUSTOMER, None),
        ("cancelled", CUSTOMER, None),
    ]
    moved = booking_history(Booking.objects.get(pk=created["id"]))[1]
    assert [datetime.fromisoformat(t) for t in moved.changes["start"]] == [TOMORROW_10, later]

    # A refusal writes no entry.
    before = AuditEntry.objects.count()
    assert post(client, url + "/cancel", {}, **token).status_code == 409
    assert AuditEntry.objects.count() == before


def test_a_staff_token_confirming_a_request_is_named_in_the_entry(client, practice):
    practice.service.requires_confirmation = True
    practice.service.save()
    booking = book(practice, TOMORROW_10).booking
    ines = get_user_model().objects.create_user("ines")
    Membership.objects.create(company=practice.company, user=ines, role=Role.SENIOR)
    _row, secret = ApiToken.issue(
        company=practice.company, name="front desk", role=Role.SENIOR, user=ines
    )
    r = client.post(
        f"/api/v1/companies/practice/bookings/{booking.id}/confirm",
        data="{}",
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert r.status_code == 200
    history = booking_history(booking)
    assert [(e.action, e.actor_kind, e.user_id) for e in history] == [
        ("created", CUSTOMER, None),
        ("confirmed", STAFF, ines.pk),
    ]
    assert who_label(history[1]) == "staff: API token front desk"
    assert history[1].changes["status"] == ["requested", "confirmed"]


def test_an_operator_cancelling_in_the_admin_is_named_and_shown_on_the_booking(client, practice):
    booking = book(practice, TOMORROW_10).booking
    root = get_user_model().objects.create_superuser("root", "root@example.com")
    client.force_login(root)
    changelist = reverse("admin:bookings_booking_changelist")
    r = client.post(
        changelist, {"action": "cancel_bookings", "_selected_action": [str(booking.pk)]}
    )
    assert r.status_code == 302
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert entries(booking.pk) == [("created", CUSTOMER, None), ("cancelled", OPERATOR, "root")]
    page = client.get(reverse("admin:bookings_booking_change", args=[booking.pk]))
    assert "cancelled (operator: root)" in page.content.decode()
