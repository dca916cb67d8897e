"""The team settings (/office/settings/team/): staff members, their week, time off and
date exceptions, invitations. Every write is the companies or availability domain's
(same refusals); admins change the team, seniors read it, a junior reaches their own
schedule only, and ids of another company answer 404."""

import re
from datetime import date, datetime, time, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rendezvous.availability.models import DateException, ExceptionKind, TimeOff, WorkingHours
from rendezvous.catalog.models import Category
from rendezvous.companies.models import Membership, Role, StaffMember
from rendezvous.notifications.domain import outbox_deliver_due
from tests.conftest import BERLIN, TOMORROW_10, book
from tests.factories import CompanyFactory, LocationFactory, StaffFactory

from .conftest import member
from .test_office_bookings import signed_in

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

TEAM = "/office/settings/team/"


def staff_rows() -> list[tuple]:
    return list(
        StaffMember.objects.order_by("pk").values_list("pk", "name", "email", "active", "company")
    )


def week_of(staff) -> list[tuple]:
    return list(
        WorkingHours.objects.filter(staff=staff)
        .order_by("weekday", "start")
        .values_list("weekday", "start", "end", "location_id")
    )


def accounts() -> tuple[list, list]:
    users = list(get_user_model().objects.order_by("pk").values_list("pk", "email", "password"))
    members = list(Membership.objects.order_by("pk").values_list("pk", "user", "role", "staff"))
    return users, members


def test_seniors_read_the_team_and_a_members_services_by_category(client, practice, team):
    hearing = Category.objects.create(company=practice.company, name="Hearing", position=1)
    practice.cabin_service.category = hearing
    practice.cabin_service.save()
    ada = practice.staff[0]
    mitte = LocationFactory(company=practice.company, name="Mitte")
    ada.locations.add(mitte)
    signed_in(client, team["senior"])
    client.get(TEAM)  # the session's first request reads more (its company ...)
    with CaptureQueriesContext(connection) as few:
        page = client.get(TEAM).content.decode()
    assert all(name in page for name in ("Ada", "Ben", "Cleo")) and "Mitte" in page
    assert "New staff member" not in page
    # The list costs the same queries however many staff members it shows.
    for _n in range(5):
        StaffFactory(company=practice.company, hours=[]).locations.add(mitte)
    with CaptureQueriesContext(connection) as more:
        client.get(TEAM)
    assert len(more) == len(few)
    page = client.get(f"{TEAM}{ada.pk}/").content.decode()
    assert "<h4>Hearing</h4>" in page and "Hearing test" in page
    assert "<h4>No category</h4>" in page and "Consultation" in page
    assert "Send the invitation" not in page and "Deactivate" not in page


def test_admins_add_and_change_staff_and_refusals_change_nothing(client, practice, team):
    mitte = LocationFactory(company=practice.company, name="Mitte")
    signed_in(client, team["admin"])
    response = client.post(
        TEAM,
        {
            "name": "Dora",
            "email": "dora@example.com",
            "locations": [str(mitte.pk)],
            "services": [str(practice.service.pk)],
            "online_bookable": "on",
        },
    )
    dora = StaffMember.objects.get(name="Dora")
    assert response.status_code == 302 and response["Location"] == f"{TEAM}{dora.pk}/"
    assert list(dora.locations.all()) == [mitte]
    assert list(dora.services.all()) == [practice.service]
    page = client.get(f"{TEAM}{dora.pk}/").content.decode()
    assert f'value="{mitte.pk}" checked' in page
    assert f'value="{practice.service.pk}" checked' in page
    assert f'value="{practice.video.pk}" checked' not in page
    foreign = LocationFactory(company=CompanyFactory(slug="elsewhere"))
    before = staff_rows()
    for bad, message in (
        ({"name": " "}, "This field is required."),
        ({"name": "Eve", "email": "not-an-email"}, "Enter a valid email address."),
        ({"name": "Eve", "locations": [str(foreign.pk)]}, f"Unknown id: {foreign.pk}."),
    ):
        response = client.post(TEAM, bad)
        assert response.status_code == 422, bad
        assert message in response.content.decode(), bad
    assert staff_rows() == before
    response = client.post(f"{TEAM}{dora.pk}/", {"name": "Dora Lind", "email": "", "services": []})
    assert response.status_code == 302
    dora.refresh_from_db()
    assert (dora.name, dora.email, dora.online_bookable) == ("Dora Lind", "", False)
    assert not dora.services.exists() and not dora.locations.exists()
    before = staff_rows()
    response = client.post(f"{TEAM}{dora.pk}/", {"name": "", "email": "x"})
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    assert staff_rows() == before


def test_deactivating_keeps_the_bookings_and_deleting_one_with_bookings_is_refused(
    client, practice, team
):
    ada = practice.staff[0]
    booking = book(practice, TOMORROW_10, staff=ada).booking
    signed_in(client, team["admin"])
    response = client.post(f"{TEAM}{ada.pk}/deactivate/", follow=True)
    assert "Deactivated: no new bookings" in response.content.decode()
    ada.refresh_from_db()
    assert not ada.active and ada.bookings.get() == booking
    assert "Deactivated" in client.get(TEAM).content.decode()
    client.post(f"{TEAM}{ada.pk}/activate/")
    ada.refresh_from_db()
    assert ada.active
    before = staff_rows()
    response = client.post(f"{TEAM}{ada.pk}/delete/", {"confirm": "delete"}, follow=True)
    assert "This staff member has bookings or class sessions" in response.content.decode()
    response = client.post(f"{TEAM}{practice.staff[1].pk}/delete/", follow=True)
    assert "Tick the box to confirm the deletion." in response.content.decode()
    assert staff_rows() == before
    newcomer = StaffFactory(company=practice.company, name="Newcomer")
    response = client.post(f"{TEAM}{newcomer.pk}/delete/", {"confirm": "delete"}, follow=True)
    assert "Newcomer was deleted." in response.content.decode()
    assert not StaffMember.objects.filter(pk=newcomer.pk).exists()
    assert not WorkingHours.objects.filter(staff_id=newcomer.pk).exists()


def test_seniors_may_not_change_the_team_or_invite(client, practice, team):
    signed_in(client, team["senior"])
    ada = practice.staff[0]
    before, people = staff_rows(), accounts()
    assert client.post(TEAM, {"name": "Dora"}).status_code == 404
    assert client.post(f"{TEAM}{ada.pk}/", {"name": "Renamed"}).status_code == 404
    for action in ("deactivate", "delete", "invite"):
        response = client.post(
            f"{TEAM}{ada.pk}/{action}/",
            {"confirm": "delete", "email": "new@example.com", "role": "admin"},
        )
        assert response.status_code == 404, action
    assert staff_rows() == before and accounts() == people


def week_form(*spans) -> dict:
    """The week form as the page posts it: `spans` are (weekday, start, end[, location])."""
    data = {"rows": str(len(spans))}
    for n, (weekday, start, end, *location) in enumerate(spans):
        data |= {
            f"weekday-{n}": str(weekday),
            f"start-{n}": start,
            f"end-{n}": end,
            f"location-{n}": str(location[0]) if location else "",
        }
    return data


def test_a_week_with_split_shifts_is_saved_as_one_and_refusals_keep_the_old_one(
    client, practice, team
):
    ben = practice.staff[1]
    mitte = LocationFactory(company=practice.company, name="Mitte")
    signed_in(client, team["senior"])
    page = client.get(f"{TEAM}{ben.pk}/hours/").content.decode()
    assert 'value="09:00"' in page and "Monday" in page
    response = client.post(
        f"{TEAM}{ben.pk}/hours/",
        week_form(
            (0, "09:00", "12:00", mitte.pk),
            (0, "13:00", "17:00"),
            (0, "", ""),
            (4, "10:00", "00:00"),
        ),
    )
    assert response.status_code == 302
    saved = [
        (0, time(9), time(12), mitte.pk),
        (0, time(13), time(17), None),
        (4, time(10), time(0), None),
    ]
    assert week_of(ben) == saved
    for spans, message in (
        (((1, "09:00", "12:00"), (1, "11:00", "14:00")), "Overlaps span 0 of the same weekday."),
        (((2, "15:00", "09:00"),), "The end must be after the start (00:00 means midnight)."),
        (((2, "9 am", "12:00"),), "Enter a time such as 09:30."),
    ):
        response = client.post(f"{TEAM}{ben.pk}/hours/", week_form(*spans))
        assert response.status_code == 422, spans
        assert message in response.content.decode(), spans
        assert week_of(ben) == saved


def test_time_off_is_added_and_removed_and_an_end_before_the_start_is_refused(
    client, practice, team
):
    ben = practice.staff[1]
    signed_in(client, team["admin"])
    url = f"{TEAM}{ben.pk}/time-off/"
    response = client.post(
        url, {"start": "2026-12-10T00:00", "end": "2026-12-12T00:00", "reason": "Holiday"}
    )
    assert response.status_code == 302
    off = TimeOff.objects.get(staff=ben)
    assert off.start == datetime(2026, 12, 10, tzinfo=BERLIN) and off.reason == "Holiday"
    assert "Holiday" in client.get(f"{TEAM}{ben.pk}/hours/").content.decode()
    # Why Ben is off is his and the admins' to read: a senior sees the time off alone.
    client.logout()
    signed_in(client, team["senior"])
    page = client.get(f"{TEAM}{ben.pk}/hours/").content.decode()
    assert "Holiday" not in page and 'name="reason"' not in page and "Thu, 10 Dec 2026" in page
    client.post(url, {"start": "2026-12-20T00:00", "end": "2026-12-21T00:00", "reason": "Secret"})
    by_senior = TimeOff.objects.get(start=datetime(2026, 12, 20, tzinfo=BERLIN))
    assert by_senior.reason == ""
    by_senior.delete()
    client.logout()
    signed_in(client, team["admin"])
    for bad, message in (
        ({"start": "2026-12-12T00:00", "end": "2026-12-10T00:00"}, "The end must be after"),
        ({"start": "soon", "end": "2026-12-10T00:00"}, "Enter a date and time."),
    ):
        response = client.post(url, bad)
        assert response.status_code == 422 and message in response.content.decode(), bad
    assert list(TimeOff.objects.values_list("pk", flat=True)) == [off.pk]
    client.post(f"{url}{off.pk}/delete/")
    assert not TimeOff.objects.exists()


def test_date_exceptions_close_a_day_or_change_its_hours(client, practice, team):
    ben = practice.staff[1]
    signed_in(client, team["admin"])
    url = f"{TEAM}{ben.pk}/exceptions/"
    assert client.post(url, {"date": "2026-12-24", "kind": "closed"}).status_code == 302
    response = client.post(
        url, {"date": "2026-12-23", "kind": "hours", "start": "10:00", "end": "14:00"}
    )
    assert response.status_code == 302
    rows = list(DateException.objects.order_by("date").values_list("date", "kind", "start", "end"))
    assert rows == [
        (date(2026, 12, 23), ExceptionKind.HOURS, time(10), time(14)),
        (date(2026, 12, 24), ExceptionKind.CLOSED, None, None),
    ]
    for bad, message in (
        ({"date": "2026-12-24", "kind": "hours", "start": "10:00", "end": "12:00"}, "conflicts"),
        ({"date": "2026-12-27", "kind": "closed", "start": "10:00"}, "has no hours"),
        ({"date": "2026-12-27", "kind": "hours", "start": "14:00", "end": "10:00"}, "The end must"),
        ({"date": "Christmas", "kind": "closed"}, "Enter a date such as 2026-12-24."),
    ):
        response = client.post(url, bad)
        assert response.status_code == 422 and message in response.content.decode(), bad
    assert DateException.objects.count() == 2
    closed = DateException.objects.get(kind=ExceptionKind.CLOSED)
    client.post(f"{url}{closed.pk}/delete/")
    assert DateException.objects.count() == 1


def test_a_junior_edits_their_own_schedule_and_nothing_else(client, practice, team):
    ada, ben = practice.staff[0], practice.staff[1]
    signed_in(client, team["junior"])
    response = client.get(TEAM)
    assert response.status_code == 302 and response["Location"] == f"{TEAM}{ada.pk}/hours/"
    TimeOff.objects.create(
        staff=ada, start=TOMORROW_10, end=TOMORROW_10 + timedelta(hours=1), reason="Dentist"
    )
    assert "Dentist" in client.get(f"{TEAM}{ada.pk}/hours/").content.decode()
    response = client.post(f"{TEAM}{ada.pk}/hours/", week_form((0, "08:00", "12:00")))
    assert response.status_code == 302 and week_of(ada) == [(0, time(8), time(12), None)]
    assert client.get(f"{TEAM}{ada.pk}/").status_code == 404
    off = TimeOff.objects.create(staff=ben, start=TOMORROW_10, end=TOMORROW_10 + timedelta(hours=2))
    ben_week = week_of(ben)
    for method, path, data in (
        ("get", f"{TEAM}{ben.pk}/hours/", {}),
        ("post", f"{TEAM}{ben.pk}/hours/", week_form((0, "08:00", "12:00"))),
        (
            "post",
            f"{TEAM}{ben.pk}/time-off/",
            {"start": "2026-12-10T00:00", "end": "2026-12-11T00:00"},
        ),
        ("post", f"{TEAM}{ben.pk}/time-off/{off.pk}/delete/", {}),
        ("post", f"{TEAM}{ben.pk}/exceptions/", {"date": "2026-12-24", "kind": "closed"}),
        ("post", f"{TEAM}{ada.pk}/invite/", {"email": "x@example.com", "role": "admin"}),
    ):
        assert getattr(client, method)(path, data).status_code == 404, path
    assert week_of(ben) == ben_week
    assert TimeOff.objects.filter(staff=ben).get() == off
    assert not DateException.objects.exists()


def test_another_companys_ids_answer_404(client, practice, team):
    stranger = StaffFactory(company=CompanyFactory(slug="elsewhere"))
    foreign_off = TimeOff.objects.create(
        staff=stranger, start=TOMORROW_10, end=TOMORROW_10 + timedelta(hours=1)
    )
    signed_in(client, team["admin"])
    for path in (f"{TEAM}{stranger.pk}/", f"{TEAM}{stranger.pk}/hours/"):
        assert client.get(path).status_code == 404, path
    before = staff_rows()
    for path in (
        f"{TEAM}{stranger.pk}/",
        f"{TEAM}{stranger.pk}/deactivate/",
        f"{TEAM}{stranger.pk}/delete/",
        f"{TEAM}{stranger.pk}/time-off/{foreign_off.pk}/delete/",
        # Someone else's time off through one's own staff member's address.
        f"{TEAM}{practice.staff[0].pk}/time-off/{foreign_off.pk}/delete/",
    ):
        assert client.post(path, {"name": "X", "confirm": "delete"}).status_code == 404, path
    assert staff_rows() == before and TimeOff.objects.filter(pk=foreign_off.pk).exists()


def test_an_invited_person_sets_a_password_with_the_emailed_link_and_signs_in(
    client, practice, team, smtp
):
    ada = practice.staff[0]
    signed_in(client, team["admin"])
    response = client.post(
        f"{TEAM}{ada.pk}/invite/", {"email": "New.Person@example.com", "role": "junior"}
    )
    assert response.status_code == 302
    user = get_user_model().objects.get(email="New.Person@example.com")
    assert not user.has_usable_password()
    membership = Membership.objects.get(user=user)
    assert (membership.company, membership.role, membership.staff) == (
        practice.company,
        Role.JUNIOR,
        ada,
    )
    client.logout()
    outbox_deliver_due()
    (received,) = smtp.to("New.Person@example.com")
    assert practice.company.name in received.message["Subject"]
    body = received.message.get_body(("plain",)).get_content()
    assert "Junior employee" in body
    link = re.search(r"http://testserver(/office/account/password/reset/key/\S+)", body).group(1)
    form = client.get(link, follow=True)
    action = form.redirect_chain[-1][0] if form.redirect_chain else link
    done = client.post(action, {"password1": "my-own-pass-4242", "password2": "my-own-pass-4242"})
    assert done.status_code == 302
    client.logout()
    response = client.post(
        "/office/account/login/",
        {"login": "new.person@example.com", "password": "my-own-pass-4242"},
    )
    assert response["Location"] == "/office/"
    landed = client.get("/office/", follow=True)
    assert landed.redirect_chain[-1][0] == "/office/calendar/"
    actor = landed.wsgi_request.office["actor"]
    assert (actor.role, actor.staff_id) == (Role.JUNIOR, ada.pk)
    client.logout()
    # The link works once.
    again = client.get(link, follow=True)
    assert b"password1" not in again.content


def test_an_existing_account_is_added_without_a_new_password(client, practice, team, smtp):
    other = CompanyFactory(slug="other", name="Other Studio")
    elsewhere = member(other, "worker", Role.SENIOR)
    password = elsewhere.password
    signed_in(client, team["admin"])
    response = client.post(
        f"{TEAM}{practice.staff[1].pk}/invite/", {"email": "WORKER@staff.example", "role": "senior"}
    )
    assert response.status_code == 302
    assert Membership.objects.get(user=elsewhere, company=practice.company).role == Role.SENIOR
    elsewhere.refresh_from_db()
    assert elsewhere.password == password
    assert get_user_model().objects.filter(email__iexact="worker@staff.example").count() == 1


def test_bad_invitations_are_refused_and_change_nothing(client, practice, team):
    signed_in(client, team["admin"])
    url = f"{TEAM}{practice.staff[0].pk}/invite/"
    people = accounts()
    for bad, message in (
        ({"email": "not an email", "role": "junior"}, "Enter a valid email address."),
        ({"email": "", "role": "junior"}, "This field is required."),
        ({"email": "boss@staff.example", "role": "senior"}, "already a member of this company"),
        ({"email": "ok@example.com", "role": "owner"}, "Choose one of: admin, senior, junior."),
    ):
        response = client.post(url, bad)
        assert response.status_code == 422, bad
        assert message in response.content.decode(), bad
    assert accounts() == people
