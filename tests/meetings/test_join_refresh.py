"""The join page works whenever it is opened in the window, although providers forget
things: BigBlueButton reaps a meeting nobody joined, Zoom's host start_url expires."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import time_machine
from django.core.cache import cache

from rendezvous.meetings.models import Meeting, MeetingAccount, MeetingState
from rendezvous.meetings.providers import http as provider_http
from tests.conftest import TOMORROW_10, book
from tests.fakes.bigbluebutton import SECRET as BBB_SECRET
from tests.fakes.bigbluebutton import FakeBBB
from tests.fakes.zoom import FakeZoom

from .conftest import customer_token, host_token, path_of

pytestmark = [
    pytest.mark.integration,
    pytest.mark.usefixtures("frozen_now"),
    pytest.mark.django_db(transaction=True),
]

ZOOM_SECRET = "zoom-client-secret-0123456789"
INSIDE = TOMORROW_10 - timedelta(minutes=2)


@pytest.fixture(autouse=True)
def fresh_client(monkeypatch):
    client = httpx.Client(timeout=httpx.Timeout(5.0), follow_redirects=False)
    monkeypatch.setattr(provider_http, "_client", client)
    yield
    client.close()


def query(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def video(practice):
    return book(practice, TOMORROW_10, service=practice.video, staff=practice.staff[0]).booking


# -- BigBlueButton ------------------------------------------------------------------------


@pytest.fixture
def bbb(practice):
    with FakeBBB(expire_unjoined_after=3600) as fake:
        MeetingAccount.objects.create(
            company=practice.company, provider="bigbluebutton", url=fake.api_url, secret=BBB_SECRET
        )
        yield fake


def test_a_bbb_meeting_reaped_before_anyone_came_is_back_when_they_open_the_link(
    client, practice, bbb
):
    booking = video(practice)
    meeting = Meeting.objects.get(booking=booking)
    assert meeting.state == MeetingState.READY and bbb.created == 1
    assert bbb.reap() == [meeting.external_id]  # BBB's expiry: nobody joined in time

    with time_machine.travel(INSIDE, tick=False):
        guest = client.get(path_of(customer_token(booking)))
        host = client.get(path_of(host_token(meeting)))
    assert guest.status_code == host.status_code == 302
    for answer in (guest, host):
        room = httpx.get(answer["Location"], follow_redirects=False)
        assert room.status_code == 302 and "/html5client/" in room.headers["Location"]
    # Created again once, and both joined the same new meeting (the same createTime).
    assert bbb.created == 2 and len(bbb.meetings[meeting.external_id].attendees) == 2
    new_time = str(bbb.meetings[meeting.external_id].create_time)
    assert query(guest["Location"])["createTime"] == query(host["Location"])["createTime"]
    assert query(guest["Location"])["createTime"] == new_time
    assert query(guest["Location"])["role"] == "VIEWER"
    assert query(host["Location"])["role"] == "MODERATOR"


def test_a_running_bbb_meeting_is_not_created_twice(client, practice, bbb):
    booking = video(practice)
    meeting = Meeting.objects.get(booking=booking)
    with time_machine.travel(INSIDE, tick=False):
        first = client.get(path_of(customer_token(booking)))
        httpx.get(first["Location"])
        again = client.get(path_of(host_token(meeting)))
    assert bbb.created == 1  # create answered duplicateWarning
    assert query(first["Location"])["createTime"] == query(again["Location"])["createTime"]


def test_a_bbb_hiccup_at_join_time_falls_back_to_the_stored_meeting(client, practice, bbb):
    booking = video(practice)
    meeting = Meeting.objects.get(booking=booking)
    bbb.fail(1, status=502)
    with time_machine.travel(INSIDE, tick=False):
        answer = client.get(path_of(customer_token(booking)))
    assert answer.status_code == 302
    assert query(answer["Location"])["createTime"] == query(meeting.join_url)["createTime"]
    assert httpx.get(answer["Location"]).status_code == 302  # the meeting still lives


def test_before_the_window_no_call_reaches_bbb(client, practice, bbb):
    booking = video(practice)
    calls = len(bbb.requests)
    page = client.get(path_of(customer_token(booking)))  # now: the day before
    assert page.status_code == 200 and len(bbb.requests) == calls


# -- Zoom ---------------------------------------------------------------------------------


@pytest.fixture
def zoom(settings, practice):
    with FakeZoom(client_secret=ZOOM_SECRET) as fake:
        settings.ZOOM_API_BASE, settings.ZOOM_OAUTH_BASE = fake.api_base, fake.oauth_base
        MeetingAccount.objects.create(
            company=practice.company,
            provider="zoom",
            app_id="acc-1:client-1:host@example.com",
            secret=ZOOM_SECRET,
        )
        yield fake


def test_the_host_gets_a_fresh_zoom_start_url(client, practice, zoom):
    booking = video(practice)
    meeting = Meeting.objects.get(booking=booking)
    stored = meeting.host_url
    # Zoom has since issued a new ZAK: the stored start_url is stale.
    fresh = stored.split("?")[0] + "?zak=fresh-zak-issued-later"
    zoom.meetings[int(meeting.external_id)]["start_url"] = fresh
    # The access token cached at booking time has expired by INSIDE at the fake, but a
    # Redis TTL runs on the real clock: start without it, whichever cache backend runs.
    cache.clear()
    with time_machine.travel(INSIDE, tick=False):
        host = client.get(path_of(host_token(meeting)))
        guest = client.get(path_of(customer_token(booking)))
    # Zoom meetings have a password to read first: the join page shows the room's link.
    assert host.status_code == 200 and fresh in host.content.decode()
    assert stored not in host.content.decode()
    gets = [c for c in zoom.calls("GET") if c.path == f"/v2/meetings/{meeting.external_id}"]
    assert len(gets) == 1  # asked for the host only
    page = guest.content.decode()
    assert guest.status_code == 200 and meeting.join_url.replace("&", "&amp;") in page
    assert "zak=" not in page


def test_the_stored_start_url_when_zoom_cannot_answer(client, practice, zoom):
    booking = video(practice)
    meeting = Meeting.objects.get(booking=booking)
    zoom.fail_next(1, status=503)
    with time_machine.travel(INSIDE, tick=False):
        host = client.get(path_of(host_token(meeting)))
    assert host.status_code == 200
    assert meeting.host_url.replace("&", "&amp;") in host.content.decode()


def test_a_zoom_meeting_deleted_in_zoom_shows_a_problem_not_a_dead_link(client, practice, zoom):
    booking = video(practice)
    meeting = Meeting.objects.get(booking=booking)
    zoom.meetings.clear()
    with time_machine.travel(INSIDE, tick=False):
        host = client.get(path_of(host_token(meeting)))
    assert host.status_code == 200 and meeting.host_url not in host.content.decode()
