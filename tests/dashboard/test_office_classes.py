"""Class sessions in the back office: the week's list with seats, a new session, a
participant added and marked paid (the Zenamu flow: only then the link), cancel."""

import pytest

from rendezvous.bookings.models import Booking, BookingStatus, PaymentStatus
from rendezvous.catalog.models import ClassSession
from rendezvous.notifications.models import Event, OutboxMessage
from tests.conftest import snapshot

from .test_office_bookings import signed_in

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_the_week_lists_sessions_with_their_seats(client, practice, team):
    signed_in(client, team["senior"])
    page = client.get("/office/classes/?week=2026-12-01").content.decode()
    assert "Yoga" in page and "0 / 10" in page
    assert "No class sessions" in client.get("/office/classes/?week=2027-03-01").content.decode()


def test_seniors_plan_a_session_and_refusals_change_nothing(client, practice, team):
    signed_in(client, team["senior"])
    data = {
        "service": practice.yoga.pk,
        "staff": practice.staff[0].pk,
        "start": "2026-12-03T18:00",
        "capacity": "8",
    }
    response = client.post("/office/classes/", data)
    assert response.status_code == 302, response.context["errors"]
    created = ClassSession.objects.latest("id")
    assert (created.capacity, created.staff) == (8, practice.staff[0])
    count = ClassSession.objects.count()
    for bad, message in (
        ({"capacity": "0"}, "Enter a whole number from 1 to"),
        ({"capacity": "many"}, "Enter a whole number from 1 to"),
        ({"start": "2026-11-01T18:00"}, "The start is in the past."),
        ({"service": practice.service.pk}, "Choose a class, not an appointment service."),
    ):
        response = client.post("/office/classes/", {**data, **bad})
        assert response.status_code == 422, bad
        assert message in response.content.decode(), bad
    assert ClassSession.objects.count() == count


def test_a_junior_may_not_plan_sessions(client, practice, team):
    signed_in(client, team["junior"])
    count = ClassSession.objects.count()
    response = client.post(
        "/office/classes/",
        {"service": practice.yoga.pk, "start": "2026-12-03T18:00", "capacity": "5"},
    )
    assert response.status_code == 404 and ClassSession.objects.count() == count


def test_a_participant_marked_paid_gets_the_link_by_email(client, practice, team, smtp):
    practice.company.online_meetings_enabled = True
    practice.company.save()
    practice.yoga.requires_payment = True
    practice.yoga.save()
    signed_in(client, team["senior"])
    url = f"/office/classes/{practice.session.pk}/"
    client.post(
        url + "add/", {"first_name": "Eva", "last_name": "Lund", "email": "eva@example.com"}
    )
    booking = Booking.objects.get(session=practice.session)
    assert booking.payment_status == PaymentStatus.PENDING
    page = client.get(url).content.decode()
    assert "Eva Lund" in page and "Payment received" in page
    response = client.post(url + "paid/", {"booking": str(booking.pk)}, follow=True)
    assert "Payment recorded" in response.content.decode()
    booking.refresh_from_db()
    assert booking.payment_status == PaymentStatus.PAID
    assert OutboxMessage.objects.filter(booking=booking, event=Event.PAYMENT_CONFIRMED).exists()
    # Paying twice is refused with the domain's reason.
    before = snapshot()
    again = client.post(url + "paid/", {"booking": str(booking.pk)}, follow=True)
    assert "nothing left to pay" in again.content.decode() and snapshot() == before


def test_cancelling_a_session_cancels_its_bookings(client, practice, team):
    signed_in(client, team["admin"])
    url = f"/office/classes/{practice.session.pk}/"
    client.post(
        url + "add/", {"first_name": "Eva", "last_name": "Lund", "email": "eva@example.com"}
    )
    client.post(url + "cancel/")
    practice.session.refresh_from_db()
    assert practice.session.cancelled
    assert Booking.objects.get(session=practice.session).status == BookingStatus.CANCELLED
    # The session's page tells who cancelled it, and how many bookings went with it.
    history = client.get(url).content.decode().split('<details class="history">')[1]
    assert "staff: boss · cancelled" in history and "bookings: 1" in history


def test_a_colleagues_session_is_404_for_a_junior(client, practice, team):
    practice.session.staff = practice.staff[1]
    practice.session.save()
    signed_in(client, team["junior"])
    assert client.get(f"/office/classes/{practice.session.pk}/").status_code == 404
    assert client.post(f"/office/classes/{practice.session.pk}/cancel/").status_code == 404
    assert "Yoga" not in client.get("/office/classes/?week=2026-12-01").content.decode()
