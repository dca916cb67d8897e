"""Staff API, back office: class sessions (/manage/sessions), through real HTTP handling;
the races at the end run the domain functions on real threads."""

from collections import Counter
from datetime import timedelta

import pytest

from rendezvous.bookings.domain import sessions as editing
from rendezvous.bookings.models import Booking, BookingStatus
from rendezvous.catalog.models import ClassSession
from rendezvous.companies.models import Role
from rendezvous.meetings.models import Meeting
from rendezvous.notifications.models import OutboxMessage
from tests.bookings.test_concurrency import (  # noqa: F401 (shop is a fixture)
    OK,
    TAKEN,
    assert_consistent,
    customer,
    race,
    shop,
)
from tests.conftest import NOW, TOMORROW_10, book
from tests.factories import CompanyFactory, StaffFactory

from .staff_support import M, assert_error, send, state, token_for

SESSIONS = f"{M}/sessions"


@pytest.fixture(autouse=True)
def large_room(settings):
    # These classes (up to 12 seats, online) are about the API, not the room's size:
    # tests/meetings/test_room_size.py holds the built-in room's limit.
    settings.ROOM_MAX_PARTICIPANTS = 50


@pytest.fixture
def admin(practice):
    return token_for(practice.company, Role.ADMIN)


def seats(practice, n=1, participants=1):
    return [
        book(practice, practice.session.start, service=practice.yoga, participants=participants)
        for _ in range(n)
    ]


@pytest.mark.integration
@pytest.mark.usefixtures("frozen_now")
class TestSessions:
    def test_create_list_get_and_delete(self, client, practice, admin):
        ada = practice.staff[0]
        start = TOMORROW_10 + timedelta(days=2)
        body = {
            "service": str(practice.yoga.id),
            "start": start.isoformat(),
            "capacity": 8,
            "staff": str(ada.id),
            "online": True,
        }
        r = send(client, "post", SESSIONS, body, admin)
        assert r.status_code == 201, r.content
        created = r.json()
        assert created | {"id": None} == {
            "id": None,
            "service": str(practice.yoga.id),
            "service_name": "Yoga",
            "staff": str(ada.id),
            "location": None,
            "resource": None,
            "start": "2026-12-04T10:00:00+01:00",
            "end": "2026-12-04T11:00:00+01:00",  # the class's 60 minutes
            "timezone": "Europe/Berlin",
            "capacity": 8,
            "seats_taken": 0,
            "seats_left": 8,
            "online": True,
            "cancelled": False,
        }
        seats(practice, 2, participants=2)
        listed = client.get(f"{SESSIONS}?from=2026-12-02&to=2026-12-02", headers=admin).json()
        assert [(s["id"], s["seats_taken"], s["seats_left"]) for s in listed["results"]] == [
            (str(practice.session.id), 4, 6)
        ]
        in_tokyo = client.get(f"{SESSIONS}/{created['id']}?tz=Asia/Tokyo", headers=admin).json()
        assert in_tokyo["start"] == "2026-12-04T18:00:00+09:00"
        url = f"{SESSIONS}/{created['id']}"
        r = client.delete(url, headers=admin)
        assert r.status_code == 204 and not ClassSession.objects.filter(pk=created["id"]).exists()
        assert_error(client.get(url, headers=admin), 404, "not_found")

    @pytest.mark.parametrize(
        ("extra", "field"),
        [
            ({"start": "2026-11-30T10:00:00+01:00"}, "start"),
            ({"start": "2026-12-04T10:00:00"}, "start"),
            ({"end": "2026-12-04T09:00:00+01:00"}, "end"),
            ({"end": "2026-12-06T09:00:00+01:00"}, "end"),
            ({"capacity": 0}, "capacity"),
            ({"capacity": -3}, "capacity"),
            ({"service": "appointment"}, "service"),
            ({"service": "999999"}, "service"),
            ({"staff": "999999"}, "staff"),
        ],
    )
    def test_bad_sessions_are_400_and_change_nothing(self, client, practice, admin, extra, field):
        ids = {"appointment": str(practice.service.id)}
        body = {
            "service": str(practice.yoga.id),
            "start": "2026-12-04T10:00:00+01:00",
            "capacity": 8,
        } | {k: ids.get(v, v) if isinstance(v, str) else v for k, v in extra.items()}
        before = state()
        assert_error(send(client, "post", SESSIONS, body, admin), 400, "validation_error", field)
        assert state() == before

    def test_online_needs_the_company_switch(self, client, practice, admin):
        practice.company.online_meetings_enabled = False
        practice.company.save()
        body = {
            "service": str(practice.yoga.id),
            "start": "2026-12-04T10:00:00+01:00",
            "capacity": 8,
            "online": True,
        }
        before = state()
        assert_error(send(client, "post", SESSIONS, body, admin), 400, "validation_error", "online")
        practice.company.online_meetings_enabled = True
        practice.company.save()
        practice.yoga.online_meeting = False
        practice.yoga.save()
        assert_error(send(client, "post", SESSIONS, body, admin), 400, "validation_error", "online")
        assert state() | {"services": None} == before | {"services": None}
        body["online"] = False
        assert send(client, "post", SESSIONS, body, admin).status_code == 201

    def test_other_companys_rows_and_bad_list_params(self, client, practice, admin):
        other = CompanyFactory(slug="other")
        body = {
            "service": str(practice.yoga.id),
            "start": "2026-12-04T10:00:00+01:00",
            "capacity": 8,
            "staff": str(StaffFactory(company=other).id),
        }
        before = state()
        assert_error(send(client, "post", SESSIONS, body, admin), 400, "validation_error", "staff")
        theirs = token_for(other, Role.ADMIN)
        assert_error(client.get(SESSIONS, headers=theirs), 403, "forbidden")
        url = f"{SESSIONS}/{practice.session.id}"
        assert_error(send(client, "patch", url, {"capacity": 3}, theirs), 403, "forbidden")
        assert state() == before
        assert_error(
            client.get(f"{SESSIONS}?tz=Mars/Olympus", headers=admin), 400, "validation_error", "tz"
        )
        assert_error(
            client.get(f"{SESSIONS}?from=2026-12-05&to=2026-12-01", headers=admin),
            400,
            "validation_error",
            "to",
        )

    def test_roles(self, client, practice):
        senior = token_for(practice.company, Role.SENIOR)
        junior = token_for(practice.company, Role.JUNIOR, staff=practice.staff[0])
        body = {
            "service": str(practice.yoga.id),
            "start": "2026-12-04T10:00:00+01:00",
            "capacity": 8,
        }
        before = state()
        assert client.get(SESSIONS, headers=junior).status_code == 200
        assert_error(send(client, "post", SESSIONS, body, junior), 403, "forbidden")
        url = f"{SESSIONS}/{practice.session.id}"
        assert_error(send(client, "patch", url, {"capacity": 12}, junior), 403, "forbidden")
        assert_error(client.delete(url, headers=junior), 403, "forbidden")
        assert state() == before
        assert send(client, "post", SESSIONS, body, senior).status_code == 201
        assert send(client, "patch", url, {"capacity": 12}, senior).json()["capacity"] == 12

    def test_capacity_cannot_drop_below_the_seats_taken(self, client, practice, admin):
        seats(practice, 2, participants=3)
        url = f"{SESSIONS}/{practice.session.id}"
        before = state()
        error = assert_error(
            send(client, "patch", url, {"capacity": 5}, admin), 400, "validation_error", "capacity"
        )
        assert "6" in error["fields"]["capacity"][0]
        assert state() == before
        r = send(client, "patch", url, {"capacity": 6}, admin)
        assert r.status_code == 200 and r.json()["seats_left"] == 0

    def test_moving_a_booked_session_moves_its_bookings_meeting_and_tells_them(
        self, client, practice, admin, django_capture_on_commit_callbacks
    ):
        bookings = [c.booking for c in seats(practice, 2)]
        assert all(b.online for b in bookings)
        meeting = Meeting.objects.get(session=practice.session)
        new_start = TOMORROW_10 + timedelta(days=1)  # Thursday 10:00
        url = f"{SESSIONS}/{practice.session.id}"
        with django_capture_on_commit_callbacks(execute=True):
            r = send(client, "patch", url, {"start": new_start.isoformat()}, admin)
        assert r.status_code == 200, r.content
        assert r.json()["end"] == "2026-12-03T11:00:00+01:00"  # the length is kept
        for booking in bookings:
            booking.refresh_from_db()
            assert (booking.start, booking.end) == (new_start, new_start + timedelta(hours=1))
            assert (booking.blocked_start, booking.blocked_end) == (booking.start, booking.end)
            assert OutboxMessage.objects.filter(
                booking=booking, event="booking_rescheduled"
            ).exists()
        meeting.refresh_from_db()
        assert (meeting.start, meeting.end) == (new_start, new_start + timedelta(hours=1))
        # The customer's page shows the new time (through the booking, not the session).
        detail = client.get(
            f"/api/v1/companies/practice/bookings/{bookings[0].id}", headers=admin
        ).json()
        assert detail["start"] == "2026-12-03T10:00:00+01:00"

    def test_a_move_onto_busy_staff_or_a_started_session_is_refused(
        self, client, practice, admin, frozen_now
    ):
        ada, ben, _ = practice.staff
        seats(practice, 1)
        book(practice, TOMORROW_10, staff=ben)  # Ben: Wednesday 10-11
        url = f"{SESSIONS}/{practice.session.id}"
        before = state()
        r = send(
            client, "patch", url, {"staff": str(ben.id), "start": TOMORROW_10.isoformat()}, admin
        )
        assert_error(r, 409, "slot_unavailable")
        other = ClassSession.objects.create(
            company=practice.company,
            service=practice.yoga,
            staff=ada,
            start=TOMORROW_10 + timedelta(days=3),
            end=TOMORROW_10 + timedelta(days=3, hours=1),
            capacity=5,
        )
        r = send(client, "patch", url, {"start": other.start.isoformat()}, admin)
        assert_error(r, 409, "slot_unavailable")
        assert_error(send(client, "patch", url, {"online": False}, admin), 409, "invalid_state")
        assert_error(client.delete(url, headers=admin), 409, "invalid_state")
        assert state() | {"sessions": None} == before | {"sessions": None}
        frozen_now.move_to(practice.session.start + timedelta(minutes=5))
        later = (practice.session.start + timedelta(days=1)).isoformat()
        before = state()
        assert_error(send(client, "patch", url, {"start": later}, admin), 409, "invalid_state")
        assert state() == before

    def test_cancelling_a_session_cancels_its_bookings_and_lists_refunds_due(
        self, client, practice, admin
    ):
        practice.yoga.requires_payment = True
        practice.yoga.save()
        paid, unpaid = (c.booking for c in seats(practice, 2))
        bookings = "/api/v1/companies/practice/bookings"
        send(client, "patch", f"{bookings}/{paid.id}", {"payment_status": "paid"}, admin)
        url = f"{SESSIONS}/{practice.session.id}"
        junior = token_for(practice.company, Role.JUNIOR, staff=practice.staff[0])
        before = state()
        assert_error(client.post(f"{url}/cancel", headers=junior), 403, "forbidden")
        assert state() == before
        r = client.post(f"{url}/cancel", headers=admin)
        assert r.status_code == 200, r.content
        body = r.json()
        assert body["cancelled"] is True and body["seats_taken"] == 0
        assert sorted(body["cancelled_bookings"]) == sorted([str(paid.id), str(unpaid.id)])
        assert body["refunds_due"] == [str(paid.id)]
        assert set(Booking.objects.values_list("status", flat=True)) == {BookingStatus.CANCELLED}
        before = state()
        assert_error(client.post(f"{url}/cancel", headers=admin), 409, "invalid_state")
        assert_error(send(client, "patch", url, {"capacity": 20}, admin), 409, "invalid_state")
        assert_error(client.delete(url, headers=admin), 409, "invalid_state")
        assert state() == before


# --- races on real threads -------------------------------------------------------------


def session_seats(session_id) -> int:
    return sum(
        Booking.objects.filter(
            session_id=session_id, status__in=(BookingStatus.REQUESTED, BookingStatus.CONFIRMED)
        ).values_list("participants", flat=True)
    )


def reserve(shop, i):  # noqa: F811 (the fixture's name)
    from rendezvous.bookings import domain

    return lambda: domain.booking_create(
        company=shop.company,
        service=shop.yoga,
        start=None,
        session_id=shop.session.id,
        details=customer(f"seat-{i}"),
        now=NOW,
    )


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("lower_delay", [0.0, 0.3], ids=["lower-first", "lower-late"])
def test_lowering_the_capacity_races_seat_reservations(shop, lower_delay):  # noqa: F811
    for i in range(4):
        reserve(shop, f"pre-{i}")()
    lower = lambda: editing.session_update(  # noqa: E731
        session=shop.session, fields=editing.SessionFields(capacity=6), now=NOW
    )
    # Held back or not, so that both orders happen; the invariants hold in either.
    delays = [lower_delay] + [0.0 if lower_delay else 0.05] * 6
    results = race([lower] + [reserve(shop, i) for i in range(6)], delays)
    assert not [r for r in results if r.startswith("!")], results
    session = ClassSession.objects.get(pk=shop.session.pk)
    taken = session_seats(session.pk)
    assert taken <= session.capacity
    if results[0] == OK:
        assert session.capacity == 6 and Counter(results[1:])[OK] == 2
    else:
        assert results[0] == "validation_error" and session.capacity == 10
        assert Counter(results[1:])[OK] == 6
    assert_consistent()


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("delays", [[0.0, 0.2], [0.2, 0.0]], ids=["move-first", "book-first"])
def test_moving_a_session_races_an_appointment_for_the_same_staff(shop, delays):  # noqa: F811
    from rendezvous.bookings import domain

    ada = shop.staff[0]
    reserve(shop, "pre")()
    target = TOMORROW_10 + timedelta(days=1)
    move = lambda: editing.session_update(  # noqa: E731
        session=shop.session, fields=editing.SessionFields(start=target), now=NOW
    )
    appointment = lambda: domain.booking_create(  # noqa: E731
        company=shop.company,
        service=shop.service,
        start=target,
        staff_id=ada.id,
        details=customer("appointment"),
        now=NOW,
    )
    results = race([move, appointment], delays)
    assert sorted(results) == sorted([OK, TAKEN]), results
    session = ClassSession.objects.get(pk=shop.session.pk)
    appointments = Booking.objects.filter(
        staff=ada, session__isnull=True, status=BookingStatus.CONFIRMED
    )
    if results[0] == OK:
        assert session.start == target and not appointments.exists()
    else:
        assert session.start != target and appointments.count() == 1
    assert_consistent()
