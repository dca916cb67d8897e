"""Staff API, back office: staff members and their schedules (/manage/staff/...), through
real HTTP handling; the slots endpoint shows each schedule change at once."""

from datetime import datetime, time

import pytest

from rendezvous.availability import domain as schedule
from rendezvous.availability.models import DateException, TimeOff, WorkingHours
from rendezvous.companies.models import Role, StaffMember
from tests.bookings.test_concurrency import race, shop  # noqa: F401 (shop is a fixture)
from tests.conftest import BERLIN, availability_version
from tests.factories import CompanyFactory, LocationFactory, StaffFactory

from .staff_support import M, assert_error, send, state, token_for

STAFF = f"{M}/staff"


@pytest.fixture
def admin(practice):
    return token_for(practice.company, Role.ADMIN)


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """A request whose transaction's after-commit work runs, as outside a test
    transaction: the availability version moves on commit, not before."""

    def run(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return run


def slots(client, practice, day="2026-12-02", staff=None):
    url = f"/api/v1/companies/practice/slots?service={practice.service.id}&from={day}&to={day}" + (
        f"&staff={staff.id}" if staff else ""
    )
    return [s["start"][11:16] for s in client.get(url).json()["slots"]]


@pytest.mark.integration
@pytest.mark.usefixtures("frozen_now")
class TestStaffMembers:
    def test_admin_adds_changes_and_deactivates_a_staff_member(
        self, client, practice, admin, django_capture_on_commit_callbacks
    ):
        north = LocationFactory(company=practice.company, name="North")
        body = {
            "name": "Dora",
            "email": "dora@example.com",
            "locations": [str(north.id)],
            "services": [str(practice.service.id), str(practice.video.id)],
        }
        r = send(client, "post", STAFF, body, admin)
        assert r.status_code == 201, r.content
        dora = r.json()
        assert dora | {"id": None, "services": sorted(dora["services"])} == {
            "id": None,
            "name": "Dora",
            "email": "dora@example.com",
            "locations": [str(north.id)],
            "services": sorted([str(practice.service.id), str(practice.video.id)]),
            "online_bookable": True,
            "active": True,
        }
        public = client.get(f"/api/v1/companies/practice/staff?service={practice.service.id}")
        assert "Dora" in [m["name"] for m in public.json()]
        url = f"{STAFF}/{dora['id']}"
        version = availability_version(practice.company.id)
        with django_capture_on_commit_callbacks(execute=True):
            r = send(client, "patch", url, {"locations": [], "online_bookable": False}, admin)
        assert r.json()["locations"] == [] and r.json()["online_bookable"] is False
        assert r.json()["email"] == "dora@example.com"
        assert availability_version(practice.company.id) != version  # locations have no signal
        r = client.post(f"{url}/deactivate", headers=admin)
        assert r.status_code == 200 and r.json()["active"] is False
        assert StaffMember.objects.get(pk=dora["id"]).active is False
        listed = client.get(f"{STAFF}?active=true", headers=admin).json()["results"]
        assert dora["id"] not in [m["id"] for m in listed]
        assert client.get(url, headers=admin).json()["name"] == "Dora"

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"name": "Eve\r\nBcc: all@example.com"}, "name"),
            ({"name": ""}, "name"),
            ({"name": "x" * 201}, "name"),
            ({"email": "not-an-email"}, "email"),
            ({"email": "eve@exam\r\nple.com"}, "email"),
            ({"locations": ["abc"]}, "locations"),
            ({"services": ["999999"]}, "services"),
        ],
    )
    def test_bad_staff_fields_are_400_and_change_nothing(
        self, client, practice, admin, body, field
    ):
        before = state()
        r = send(client, "post", STAFF, {"name": "Eve"} | body, admin)
        assert_error(r, 400, "validation_error", field)
        r = send(client, "patch", f"{STAFF}/{practice.staff[0].id}", body, admin)
        assert_error(r, 400, "validation_error", field)
        assert state() == before

    def test_another_companys_rows_and_tokens(self, client, practice, admin):
        other = CompanyFactory(slug="other")
        theirs_location = LocationFactory(company=other)
        theirs_staff = StaffFactory(company=other)
        before = state()
        r = send(
            client, "post", STAFF, {"name": "Eve", "locations": [str(theirs_location.id)]}, admin
        )
        assert_error(r, 400, "validation_error", "locations")
        week = {
            "hours": [
                {
                    "weekday": 0,
                    "start": "09:00",
                    "end": "12:00",
                    "location": str(theirs_location.id),
                }
            ]
        }
        r = send(client, "put", f"{STAFF}/{practice.staff[0].id}/hours", week, admin)
        assert_error(r, 400, "validation_error", "hours.0.location")
        exception = {"date": "2026-12-09", "kind": "closed", "location": str(theirs_location.id)}
        r = send(client, "post", f"{STAFF}/{practice.staff[0].id}/exceptions", exception, admin)
        assert_error(r, 400, "validation_error", "location")
        url = f"{STAFF}/{theirs_staff.id}"
        assert_error(client.get(url, headers=admin), 404, "not_found")
        assert_error(send(client, "patch", url, {"name": "Mine"}, admin), 404, "not_found")
        assert_error(client.get(f"{url}/hours", headers=admin), 404, "not_found")
        r = send(client, "put", f"{url}/hours", {"hours": []}, admin)
        assert_error(r, 404, "not_found")
        theirs = token_for(other, Role.ADMIN)
        assert_error(client.get(STAFF, headers=theirs), 403, "forbidden")
        r = send(client, "put", f"{STAFF}/{practice.staff[0].id}/hours", {"hours": []}, theirs)
        assert_error(r, 403, "forbidden")
        assert state() == before

    @pytest.mark.parametrize("role", [Role.SENIOR, Role.JUNIOR])
    def test_only_admins_change_staff_members(self, client, practice, role):
        headers = token_for(practice.company, role, staff=practice.staff[0])
        before = state()
        assert client.get(STAFF, headers=headers).status_code == 200
        assert_error(send(client, "post", STAFF, {"name": "Eve"}, headers), 403, "forbidden")
        url = f"{STAFF}/{practice.staff[0].id}"
        assert_error(send(client, "patch", url, {"name": "Me"}, headers), 403, "forbidden")
        assert_error(client.post(f"{url}/deactivate", headers=headers), 403, "forbidden")
        assert state() == before


@pytest.mark.integration
@pytest.mark.usefixtures("frozen_now")
class TestSchedules:
    def test_replacing_the_week_changes_the_slots_at_once(self, client, practice, admin, commit):
        ada = practice.staff[0]
        assert slots(client, practice, staff=ada)[0] == "09:00"
        url = f"{STAFF}/{ada.id}/hours"
        week = [
            {"weekday": 2, "start": "12:00", "end": "14:00"},
            {"weekday": 2, "start": "15:00", "end": "16:00"},
            {"weekday": 3, "start": "22:00", "end": "00:00"},
        ]
        r = commit(send, client, "put", url, {"hours": week}, admin)
        assert r.status_code == 200, r.content
        got = [(h["weekday"], h["start"], h["end"]) for h in r.json()["hours"]]
        assert got == [
            (2, "12:00:00", "14:00:00"),
            (2, "15:00:00", "16:00:00"),
            (3, "22:00:00", "00:00:00"),
        ]
        # The cached answer of a moment ago is not served: the version moved on commit.
        assert slots(client, practice, staff=ada) == [
            "12:00",
            "12:15",
            "12:30",
            "12:45",
            "13:00",
            "15:00",
        ]
        assert client.get(url, headers=admin).json() == r.json()
        assert commit(send, client, "put", url, {"hours": []}, admin).json()["hours"] == []
        assert slots(client, practice, staff=ada) == []

    @pytest.mark.parametrize(
        ("span", "field"),
        [
            ({"weekday": 7, "start": "09:00", "end": "10:00"}, "hours.1.weekday"),
            ({"weekday": -1, "start": "09:00", "end": "10:00"}, "hours.1.weekday"),
            ({"weekday": 1, "start": "10:00", "end": "09:00"}, "hours.1.end"),
            ({"weekday": 1, "start": "10:00", "end": "10:00"}, "hours.1.end"),
            ({"weekday": 1, "start": "11:00", "end": "13:00"}, "hours.1.start"),  # overlaps
            ({"weekday": 1, "start": "09:00:30", "end": "10:00"}, "hours.1.start"),
            ({"weekday": 1, "start": "09:00+02:00", "end": "10:00"}, "hours.1.start"),
            (
                {"weekday": 1, "start": "09:00", "end": "10:00", "location": "777777"},
                "hours.1.location",
            ),
        ],
    )
    def test_bad_weeks_are_400_and_change_nothing(self, client, practice, admin, span, field):
        url = f"{STAFF}/{practice.staff[0].id}/hours"
        week = [{"weekday": 1, "start": "12:00", "end": "14:00"}, span]
        before = state()
        assert_error(
            send(client, "put", url, {"hours": week}, admin), 400, "validation_error", field
        )
        assert state() == before

    def test_unparseable_times_are_400(self, client, practice, admin):
        url = f"{STAFF}/{practice.staff[0].id}/hours"
        before = state()
        for bad in ("25:00", "nine", ""):
            week = [{"weekday": 1, "start": bad, "end": "10:00"}]
            assert_error(send(client, "put", url, {"hours": week}, admin), 400, "validation_error")
        assert state() == before

    def test_time_off_lifecycle_and_refusals(self, client, practice, admin, commit):
        ada = practice.staff[0]
        url = f"{STAFF}/{ada.id}/time-off"
        body = {
            "start": "2026-12-02T09:00:00+01:00",
            "end": "2026-12-02T13:00:00+01:00",
            "reason": "Dentist",
        }
        r = commit(send, client, "post", url, body, admin)
        assert r.status_code == 201, r.content
        row = r.json()
        assert (row["start"], row["reason"]) == ("2026-12-02T09:00:00+01:00", "Dentist")
        assert slots(client, practice, staff=ada)[0] == "13:00"
        listed = client.get(f"{url}?from=2026-12-02&to=2026-12-02&tz=UTC", headers=admin).json()
        assert [t["start"] for t in listed["results"]] == ["2026-12-02T08:00:00Z"]
        assert client.get(f"{url}?from=2026-12-03", headers=admin).json()["results"] == []
        before = state()
        for bad, field in (
            ({"start": "2026-12-02T09:00:00"}, "start"),
            ({"end": "2026-12-02T08:00:00+01:00"}, "end"),
            ({"end": "2031-12-02T08:00:00+01:00"}, "end"),
            ({"reason": "line\nbreak"}, "reason"),
            ({"reason": "x" * 201}, "reason"),
        ):
            r = send(client, "post", url, body | bad, admin)
            assert_error(r, 400, "validation_error", field)
            r = send(client, "put", f"{url}/{row['id']}", body | bad, admin)
            assert_error(r, 400, "validation_error", field)
        assert_error(
            client.get(f"{url}?tz=Nowhere/Land", headers=admin), 400, "validation_error", "tz"
        )
        assert state() == before
        moved = body | {"start": "2026-12-02T10:00:00+01:00", "reason": ""}
        r = commit(send, client, "put", f"{url}/{row['id']}", moved, admin)
        assert r.status_code == 200 and r.json()["reason"] == ""
        assert slots(client, practice, staff=ada)[0] == "09:00"
        assert client.delete(f"{url}/{row['id']}", headers=admin).status_code == 204
        assert not TimeOff.objects.exists()
        assert_error(client.delete(f"{url}/{row['id']}", headers=admin), 404, "not_found")

    def test_date_exceptions_lifecycle_and_refusals(self, client, practice, admin, commit):
        ada = practice.staff[0]
        url = f"{STAFF}/{ada.id}/exceptions"
        r = commit(send, client, "post", url, {"date": "2026-12-02", "kind": "closed"}, admin)
        assert r.status_code == 201, r.content
        closed = r.json()
        assert slots(client, practice, staff=ada) == []
        before = state()
        for bad, field in (
            ({"date": "2026-12-02", "kind": "hours", "start": "10:00", "end": "12:00"}, "date"),
            ({"date": "2026-12-03", "kind": "closed", "start": "10:00"}, "start"),
            ({"date": "2026-12-03", "kind": "hours", "start": "10:00"}, "end"),
            ({"date": "2026-12-03", "kind": "extra", "start": "12:00", "end": "10:00"}, "end"),
            ({"date": "2026-12-03", "kind": "holiday"}, "kind"),
            ({"date": "2026-12-03", "kind": "closed", "location": "x"}, "location"),
        ):
            assert_error(send(client, "post", url, bad, admin), 400, "validation_error", field)
        assert state() == before
        r = commit(
            send,
            client,
            "put",
            f"{url}/{closed['id']}",
            {"date": "2026-12-02", "kind": "hours", "start": "14:00", "end": "15:00"},
            admin,
        )
        assert r.status_code == 200 and r.json()["kind"] == "hours"
        assert slots(client, practice, staff=ada) == ["14:00"]
        before = state()
        overlapping = {"date": "2026-12-02", "kind": "extra", "start": "14:30", "end": "16:00"}
        assert_error(
            send(client, "post", url, overlapping, admin), 400, "validation_error", "start"
        )
        assert state() == before
        listed = client.get(f"{url}?from=2026-12-01&to=2026-12-31", headers=admin).json()
        assert [e["id"] for e in listed["results"]] == [closed["id"]]
        assert client.delete(f"{url}/{closed['id']}", headers=admin).status_code == 204
        assert not DateException.objects.exists()

    def test_a_junior_keeps_their_own_schedule_only(self, client, practice):
        ada, ben, _ = practice.staff
        junior = token_for(practice.company, Role.JUNIOR, staff=ada)
        own = f"{STAFF}/{ada.id}"
        theirs = f"{STAFF}/{ben.id}"
        week = {"hours": [{"weekday": 2, "start": "08:00", "end": "12:00"}]}
        assert send(client, "put", f"{own}/hours", week, junior).status_code == 200
        off = {"start": "2026-12-05T09:00:00+01:00", "end": "2026-12-05T17:00:00+01:00"}
        assert send(client, "post", f"{own}/time-off", off, junior).status_code == 201
        before = state()
        assert_error(client.get(f"{theirs}/hours", headers=junior), 403, "forbidden")
        assert_error(send(client, "put", f"{theirs}/hours", week, junior), 403, "forbidden")
        assert_error(client.get(f"{theirs}/time-off", headers=junior), 403, "forbidden")
        assert_error(send(client, "post", f"{theirs}/time-off", off, junior), 403, "forbidden")
        exception = {"date": "2026-12-09", "kind": "closed"}
        assert_error(
            send(client, "post", f"{theirs}/exceptions", exception, junior), 403, "forbidden"
        )
        assert state() == before
        senior = token_for(practice.company, Role.SENIOR)
        assert send(client, "put", f"{theirs}/hours", week, senior).status_code == 200

    def test_someone_elses_time_off_id_is_404(self, client, practice, admin):
        ada, ben, _ = practice.staff
        row = TimeOff.objects.create(
            staff=ben,
            start=datetime(2026, 12, 5, 9, tzinfo=BERLIN),
            end=datetime(2026, 12, 5, 10, tzinfo=BERLIN),
        )
        before = state()
        url = f"{STAFF}/{ada.id}/time-off/{row.id}"
        assert_error(client.delete(url, headers=admin), 404, "not_found")
        assert_error(
            client.delete(f"{STAFF}/{ada.id}/time-off/abc", headers=admin), 404, "not_found"
        )
        assert state() == before


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_two_week_replacements_never_interleave(shop):  # noqa: F811 (the fixture's name)
    ada = shop.staff[0]
    mornings = [
        schedule.HoursFields(weekday=d, start=time(8), end=time(12), location=None)
        for d in range(7)
    ]
    evenings = [
        schedule.HoursFields(weekday=d, start=time(16), end=time(20), location=None)
        for d in range(7)
    ]
    calls = [
        lambda week=week: schedule.working_hours_replace(staff=ada, spans=week)
        for week in [mornings, evenings] * 3
    ]
    assert race(calls) == ["ok"] * 6
    rows = sorted((h.weekday, h.start, h.end) for h in WorkingHours.objects.filter(staff=ada))
    assert rows in (
        sorted((s.weekday, s.start, s.end) for s in mornings),
        sorted((s.weekday, s.start, s.end) for s in evenings),
    )
