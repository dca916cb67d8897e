"""The join page of a built-in meeting: the room itself inside the window, on our own
URL, with a policy that lets the page use its socket, camera and microphone."""

from datetime import timedelta

import pytest
import time_machine

from rendezvous.meetings.domain import meeting_for
from rendezvous.meetings.models import Meeting, MeetingState
from rendezvous.rooms.domain import room_end
from tests.conftest import TOMORROW_10, book

from .conftest import customer, host

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("frozen_now")]


@pytest.fixture
def booking(practice):
    return book(
        practice, TOMORROW_10, service=practice.video, staff=practice.staff[0], language="de"
    ).booking


def test_inside_the_window_the_page_is_the_room(client, booking):
    token = customer(booking)
    with time_machine.travel(TOMORROW_10 - timedelta(minutes=2), tick=False):
        response = client.get(f"/join/{token}/")
    html = response.content.decode()
    assert response.status_code == 200 and "Location" not in response
    assert f'data-room-ws="/ws/join/{token}/"' in html
    assert "Mikrofon stummschalten" in html and "Nur mit Ton teilnehmen" in html  # German
    assert 'id="room-strings"' in html and "rooms/room.js" in html
    assert "End meeting for all" not in html and "Meeting für alle beenden" not in html
    assert "camera=(self)" in response["Permissions-Policy"]
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["Referrer-Policy"] == "no-referrer"


def test_the_host_gets_the_end_button_and_a_class_too_big_for_the_mesh_is_flagged(client, practice):
    seat = book(practice, None, service=practice.yoga, session_id=practice.session.pk).booking
    token = host(meeting_for(seat))
    with time_machine.travel(practice.session.start - timedelta(minutes=10), tick=False):
        html = client.get(f"/join/{token}/").content.decode()
    assert "End meeting for all" in html
    assert "at most 6 participants" in html  # capacity 10 > the cap of 6


def test_before_the_window_a_countdown_and_no_room(client, booking):
    html = client.get(f"/join/{customer(booking)}/").content.decode()
    assert "data-countdown" in html and "data-room-ws" not in html


def test_after_the_host_ended_it_the_page_says_so(transactional_db, client, booking):
    inside = TOMORROW_10 - timedelta(minutes=2)
    with time_machine.travel(inside, tick=False):
        assert room_end(token=customer(booking)) is None  # not the host: nothing changes
        assert Meeting.objects.get(booking=booking).state == MeetingState.READY
        assert room_end(token=host(meeting_for(booking))) == meeting_for(booking).pk
        html = client.get(f"/join/{customer(booking)}/").content.decode()
    assert "Dieses Meeting ist beendet." in html and "data-room-ws" not in html


PRIVACY = {
    "en": "Privacy: the others in this meeting see only your first name;",
    "de": "Datenschutz: Die anderen in diesem Meeting sehen nur Ihren Vornamen;",
    "da": "Privatliv: de andre i dette møde ser kun dit fornavn;",
    "ro": "Confidențialitate: ceilalți participanți la această întâlnire văd doar prenumele",
    "es": "Privacidad: los demás participantes de esta reunión solo ven su nombre de pila;",
}


@pytest.mark.parametrize("language", sorted(PRIVACY))
def test_the_room_says_others_see_only_the_first_name(client, practice, language):
    seat = book(
        practice, None, service=practice.yoga, session_id=practice.session.pk, language=language
    ).booking
    with time_machine.travel(practice.session.start - timedelta(minutes=2), tick=False):
        html = client.get(f"/join/{customer(seat)}/").content.decode()
    assert "data-room-ws" in html and PRIVACY[language] in html
