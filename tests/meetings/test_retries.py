"""Provider updates and deletes are retried like creates (meetings.domain.lifecycle):
against the local Zoom, a reschedule or cancel while Zoom is down reaches it once it is
back, with backoff and Retry-After, and nothing is made twice."""

import threading
import time
from datetime import timedelta

import httpx
import pytest

from rendezvous.bookings import domain
from rendezvous.meetings.domain import meeting_push_update, meeting_retry_due
from rendezvous.meetings.domain.lifecycle import MAX_ATTEMPTS
from rendezvous.meetings.models import JoinToken, Meeting, MeetingAccount, MeetingState
from rendezvous.meetings.providers import http as provider_http
from tests.conftest import NOW, TOMORROW_10, book
from tests.fakes.zoom import FakeZoom

pytestmark = [
    pytest.mark.integration,
    pytest.mark.usefixtures("frozen_now"),
    pytest.mark.django_db(transaction=True),  # after-commit tasks run, as in production
]

SECRET = "zoom-client-secret-0123456789"
HOST = "host@example.com"
LATER = TOMORROW_10 + timedelta(hours=2)


@pytest.fixture(autouse=True)
def fresh_client(monkeypatch):
    """A fresh shared transport per test (no pooled connection to an earlier fake)."""
    client = httpx.Client(timeout=httpx.Timeout(5.0), follow_redirects=False)
    monkeypatch.setattr(provider_http, "_client", client)
    yield
    client.close()


@pytest.fixture
def zoom(settings, practice):
    with FakeZoom(client_secret=SECRET, users=(HOST,)) as fake:
        settings.ZOOM_API_BASE = fake.api_base
        settings.ZOOM_OAUTH_BASE = fake.oauth_base
        MeetingAccount.objects.create(
            company=practice.company,
            provider="zoom",
            app_id=f"acc-1:client-1:{HOST}",
            secret=SECRET,
        )
        yield fake


def ready_booking(practice, zoom):
    booking = book(practice, TOMORROW_10, service=practice.video, staff=practice.staff[0]).booking
    meeting = Meeting.objects.get(booking=booking)
    assert meeting.state == MeetingState.READY and len(zoom.meetings) == 1
    return booking, meeting


def zoom_meeting(zoom, meeting) -> dict:
    return zoom.meetings[int(meeting.external_id)]


def tokens(meeting) -> set:
    return set(JoinToken.objects.filter(meeting=meeting).values_list("token_hash", "revoked_at"))


def test_a_reschedule_while_zoom_is_down_reaches_it_once_it_is_back(practice, zoom):
    booking, meeting = ready_booking(practice, zoom)
    links = tokens(meeting)
    zoom.fail_next(99, status=500)

    domain.booking_reschedule(booking=booking, start=LATER, actor=domain.STAFF, now=NOW)

    meeting.refresh_from_db()
    assert meeting.state == MeetingState.READY and meeting.start == LATER
    assert meeting.attempts == 1 and "HTTP 500" in meeting.last_error
    assert SECRET not in meeting.last_error
    due = meeting.next_attempt_at
    assert due == NOW + timedelta(minutes=1)
    assert zoom_meeting(zoom, meeting)["start_time"] == "2026-12-02T09:00:00Z"  # still old

    assert meeting_retry_due(now=due - timedelta(seconds=1)) == 0  # not before its time
    zoom.recover()
    assert meeting_retry_due(now=due) == 1
    meeting.refresh_from_db()
    assert zoom_meeting(zoom, meeting)["start_time"] == "2026-12-02T11:00:00Z"
    assert (meeting.next_attempt_at, meeting.attempts, meeting.last_error) == (None, 0, "")
    assert meeting_retry_due(now=due + timedelta(hours=1)) == 0  # nothing left to do
    assert len(zoom.calls("POST")) == 1 and len(zoom.meetings) == 1  # never a second meeting
    assert tokens(meeting) == links  # every join link kept


def test_retry_after_is_honoured_for_an_update(practice, zoom):
    booking, meeting = ready_booking(practice, zoom)
    zoom.rate_limit_next(1, retry_after="600")
    domain.booking_reschedule(booking=booking, start=LATER, actor=domain.STAFF, now=NOW)
    meeting.refresh_from_db()
    assert meeting.next_attempt_at == NOW + timedelta(seconds=600)
    assert "429" in meeting.last_error
    assert meeting_retry_due(now=NOW + timedelta(minutes=5)) == 0
    assert meeting_retry_due(now=NOW + timedelta(minutes=10)) == 1
    assert zoom_meeting(zoom, meeting)["start_time"] == "2026-12-02T11:00:00Z"


def test_an_update_gives_up_after_max_attempts_and_keeps_the_meeting(practice, zoom):
    booking, meeting = ready_booking(practice, zoom)
    zoom.fail_next(99, status=503)
    domain.booking_reschedule(booking=booking, start=LATER, actor=domain.STAFF, now=NOW)
    meeting.refresh_from_db()
    waits = []
    while meeting.next_attempt_at is not None:
        waits.append(meeting.next_attempt_at)
        assert meeting_retry_due(now=meeting.next_attempt_at) == 1
        meeting.refresh_from_db()
    assert meeting.attempts == MAX_ATTEMPTS and len(waits) == MAX_ATTEMPTS - 1
    gaps = [b - a for a, b in zip([NOW, *waits], waits, strict=False)]
    assert gaps == sorted(gaps) and gaps[0] == timedelta(minutes=1)  # backoff grows
    # The link still works (Zoom's meeting exists); staff see the problem in the report.
    assert meeting.state == MeetingState.READY and "HTTP 503" in meeting.last_error
    assert len(zoom.calls("PATCH")) == MAX_ATTEMPTS
    assert meeting_retry_due(now=NOW + timedelta(days=1)) == 0


def test_an_update_zoom_refuses_is_not_retried(practice, zoom):
    booking, meeting = ready_booking(practice, zoom)
    zoom.meetings.clear()  # someone deleted it in Zoom: PATCH answers 404 code 3001
    domain.booking_reschedule(booking=booking, start=LATER, actor=domain.STAFF, now=NOW)
    meeting.refresh_from_db()
    assert meeting.next_attempt_at is None and meeting.attempts == 1
    assert "HTTP 404" in meeting.last_error and "3001" in meeting.last_error
    assert meeting_retry_due(now=NOW + timedelta(days=1)) == 0
    assert len(zoom.calls("PATCH")) == 1


def test_a_cancel_while_zoom_is_down_deletes_the_meeting_later(practice, zoom):
    booking, meeting = ready_booking(practice, zoom)
    zoom.fail_next(99, status=502)
    domain.booking_cancel(booking=booking, actor=domain.STAFF, now=NOW)
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.REVOKED and len(zoom.meetings) == 1
    assert meeting.next_attempt_at == NOW + timedelta(minutes=1) and meeting.attempts == 1
    assert not JoinToken.objects.filter(meeting=meeting, revoked_at__isnull=True).exists()

    zoom.recover()
    assert meeting_retry_due(now=meeting.next_attempt_at) == 1
    meeting.refresh_from_db()
    assert not zoom.meetings
    assert (meeting.state, meeting.next_attempt_at, meeting.last_error) == (
        MeetingState.REVOKED,
        None,
        "",
    )
    deletes = len(zoom.calls("DELETE"))
    assert meeting_retry_due(now=NOW + timedelta(days=1)) == 0
    assert len(zoom.calls("DELETE")) == deletes  # done once, never again


def test_a_cancel_with_zoom_up_deletes_at_once(practice, zoom):
    booking, meeting = ready_booking(practice, zoom)
    domain.booking_cancel(booking=booking, actor=domain.STAFF, now=NOW)
    meeting.refresh_from_db()
    assert not zoom.meetings and meeting.next_attempt_at is None
    assert len(zoom.calls("DELETE")) == 1


def test_one_worker_at_a_time_pushes_an_update(practice, zoom):
    """The after-commit task and the sweep may meet: the row claim lets one call Zoom."""
    booking, meeting = ready_booking(practice, zoom)
    zoom.fail_next(1, status=500)  # the reschedule's own task fails: an update stays due
    domain.booking_reschedule(booking=booking, start=LATER, actor=domain.STAFF, now=NOW)
    meeting.refresh_from_db()
    due = meeting.next_attempt_at
    zoom.late_next(1, seconds=1.0)  # the first worker's PATCH takes a while
    answers = {}

    def worker():
        from django.db import connection

        try:
            answers["first"] = meeting_push_update(meeting_id=meeting.pk, now=due)
        finally:
            connection.close()

    first = threading.Thread(target=worker)
    first.start()
    deadline = time.monotonic() + 5
    while len(zoom.calls("PATCH")) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)  # the first worker's PATCH has reached Zoom
    answers["second"] = meeting_push_update(meeting_id=meeting.pk, now=due)
    first.join(10)
    assert answers == {"first": "done", "second": None}
    assert len(zoom.calls("PATCH")) == 2  # the failed one, then exactly one more
    meeting.refresh_from_db()
    assert meeting.next_attempt_at is None


def test_a_meeting_moved_again_during_its_update_is_updated_once_more(practice, zoom):
    booking, meeting = ready_booking(practice, zoom)
    zoom.fail_next(1, status=500)
    domain.booking_reschedule(booking=booking, start=LATER, actor=domain.STAFF, now=NOW)
    meeting.refresh_from_db()
    due = meeting.next_attempt_at
    zoom.late_next(1, seconds=1.0)
    done = {}

    def worker():
        from django.db import connection

        try:
            done["answer"] = meeting_push_update(meeting_id=meeting.pk, now=due)
        finally:
            connection.close()

    thread = threading.Thread(target=worker)
    thread.start()
    deadline = time.monotonic() + 5
    while len(zoom.calls("PATCH")) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    zoom.fail_next(1, status=500)  # the second reschedule's own task fails too
    latest = LATER + timedelta(hours=1)
    domain.booking_reschedule(booking=booking, start=latest, actor=domain.STAFF, now=NOW)
    thread.join(10)
    assert done["answer"] == "done"
    meeting.refresh_from_db()
    assert meeting.next_attempt_at is not None  # the newest time is still owed to Zoom
    assert meeting_retry_due(now=meeting.next_attempt_at + timedelta(minutes=5)) == 1
    assert zoom_meeting(zoom, meeting)["start_time"] == "2026-12-02T12:00:00Z"
    meeting.refresh_from_db()
    assert meeting.next_attempt_at is None
