"""The reveal rule (docs/architecture.md invariant 5), as a matrix:

time (booked, start-6, start-5, start, end, end+1) x payment (not required, pending,
paid) x viewer (own customer, another participant, the staff member, another junior,
an admin) x channel (join page, API meeting object, manage page, meeting_view).
The provider's room (Jitsi: its unguessable room name, also inside every JWT) may
appear only in the join page's redirect, in the window, to allowed viewers.
"""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from rendezvous.bookings import domain
from rendezvous.bookings.models import PaymentStatus
from rendezvous.companies.access import Actor
from rendezvous.companies.models import ApiToken, Role
from rendezvous.core.tokens import hash_token, join_token, new_nonce
from rendezvous.meetings.domain import CustomerViewer, meeting_view
from rendezvous.meetings.models import JoinRole, JoinToken, Meeting
from tests.conftest import NOW, TOMORROW_10, book

from .conftest import customer_token, host_token, link_of, path_of

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("frozen_now")]

START = TOMORROW_10
END = START + timedelta(minutes=30)
TIMES = {
    "booked": NOW,
    "start-6": START - timedelta(minutes=6),
    "start-5": START - timedelta(minutes=5),
    "start": START,
    "end": END,
    "end+1": END + timedelta(minutes=1),
}
CUSTOMER_WINDOW = {"start-5", "start"}
HOST_WINDOW = {"start-6", "start-5", "start"}


def bearer(practice, role, staff=None) -> dict:
    _row, secret = ApiToken.issue(company=practice.company, name=role, role=role, staff=staff)
    return {"Authorization": f"Bearer {secret}"}


@pytest.mark.parametrize("payment", ["not_required", "pending", "paid"])
@pytest.mark.parametrize("moment", list(TIMES))
def test_reveal_matrix(client, practice, jitsi, payment, moment):
    if payment != "not_required":
        practice.video.requires_payment = True
        practice.video.save(update_fields=["requires_payment"])
    ada, ben = practice.staff[0], practice.staff[1]
    created = book(practice, START, service=practice.video, staff=ada)
    other = book(practice, START, service=practice.video, staff=ben)
    booking = created.booking
    if payment == "paid":
        booking = domain.booking_record_payment(booking=booking, status=PaymentStatus.PAID)
    meeting = Meeting.objects.get(booking=booking)
    room = meeting.external_id
    assert room and room in meeting.join_url
    shown = payment != "pending"
    own, host = customer_token(booking), host_token(meeting)
    headers = {
        "staff": bearer(practice, Role.JUNIOR, ada),
        "junior": bearer(practice, Role.JUNIOR, ben),
        "admin": bearer(practice, Role.ADMIN),
    }
    now = TIMES[moment]
    with time_machine.travel(now, tick=False):
        # -- join page ---------------------------------------------------------------
        for who, token, window in (("own", own, CUSTOMER_WINDOW), ("host", host, HOST_WINDOW)):
            response = client.get(path_of(token))
            allowed = shown and moment in window
            exposed = room in response.get("Location", "") or room in response.content.decode()
            assert exposed == allowed, (who, moment, payment)
            assert response.status_code == (302 if allowed else 200), who
            assert response["X-Frame-Options"] == "DENY"
            assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
        response = client.get(path_of(customer_token(other.booking)))
        assert room not in response.get("Location", "") + response.content.decode()

        # -- API meeting object ------------------------------------------------------
        api = client.get(
            f"/api/v1/bookings/{booking.id}", headers={"X-Booking-Token": created.manage_token}
        )
        assert api.status_code == 200 and room not in api.content.decode()
        body = api.json()["meeting"]
        assert body["join_url"] == (link_of(own) if shown else None)
        assert body["provider"] == "jitsi" and body["opens_at"] and body["closes_at"]
        api = client.get(
            f"/api/v1/bookings/{booking.id}", headers={"X-Booking-Token": other.manage_token}
        )
        assert api.status_code == 404 and room not in api.content.decode()
        staff_url = f"/api/v1/companies/{practice.company.slug}/bookings/{booking.id}"
        for who in ("staff", "admin"):
            api = client.get(staff_url, headers=headers[who])
            assert api.status_code == 200 and room not in api.content.decode(), who
            assert api.json()["meeting"]["join_url"] == (link_of(host) if shown else None)
        api = client.get(staff_url, headers=headers["junior"])
        assert api.status_code == 403 and room not in api.content.decode()
        listing = client.get(
            f"/api/v1/companies/{practice.company.slug}/bookings", headers=headers["junior"]
        )
        assert (
            room not in listing.content.decode() and link_of(host) not in listing.content.decode()
        )

        # -- manage page (join section) -----------------------------------------------
        page = client.get(
            reverse(
                "public:manage", kwargs={"booking_id": booking.id, "token": created.manage_token}
            )
        )
        assert page.status_code == 200 and room not in page.content.decode()
        assert (link_of(own) in page.content.decode()) == shown

        # -- the rule itself, for viewers without a token ------------------------------
        viewers = {
            "own": CustomerViewer(booking.pk),
            "other": CustomerViewer(other.booking.pk),
            "staff": Actor(practice.company, Role.JUNIOR, ada.id),
            "junior": Actor(practice.company, Role.JUNIOR, ben.id),
            "admin": Actor(practice.company, Role.ADMIN, None),
        }
        # Pages, API and emails never mint the provider's URL (only the join page does)...
        for who, viewer in viewers.items():
            plain = meeting_view(booking=booking, viewer=viewer, now=now)
            assert plain.raw_url is None, who
        # ... and when asked to, the window and the viewer decide as on the join page.
        views = {
            who: meeting_view(booking=booking, viewer=viewer, now=now, mint=True)
            for who, viewer in viewers.items()
        }
    expected = {
        "own": shown and moment in CUSTOMER_WINDOW,
        "other": False,
        "staff": shown and moment in HOST_WINDOW,
        "junior": False,
        "admin": shown and moment in HOST_WINDOW,
    }
    for who, view in views.items():
        assert bool(view.raw_url) == expected[who], (who, moment, payment)
        assert (view.join_url is not None) == (shown and who in ("own", "staff", "admin")), who
    assert views["other"].reason == views["junior"].reason == "forbidden"
    if payment == "pending":
        assert views["own"].reason == "unpaid"


def test_a_request_shows_no_link_until_confirmed(client, practice, jitsi):
    practice.video.requires_confirmation = True
    practice.video.save(update_fields=["requires_confirmation"])
    created = book(practice, START, service=practice.video, staff=practice.staff[0])
    booking = created.booking
    with time_machine.travel(START, tick=False):
        view = meeting_view(booking=booking, viewer=CustomerViewer(booking.pk), now=START)
        assert (view.reason, view.join_url, view.raw_url) == ("unconfirmed", None, None)
        response = client.get(path_of(customer_token(booking)))
        assert response.status_code == 200
        assert "once your booking is confirmed" in response.content.decode()
        domain.booking_confirm(booking=booking)
        response = client.get(path_of(customer_token(booking)))
        assert response.status_code == 302


def test_staff_get_the_live_host_token_beside_a_revoked_one(practice, jitsi):
    # PostgreSQL sorts NULLs last: ordering by revoked_at alone once picked the revoked
    # token there, and staff saw "revoked" for a meeting that was fine.
    booking = book(practice, START, service=practice.video, staff=practice.staff[0]).booking
    meeting = Meeting.objects.get(booking=booking)
    live = host_token(meeting)
    nonce = new_nonce()
    JoinToken.objects.create(
        meeting=meeting,
        role=JoinRole.HOST,
        nonce=nonce,
        token_hash=hash_token(join_token(nonce)),
        revoked_at=timezone.now(),
    )
    admin = Actor(company=practice.company, role=Role.ADMIN, staff_id=None)
    view = meeting_view(booking=booking, viewer=admin, now=NOW)
    assert view.reason == "" and view.join_url == link_of(live)
