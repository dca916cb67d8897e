"""/join/<token>/: countdown, redirect in the window, ended, revoked, unpaid, 404."""

from datetime import timedelta

import pytest
import time_machine

from rendezvous.bookings import domain
from rendezvous.meetings.models import Meeting, MeetingAccount
from tests.conftest import NOW, TOMORROW_10, book

from .conftest import customer_token, host_token, path_of

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("frozen_now")]


@pytest.fixture
def booked(practice, jitsi):
    return book(
        practice, TOMORROW_10, service=practice.video, staff=practice.staff[0], language="da"
    )


def test_unknown_token_is_404(client, db):
    assert client.get("/join/nope/").status_code == 404
    assert client.get("/join/" + "A" * 43 + "/").status_code == 404


def test_before_the_window_a_countdown_in_the_viewers_zone_and_language(client, booked):
    booking = booked.booking
    booking.timezone = "America/New_York"
    booking.save(update_fields=["timezone"])
    response = client.get(path_of(customer_token(booking)))
    html = response.content.decode()
    assert response.status_code == 200
    assert "data-countdown" in html and "meetings/join.js" in html
    assert "03.55" in html or "3.55" in html  # 09:55 Berlin = 03:55 New York, Danish format
    assert "America/New_York" in html
    assert "Starter om" in html  # Danish
    assert (
        response["Cache-Control"].startswith("max-age=0") or "no-cache" in response["Cache-Control"]
    )
    assert response["Referrer-Policy"] == "no-referrer"
    opens = int((TOMORROW_10 - timedelta(minutes=5)).timestamp() * 1000)
    assert f'data-join-opens="{opens}"' in html


def test_the_page_names_the_service_in_the_customers_language(client, practice, jitsi):
    practice.video.translations = {"da": {"name": "Videosamtale"}}
    practice.video.save()
    booked = book(practice, TOMORROW_10, service=practice.video, language="da")
    html = client.get(path_of(customer_token(booked.booking))).content.decode()
    assert "Videosamtale" in html and "Video call" not in html


def test_in_the_window_redirects_to_the_room(client, booked):
    meeting = Meeting.objects.get(booking=booked.booking)
    with time_machine.travel(TOMORROW_10 - timedelta(minutes=4), tick=False):
        response = client.get(path_of(customer_token(booked.booking)))
    assert response.status_code == 302
    assert response["Location"].startswith(meeting.join_url + "?jwt=")


def test_the_host_may_enter_early(client, booked):
    meeting = Meeting.objects.get(booking=booked.booking)
    with time_machine.travel(TOMORROW_10 - timedelta(minutes=14), tick=False):
        assert client.get(path_of(host_token(meeting))).status_code == 302
        assert client.get(path_of(customer_token(booked.booking))).status_code == 200


def test_after_the_end_the_meeting_has_ended(client, booked):
    with time_machine.travel(TOMORROW_10 + timedelta(minutes=31), tick=False):
        response = client.get(path_of(customer_token(booked.booking)))
    assert response.status_code == 200
    assert "Mødet er slut." in response.content.decode()


def test_cancel_revokes_the_link(client, booked):
    token = customer_token(booked.booking)
    domain.booking_cancel(booking=booked.booking, actor=domain.CUSTOMER, now=NOW)
    with time_machine.travel(TOMORROW_10, tick=False):
        response = client.get(path_of(token))
    assert response.status_code == 410
    assert Meeting.objects.get(booking=booked.booking).join_url not in response.content.decode()


def test_reschedule_keeps_the_link(client, booked):
    token = customer_token(booked.booking)
    later = TOMORROW_10 + timedelta(hours=3)
    domain.booking_reschedule(booking=booked.booking, start=later, actor=domain.CUSTOMER, now=NOW)
    with time_machine.travel(TOMORROW_10, tick=False):
        assert client.get(path_of(token)).status_code == 200  # not yet: it moved
    with time_machine.travel(later, tick=False):
        assert client.get(path_of(token)).status_code == 302


def test_unpaid_says_the_link_comes_with_the_payment(client, practice, jitsi):
    practice.video.requires_payment = True
    practice.video.save(update_fields=["requires_payment"])
    booking = book(practice, TOMORROW_10, service=practice.video, staff=practice.staff[0]).booking
    with time_machine.travel(TOMORROW_10, tick=False):
        response = client.get(path_of(customer_token(booking)))
    assert response.status_code == 200
    assert "The link appears once payment is confirmed." in response.content.decode()


def test_pending_manual_meeting_in_the_window_waits(client, practice):
    MeetingAccount.objects.create(company=practice.company, provider="manual")
    booking = book(practice, TOMORROW_10, service=practice.video, staff=practice.staff[0]).booking
    with time_machine.travel(TOMORROW_10, tick=False):
        response = client.get(path_of(customer_token(booking)))
    assert response.status_code == 200
    assert "not ready yet" in response.content.decode()
    assert 'data-join-open="1"' in response.content.decode()
