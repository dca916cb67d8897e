"""Staff API: "by video" per booking (issue #4) and the bookings list's meeting objects.

Turning a booking online or back goes through bookings.domain.booking_set_online; the
remote provider is a real local BigBlueButton fake (tests/fakes/bigbluebutton.py), and
its tasks run after commit as in production (HUEY immediate in the test settings).
"""

from datetime import timedelta

import httpx
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rendezvous.companies.models import Role
from rendezvous.meetings.links import join_link
from rendezvous.meetings.models import JoinRole, JoinToken, Meeting, MeetingAccount, MeetingState
from rendezvous.meetings.providers import http as provider_http
from rendezvous.notifications.domain import outbox_deliver_due
from rendezvous.notifications.models import OutboxMessage
from tests.conftest import TOMORROW_10, book
from tests.factories import CompanyFactory
from tests.fakes.bigbluebutton import SECRET, FakeBBB
from tests.notifications.conftest import calendar_part

from .staff_support import assert_error, send, state, token_for

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("frozen_now")]

BOOKINGS = "/api/v1/companies/practice/bookings"


@pytest.fixture
def http_client(monkeypatch):
    """A fresh shared provider client per test (no pooled connection to an earlier fake)."""
    fresh = httpx.Client(timeout=httpx.Timeout(5.0), follow_redirects=False)
    monkeypatch.setattr(provider_http, "_client", fresh)
    yield fresh
    fresh.close()


@pytest.fixture
def bbb(practice, http_client):
    with FakeBBB() as server:
        MeetingAccount.objects.create(
            company=practice.company, provider="bigbluebutton", url=server.api_url, secret=SECRET
        )
        yield server


@pytest.fixture
def admin(practice):
    return token_for(practice.company, Role.ADMIN)


def in_person(practice, start=TOMORROW_10, staff=None):
    return book(practice, start, staff=staff or practice.staff[0]).booking


def test_ticking_by_video_makes_the_meeting_and_unticking_deletes_it(
    client, practice, admin, bbb, django_capture_on_commit_callbacks
):
    booking = in_person(practice)
    url = f"{BOOKINGS}/{booking.id}"
    assert not Meeting.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        r = send(client, "patch", url, {"online": True}, admin)
    assert r.status_code == 200, r.content
    body = r.json()
    meeting = Meeting.objects.get(booking=booking)
    assert body["online"] is True and bbb.created == 1
    assert (meeting.provider, meeting.state) == ("bigbluebutton", MeetingState.READY)
    tokens = JoinToken.objects.filter(meeting=meeting, revoked_at__isnull=True)
    assert sorted(tokens.values_list("role", flat=True)) == [JoinRole.CUSTOMER, JoinRole.HOST]
    host = tokens.get(role=JoinRole.HOST)
    # The answer was rendered before the provider was asked (after commit); a read now
    # gives staff our join link (the host's), never the provider's URL.
    assert body["meeting"]["state"] == "pending" and body["meeting"]["join_url"] is None
    shown = client.get(url, headers=admin).json()["meeting"]
    assert shown["state"] == "ready" and shown["join_url"] == join_link(host.nonce)
    assert bbb.url not in str(shown)

    with django_capture_on_commit_callbacks(execute=True):
        r = send(client, "patch", url, {"online": False}, admin)
    assert r.status_code == 200 and r.json()["online"] is False and r.json()["meeting"] is None
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.REVOKED
    assert not JoinToken.objects.filter(meeting=meeting, revoked_at__isnull=True).exists()
    assert bbb.ended == [meeting.external_id]

    # And on again: a fresh meeting and fresh links, the revoked ones stay dead.
    old_tokens = set(JoinToken.objects.values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        r = send(client, "patch", url, {"online": True}, admin)
    fresh = Meeting.objects.get(booking=booking)
    assert fresh.pk != meeting.pk and fresh.state == MeetingState.READY and bbb.created == 2
    live = set(JoinToken.objects.filter(revoked_at__isnull=True).values_list("pk", flat=True))
    assert live and not live & old_tokens


def test_a_link_known_at_once_is_emailed_to_the_customer(client, practice, admin):
    MeetingAccount.objects.create(
        company=practice.company, provider="static_link", url="https://rooms.example/ours"
    )
    booking = in_person(practice)
    r = send(client, "patch", f"{BOOKINGS}/{booking.id}", {"online": True}, admin)
    assert r.status_code == 200, r.content
    added = OutboxMessage.objects.get(booking=booking, event="meeting_link_added")
    customer = JoinToken.objects.get(booking=booking, role=JoinRole.CUSTOMER)
    assert join_link(customer.nonce) in added.body_text
    assert "rooms.example" not in added.body_text + added.body_html


def test_an_unpaid_booking_hears_of_the_link_only_when_paid(client, practice, admin):
    MeetingAccount.objects.create(
        company=practice.company, provider="static_link", url="https://rooms.example/ours"
    )
    practice.service.requires_payment = True
    practice.service.save()
    booking = in_person(practice)
    r = send(client, "patch", f"{BOOKINGS}/{booking.id}", {"online": True}, admin)
    assert r.status_code == 200 and r.json()["meeting"]["join_url"] is None
    assert not OutboxMessage.objects.filter(booking=booking, event="meeting_link_added").exists()


def test_refusals_change_nothing(client, practice, admin, frozen_now):
    ada, ben, _ = practice.staff
    booking = in_person(practice)
    url = f"{BOOKINGS}/{booking.id}"

    practice.company.online_meetings_enabled = False
    practice.company.save()
    before = state()
    assert_error(
        send(client, "patch", url, {"online": True}, admin), 400, "validation_error", "online"
    )
    assert state() == before
    practice.company.online_meetings_enabled = True
    practice.company.save()

    junior = token_for(practice.company, Role.JUNIOR, staff=ben)
    assert_error(send(client, "patch", url, {"online": True}, junior), 403, "forbidden")
    other = CompanyFactory(slug="other")
    theirs = token_for(other, Role.ADMIN)
    assert_error(send(client, "patch", url, {"online": True}, theirs), 403, "forbidden")
    other_url = f"/api/v1/companies/other/bookings/{booking.id}"
    assert_error(send(client, "patch", other_url, {"online": True}, theirs), 404, "not_found")
    assert_error(send(client, "patch", url, {"online": "maybe"}, admin), 400, "validation_error")
    assert state() == before

    # A class booking: the meeting is the session's, so the session must be online.
    practice.session.online = False
    practice.session.save()
    seat = book(practice, practice.session.start, service=practice.yoga).booking
    before = state()
    r = send(client, "patch", f"{BOOKINGS}/{seat.id}", {"online": True}, admin)
    assert_error(r, 400, "validation_error", "online")
    assert state() == before

    cancelled = in_person(practice, start=TOMORROW_10 + timedelta(hours=3))
    send(client, "patch", f"{BOOKINGS}/{cancelled.id}", {"status": "cancelled"}, admin)
    before = state()
    r = send(client, "patch", f"{BOOKINGS}/{cancelled.id}", {"online": True}, admin)
    assert_error(r, 409, "invalid_state")
    assert state() == before

    frozen_now.move_to(TOMORROW_10 + timedelta(hours=2))  # the booking is over
    before = state()
    assert_error(send(client, "patch", url, {"online": True}, admin), 409, "invalid_state")
    assert state() == before


def test_a_refusal_later_in_the_same_patch_undoes_by_video(client, practice, admin):
    """One PATCH is one change: "by video" is applied first, so a status or payment
    status refused after it must take it back (nothing written, no email queued)."""
    MeetingAccount.objects.create(
        company=practice.company, provider="static_link", url="https://rooms.example/ours"
    )
    booking = in_person(practice)
    url = f"{BOOKINGS}/{booking.id}"
    for body, status, code in (
        ({"online": True, "status": "requested"}, 409, "invalid_state"),
        ({"online": True, "status": "no-such"}, 409, "invalid_state"),
        ({"online": True, "payment_status": "no-such"}, 400, "validation_error"),
    ):
        before = state()
        outbox = list(OutboxMessage.objects.order_by("id").values_list("id", flat=True))
        assert_error(send(client, "patch", url, body, admin), status, code)
        assert state() == before, body
        assert list(OutboxMessage.objects.order_by("id").values_list("id", flat=True)) == outbox


def test_a_class_participant_joins_the_sessions_meeting(client, practice, admin):
    seat = book(practice, practice.session.start, service=practice.yoga, online=False).booking
    other = book(practice, practice.session.start, service=practice.yoga).booking
    shared = Meeting.objects.get(session=practice.session)
    r = send(client, "patch", f"{BOOKINGS}/{seat.id}", {"online": True}, admin)
    assert r.status_code == 200, r.content
    token = JoinToken.objects.get(booking=seat, revoked_at__isnull=True)
    assert token.meeting_id == shared.pk
    r = send(client, "patch", f"{BOOKINGS}/{seat.id}", {"online": False}, admin)
    shared.refresh_from_db()
    # One participant leaving by video does not end the class's meeting for the others.
    assert shared.state != MeetingState.REVOKED
    assert JoinToken.objects.get(booking=other).revoked_at is None
    assert JoinToken.objects.get(pk=token.pk).revoked_at is not None


# --- the list's query count --------------------------------------------------------------


def online_bookings(practice, n, first_day=0):
    made = []
    for i in range(first_day, first_day + n):
        staff = practice.staff[i % 3]
        start = TOMORROW_10 + timedelta(days=i // 3, hours=i % 3)
        made.append(book(practice, start, service=practice.video, staff=staff).booking)
    return made


def list_queries(client, headers) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as queries:
        r = client.get(f"{BOOKINGS}?from=2026-12-01&to=2027-01-31", headers=headers)
    assert r.status_code == 200
    return len(queries), r.json()


def test_the_list_costs_the_same_queries_for_1_or_20_online_bookings(
    client, practice, admin, django_assert_max_num_queries
):
    MeetingAccount.objects.create(
        company=practice.company, provider="static_link", url="https://rooms.example/ours"
    )
    online_bookings(practice, 1)
    book(practice, practice.session.start, service=practice.yoga)  # a class seat, online too
    one, page = list_queries(client, admin)
    assert len(page["results"]) == 2
    online_bookings(practice, 19, first_day=1)
    with django_assert_max_num_queries(one):
        r = client.get(f"{BOOKINGS}?from=2026-12-01&to=2027-01-31", headers=admin)
    results = r.json()["results"]
    assert len(results) == 21 and all(b["meeting"]["join_url"] for b in results)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.JUNIOR])
def test_the_list_reveals_exactly_what_the_detail_reveals(client, practice, role, frozen_now):
    MeetingAccount.objects.create(
        company=practice.company, provider="static_link", url="https://rooms.example/ours"
    )
    practice.video.requires_payment = True
    practice.video.save()
    made = online_bookings(practice, 6)
    made.append(book(practice, practice.session.start, service=practice.yoga).booking)
    made.append(in_person(practice, start=TOMORROW_10 + timedelta(days=5)))
    admin = token_for(practice.company, Role.ADMIN)
    send(client, "patch", f"{BOOKINGS}/{made[0].id}", {"payment_status": "paid"}, admin)
    send(client, "patch", f"{BOOKINGS}/{made[1].id}", {"online": False}, admin)
    frozen_now.move_to(made[0].start - timedelta(minutes=2))  # made[0]'s window is open
    headers = token_for(practice.company, role, staff=practice.staff[0])
    listed = client.get(f"{BOOKINGS}?from=2026-12-01&to=2027-01-31", headers=headers).json()
    assert listed["results"]
    for row in listed["results"]:
        detail = client.get(f"{BOOKINGS}/{row['id']}", headers=headers).json()
        assert row["meeting"] == detail["meeting"], row["id"]
    shown = [r["meeting"]["join_url"] for r in listed["results"] if r["meeting"]]
    assert any(shown) and not all(shown)  # paid ones show the link, unpaid ones do not


def test_unticking_by_video_tells_the_customer_it_is_in_person_now(client, practice, admin, smtp):
    MeetingAccount.objects.create(
        company=practice.company, provider="static_link", url="https://rooms.example/ours"
    )
    booking = in_person(practice)
    url = f"{BOOKINGS}/{booking.id}"
    assert send(client, "patch", url, {"online": True}, admin).status_code == 200
    link = join_link(JoinToken.objects.get(booking=booking, role=JoinRole.CUSTOMER).nonce)
    assert send(client, "patch", url, {"online": False}, admin).status_code == 200
    outbox_deliver_due()

    told = {r.message["Subject"]: r.message for r in smtp.to(booking.email)}
    [added] = [m for s, m in told.items() if s.startswith("Your video link")]
    [removed] = [m for s, m in told.items() if "now in person" in s]
    text = removed.get_body(("plain",)).get_content()
    assert "no longer works" in text and "/join/" not in text and link not in text
    method, calendar = calendar_part(removed)
    [event] = calendar.walk("VEVENT")
    [earlier] = calendar_part(added)[1].walk("VEVENT")
    # The same invitation, updated: a higher SEQUENCE, the place instead of the link.
    assert method == "REQUEST" and event["UID"] == earlier["UID"]
    assert int(event["SEQUENCE"]) > int(earlier["SEQUENCE"])
    assert "/join/" not in str(event.get("LOCATION", "")) + str(event.get("DESCRIPTION", ""))


def test_unticking_by_video_on_a_request_sends_nothing(client, practice, admin):
    practice.service.requires_confirmation = True
    practice.service.save()
    booking = in_person(practice)
    url = f"{BOOKINGS}/{booking.id}"
    assert send(client, "patch", url, {"online": True}, admin).status_code == 200
    assert send(client, "patch", url, {"online": False}, admin).status_code == 200
    # A request was never confirmed as a video meeting: nothing to take back.
    assert not OutboxMessage.objects.filter(booking=booking, event="meeting_removed").exists()
