"""The back-office calendar feed (GET .../manage/calendar), through real HTTP handling:
its shape, what each role sees, hours and closed days across a DST change, refusals,
and the browser's session as well as API tokens."""

import gzip
import json
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import RequestFactory
from django.urls import resolve

from rendezvous.api.staff import SessionMemberAuth
from rendezvous.availability.models import DateException, ExceptionKind, TimeOff
from rendezvous.bookings import domain
from rendezvous.bookings.models import Booking, BookingStatus
from rendezvous.companies.models import Membership, Role
from rendezvous.core.errors import Forbidden
from tests.conftest import BERLIN, TOMORROW_10, book
from tests.factories import CompanyFactory, LocationFactory, ServiceFactory, StaffFactory

from .staff_support import M, assert_error, state, token_for

pytestmark = pytest.mark.integration

FEED = f"{M}/calendar"
DAY = "from=2026-12-02&to=2026-12-03"


def feed(client, query: str = DAY, headers=None, path: str = FEED) -> dict:
    response = client.get(f"{path}?{query}", headers=headers or {})
    assert response.status_code == 200, response.content
    return response.json()


def of_kind(body: dict, kind: str) -> list[dict]:
    return [e for e in body["events"] if e["kind"] == kind]


@pytest.fixture
def week(practice):
    """Ada has a booking, a request and the class; Ben has time off with a private
    reason; Cleo is closed on the 3rd; someone booked the cabin with Ben."""
    ada, ben, cleo = practice.staff
    book(practice, TOMORROW_10, staff=ada, n="ada")
    book(
        practice,
        TOMORROW_10 + timedelta(days=1),
        staff=ada,
        n="asks",
        service=ServiceFactory(
            company=practice.company,
            name="Check-up",
            duration_minutes=30,
            requires_confirmation=True,
            staff=[ada],
        ),
    )
    cancelled = book(practice, TOMORROW_10 + timedelta(hours=3), staff=ada, n="gone").booking
    type(cancelled).objects.filter(pk=cancelled.pk).update(status=BookingStatus.CANCELLED)
    book(
        practice,
        TOMORROW_10 + timedelta(hours=2),
        staff=ben,
        service=practice.cabin_service,
        n="cab",
    )
    book(practice, practice.session.start, service=practice.yoga, session_id=practice.session.id)
    off = TimeOff.objects.create(
        staff=ben,
        start=datetime(2026, 12, 2, 14, 0, tzinfo=BERLIN),
        end=datetime(2026, 12, 2, 16, 0, tzinfo=BERLIN),
        reason="Dentist",
    )
    closed = DateException.objects.create(
        staff=cleo, date=date(2026, 12, 3), kind=ExceptionKind.CLOSED
    )
    return practice, off, closed


@pytest.mark.usefixtures("frozen_now")
class TestShape:
    def test_admin_sees_every_column_event_and_hour(self, client, week):
        practice, off, closed = week
        ada, ben, cleo = practice.staff
        body = feed(client, headers=token_for(practice.company, Role.ADMIN))
        assert set(body) == {"timezone", "resources", "events", "hours"}
        assert body["timezone"] == "Europe/Berlin"
        assert body["resources"] == [
            {"id": str(m.id), "title": m.name, "kind": "staff"} for m in (ada, ben, cleo)
        ]
        bookings = of_kind(body, "booking")
        assert [(e["title"], e["status"], e["resource_ids"], e["start"]) for e in bookings] == [
            (
                "Test Customer ada · Consultation",
                "confirmed",
                [str(ada.id)],
                "2026-12-02T10:00:00+01:00",
            ),
            (
                "Test Customer cab · Hearing test",
                "confirmed",
                [str(ben.id)],
                "2026-12-02T12:00:00+01:00",
            ),
            (
                "Test Customer asks · Check-up",
                "requested",
                [str(ada.id)],
                "2026-12-03T10:00:00+01:00",
            ),
        ]
        first = bookings[0]
        assert first["end"] == "2026-12-02T11:00:00+01:00"
        assert first["online"] is False and first["payment_status"] == "not_required"
        assert first["seats_taken"] is None and first["capacity"] is None
        # The cancelled booking is not shown.
        assert not [e for e in bookings if "gone" in e["title"]]
        (session,) = of_kind(body, "session")
        assert session == {
            "id": f"session-{practice.session.id}",
            "kind": "session",
            "resource_ids": [str(ada.id)],
            "start": "2026-12-02T18:00:00+01:00",
            "end": "2026-12-02T19:00:00+01:00",
            "title": "Yoga",
            "status": None,
            "online": True,
            "payment_status": None,
            "seats_taken": 1,
            "capacity": 10,
        }
        (time_off,) = of_kind(body, "time_off")
        assert time_off["id"] == f"time_off-{off.id}"
        assert time_off["resource_ids"] == [str(ben.id)]
        assert time_off["title"] == "Time off: Dentist"  # an admin may read the reason
        assert (time_off["start"], time_off["end"]) == (
            "2026-12-02T14:00:00+01:00",
            "2026-12-02T16:00:00+01:00",
        )
        (exception,) = of_kind(body, "exception")
        assert exception["id"] == f"exception-{closed.id}"
        assert exception["resource_ids"] == [str(cleo.id)]
        assert (exception["title"], exception["start"], exception["end"]) == (
            "Closed",
            "2026-12-03T00:00:00+01:00",
            "2026-12-04T00:00:00+01:00",
        )
        ids = [e["id"] for e in body["events"]]
        assert len(ids) == len(set(ids)) == 6
        hours = {}
        for h in body["hours"]:
            hours.setdefault(h["resource_id"], []).append((h["start"][5:16], h["end"][11:16]))
        assert hours == {
            str(ada.id): [("12-02T09:00", "17:00"), ("12-03T09:00", "17:00")],
            # Time off is cut out of the hours; Cleo's closed day has none.
            str(ben.id): [
                ("12-02T09:00", "14:00"),
                ("12-02T16:00", "17:00"),
                ("12-03T09:00", "17:00"),
            ],
            str(cleo.id): [("12-02T09:00", "17:00")],
        }

    def test_times_come_in_the_zone_asked_for(self, client, week):
        practice, _off, _closed = week
        body = feed(client, f"{DAY}&tz=America/New_York", token_for(practice.company, Role.ADMIN))
        assert body["timezone"] == "America/New_York"
        # The dates are New York's: the 2nd starts at 06:00 in Berlin.
        first = of_kind(body, "booking")[0]
        assert first["start"] == "2026-12-02T04:00:00-05:00"
        assert min(h["start"] for h in body["hours"]) == "2026-12-02T03:00:00-05:00"

    def test_filters_narrow_columns_and_events(self, client, week):
        practice, _off, _closed = week
        ada, ben, cleo = practice.staff
        admin = token_for(practice.company, Role.ADMIN)
        body = feed(client, f"{DAY}&staff={ben.id}", admin)
        assert [r["id"] for r in body["resources"]] == [str(ben.id)]
        assert {i for e in body["events"] for i in e["resource_ids"]} == {str(ben.id)}
        assert {h["resource_id"] for h in body["hours"]} == {str(ben.id)}
        body = feed(client, f"{DAY}&service={practice.yoga.id}", admin)
        assert [r["id"] for r in body["resources"]] == [str(ada.id)]
        assert [e["kind"] for e in body["events"] if e["kind"] in ("booking", "session")] == [
            "session"
        ]
        north = LocationFactory(company=practice.company)
        cleo.locations.add(north)
        body = feed(client, f"{DAY}&location={north.id}", admin)
        assert [r["id"] for r in body["resources"]] == [str(cleo.id)]

    def test_a_change_shows_at_once_and_roles_never_share_an_answer(
        self, client, week, django_capture_on_commit_callbacks
    ):
        """The answer is cached under the company's availability version: a write moves
        it (after commit on PostgreSQL), and each role has its own answer."""
        practice, _off, _closed = week
        admin = token_for(practice.company, Role.ADMIN)
        senior = token_for(practice.company, Role.SENIOR)
        junior = token_for(practice.company, Role.JUNIOR, staff=practice.staff[1])
        query = f"{DAY}&staff={practice.staff[0].id}"
        (request,) = [
            e for e in of_kind(feed(client, query, admin), "booking") if e["status"] == "requested"
        ]
        assert of_kind(feed(client, headers=admin), "time_off")[0]["title"] == "Time off: Dentist"
        assert of_kind(feed(client, headers=senior), "time_off")[0]["title"] == "Time off"
        assert len(feed(client, headers=junior)["resources"]) == 1
        with django_capture_on_commit_callbacks(execute=True):
            domain.booking_confirm(booking=Booking.objects.get(pk=request["id"]))
        (confirmed,) = [
            e for e in of_kind(feed(client, query, admin), "booking") if e["id"] == request["id"]
        ]
        assert confirmed["status"] == "confirmed"

    def test_a_client_that_takes_gzip_gets_the_same_answer_packed(self, client, week):
        practice, _off, _closed = week
        headers = token_for(practice.company, Role.ADMIN)
        plain = client.get(f"{FEED}?{DAY}", headers=headers)
        packed = client.get(f"{FEED}?{DAY}", headers={**headers, "Accept-Encoding": "gzip, br"})
        assert "Content-Encoding" not in plain and "Accept-Encoding" in plain["Vary"]
        assert packed["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed["Vary"]
        assert len(packed.content) < len(plain.content)
        assert json.loads(gzip.decompress(packed.content)) == plain.json()
        assert len(plain.json()["events"]) > 3

    def test_a_poll_with_the_answers_etag_is_304_until_something_changes(
        self, client, week, django_capture_on_commit_callbacks
    ):
        practice, _off, _closed = week
        admin = token_for(practice.company, Role.ADMIN)
        junior = token_for(practice.company, Role.JUNIOR, staff=practice.staff[1])
        first = client.get(f"{FEED}?{DAY}", headers=admin)
        tag = first["ETag"]
        assert tag.startswith('W/"') and first["Cache-Control"] == "private, no-cache"
        again = client.get(f"{FEED}?{DAY}", headers={**admin, "If-None-Match": tag})
        assert again.status_code == 304 and again.content == b"" and again["ETag"] == tag
        # Another role, another question: another answer, never the admin's 304.
        theirs = client.get(f"{FEED}?{DAY}", headers={**junior, "If-None-Match": tag})
        assert theirs.status_code == 200 and theirs["ETag"] != tag
        other_day = client.get(
            f"{FEED}?from=2026-12-03&to=2026-12-03", headers={**admin, "If-None-Match": tag}
        )
        assert other_day.status_code == 200
        # Without a valid token a known tag gets nothing either.
        assert client.get(f"{FEED}?{DAY}", headers={"If-None-Match": tag}).status_code == 401
        with django_capture_on_commit_callbacks(execute=True):
            book(practice, TOMORROW_10 + timedelta(hours=6), staff=practice.staff[0], n="new")
        changed = client.get(f"{FEED}?{DAY}", headers={**admin, "If-None-Match": tag})
        assert changed.status_code == 200 and changed["ETag"] != tag
        assert any("new" in e["title"] for e in changed.json()["events"])

    def test_another_companys_ids_narrow_to_nothing(self, client, week):
        practice, _off, _closed = week
        other = CompanyFactory(slug="other")
        stranger = StaffFactory(company=other)
        admin = token_for(practice.company, Role.ADMIN)
        for query in (
            f"staff={stranger.id}",
            f"location={LocationFactory(company=other).id}",
            f"service={ServiceFactory(company=other, staff=[stranger]).id}",
        ):
            body = feed(client, f"{DAY}&{query}", admin)
            assert body["resources"] == body["events"] == body["hours"] == [], query

    def test_resource_view_shows_the_bookings_holding_each_resource(self, client, week):
        practice, _off, _closed = week
        body = feed(client, f"{DAY}&view=resource", token_for(practice.company, Role.ADMIN))
        assert body["resources"] == [
            {"id": str(practice.cabin.id), "title": practice.cabin.name, "kind": "resource"}
        ]
        (event,) = body["events"]
        assert event["kind"] == "booking" and event["title"] == "Test Customer cab · Hearing test"
        assert event["resource_ids"] == [str(practice.cabin.id)]
        assert body["hours"] == []
        body = feed(
            client,
            f"{DAY}&view=resource&service={practice.service.id}",
            token_for(practice.company, Role.ADMIN),
        )
        assert body["resources"] == [] and body["events"] == []


@pytest.mark.usefixtures("frozen_now")
class TestRoles:
    def test_a_junior_sees_only_their_own_column_and_events(self, client, week):
        practice, _off, _closed = week
        ada, ben, _cleo = practice.staff
        junior = token_for(practice.company, Role.JUNIOR, staff=ben)
        body = feed(client, headers=junior)
        assert [r["id"] for r in body["resources"]] == [str(ben.id)]
        assert {i for e in body["events"] for i in e["resource_ids"]} == {str(ben.id)}
        assert {h["resource_id"] for h in body["hours"]} == {str(ben.id)}
        # Their own time off shows its reason to them.
        assert of_kind(body, "time_off")[0]["title"] == "Time off: Dentist"
        # Asking for a colleague's column gives nothing.
        body = feed(client, f"{DAY}&staff={ada.id}", junior)
        assert body["resources"] == body["events"] == body["hours"] == []
        # In the resource view they see the rooms, and only their own bookings in them.
        body = feed(
            client, f"{DAY}&view=resource", token_for(practice.company, Role.JUNIOR, staff=ada)
        )
        assert body["resources"] and body["events"] == []

    def test_a_junior_without_a_staff_profile_sees_nothing(self, client, week):
        practice, _off, _closed = week
        body = feed(client, headers=token_for(practice.company, Role.JUNIOR))
        assert body["resources"] == body["events"] == body["hours"] == []

    def test_time_off_shows_no_private_reason_to_colleagues(self, client, week):
        practice, _off, _closed = week
        senior = token_for(practice.company, Role.SENIOR)
        body = feed(client, headers=senior)
        (time_off,) = of_kind(body, "time_off")
        assert time_off["title"] == "Time off"
        assert "Dentist" not in str(body)

    def test_another_companys_slug_is_forbidden(self, client, week):
        practice, _off, _closed = week
        CompanyFactory(slug="other")
        admin = token_for(practice.company, Role.ADMIN)
        assert_error(
            client.get(f"/api/v1/companies/other/manage/calendar?{DAY}", headers=admin),
            403,
            "forbidden",
        )

    def test_without_a_token_or_session_it_is_401(self, client, week):
        assert_error(client.get(f"{FEED}?{DAY}"), 401, "unauthenticated")
        bad = {"Authorization": "Bearer rdv_nope"}
        assert_error(client.get(f"{FEED}?{DAY}", headers=bad), 401, "unauthenticated")


def _user(name: str, **extra):
    return get_user_model().objects.create_user(name, f"{name}@example.com", "pw", **extra)


@pytest.mark.usefixtures("frozen_now")
class TestSession:
    def test_a_signed_in_member_reads_it_with_the_session(self, client, week):
        practice, _off, _closed = week
        user = _user("ada")
        Membership.objects.create(company=practice.company, user=user, role=Role.ADMIN)
        client.force_login(user)
        body = feed(client)
        assert body == feed(client, headers=token_for(practice.company, Role.ADMIN))
        assert len(body["resources"]) == 3

    def test_a_junior_member_reads_their_own_column(self, client, week):
        practice, _off, _closed = week
        ben = practice.staff[1]
        user = _user("ben")
        Membership.objects.create(company=practice.company, user=user, role=Role.JUNIOR, staff=ben)
        client.force_login(user)
        assert [r["id"] for r in feed(client)["resources"]] == [str(ben.id)]

    def test_a_signed_in_non_member_is_refused(self, client, week):
        practice, _off, _closed = week
        other = CompanyFactory(slug="other")
        user = _user("stranger")
        Membership.objects.create(company=other, user=user, role=Role.ADMIN)
        client.force_login(user)
        assert_error(client.get(f"{FEED}?{DAY}"), 403, "forbidden")
        assert_error(
            client.get(f"/api/v1/companies/nowhere/manage/calendar?{DAY}"), 404, "not_found"
        )

    def test_a_superuser_is_no_member_by_being_one(self, client, week):
        root = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
        client.force_login(root)
        assert_error(client.get(f"{FEED}?{DAY}"), 403, "forbidden")

    def test_a_deactivated_member_is_refused(self, client, week):
        practice, _off, _closed = week
        user = _user("gone")
        Membership.objects.create(company=practice.company, user=user, role=Role.ADMIN)
        client.force_login(user)
        type(user).objects.filter(pk=user.pk).update(is_active=False)
        # The session of an inactive user no longer signs anyone in.
        assert_error(client.get(f"{FEED}?{DAY}"), 401, "unauthenticated")

    def test_an_unsafe_method_needs_the_csrf_token(self, week):
        """The session auth is for later back-office writes too: a cookie alone (sent
        by any site's page) is not enough for them."""
        practice, _off, _closed = week
        user = _user("ada")
        Membership.objects.create(company=practice.company, user=user, role=Role.ADMIN)
        request = RequestFactory().post(FEED)
        request.user = user
        request.resolver_match = resolve(FEED)
        with pytest.raises(Forbidden):
            SessionMemberAuth()(request)
        get = RequestFactory().get(FEED)
        get.user = user
        get.resolver_match = resolve(FEED)
        get.COOKIES["sessionid"] = "x"
        actor = SessionMemberAuth()(get)
        assert actor is not None and actor.role == Role.ADMIN


@pytest.mark.usefixtures("frozen_now")
class TestRefusals:
    @pytest.mark.parametrize(
        ("query", "field"),
        [
            ("from=2026-12-01&to=2027-01-12", "to"),  # 43 days
            ("from=2026-12-03&to=2026-12-02", "to"),
            ("from=2026-13-01&to=2026-12-02", "from"),
            ("from=2026-12-01", "to"),
            (f"{DAY}&tz=Mars/Olympus", "tz"),
            (f"{DAY}&view=rooms", "view"),
        ],
    )
    def test_bad_input_is_a_validation_error_and_changes_nothing(self, client, week, query, field):
        practice, _off, _closed = week
        admin = token_for(practice.company, Role.ADMIN)
        before = state()
        assert_error(client.get(f"{FEED}?{query}", headers=admin), 400, "validation_error", field)
        assert state() == before

    def test_42_days_are_allowed(self, client, week):
        practice, _off, _closed = week
        body = feed(
            client, "from=2026-12-01&to=2027-01-11", token_for(practice.company, Role.ADMIN)
        )
        assert len(body["hours"]) == 3 * 42


COPENHAGEN = ZoneInfo("Europe/Copenhagen")


@pytest.mark.integration
def test_hours_and_closed_days_across_the_spring_dst_change(client, db):
    """Clocks in Copenhagen go from 02:00 to 03:00 on 2027-03-28: the hours keep their
    wall times, and the closed day is 23 hours long."""
    with time_machine.travel(datetime(2027, 3, 20, 9, 0, tzinfo=COPENHAGEN), tick=False):
        company = CompanyFactory(slug="practice", timezone="Europe/Copenhagen")
        eva = StaffFactory(company=company, name="Eva")
        DateException.objects.create(staff=eva, date=date(2027, 3, 28), kind=ExceptionKind.CLOSED)
        DateException.objects.create(
            staff=eva,
            date=date(2027, 3, 29),
            kind=ExceptionKind.HOURS,
            start=time(12),
            end=time(14),
        )
        admin = token_for(company, Role.ADMIN)
        body = feed(client, "from=2027-03-27&to=2027-03-29", admin)
        assert [(h["start"], h["end"]) for h in body["hours"]] == [
            ("2027-03-27T09:00:00+01:00", "2027-03-27T17:00:00+01:00"),
            ("2027-03-29T12:00:00+02:00", "2027-03-29T14:00:00+02:00"),
        ]
        (closed,) = of_kind(body, "exception")
        assert (closed["start"], closed["end"]) == (
            "2027-03-28T00:00:00+01:00",
            "2027-03-29T00:00:00+02:00",
        )
        # In UTC the same instants, and the shifted hour shows.
        body = feed(client, "from=2027-03-27&to=2027-03-29&tz=UTC", admin)
        assert [h["start"] for h in body["hours"]] == [
            "2027-03-27T08:00:00Z",
            "2027-03-29T10:00:00Z",
        ]
