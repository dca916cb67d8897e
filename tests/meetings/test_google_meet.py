"""Google Meet (Calendar events with a Meet conference) against a local fake over real
HTTP (docs/providers.md). The adapter is never patched: the settings point at
the fake, and only the shared transport's timeout is shortened for the timeout cases.
The adapter's own poll delays (0.5 s, 1 s, 2 s) are real, so the pending cases take a
few seconds."""

import logging
from datetime import UTC, datetime, timedelta

import pytest

from rendezvous.bookings import domain
from rendezvous.meetings.domain import meeting_provision_due
from rendezvous.meetings.models import JoinToken, Meeting, MeetingAccount, MeetingState
from rendezvous.meetings.providers import MeetingRef, MeetingSpec, ProviderError, get_provider
from rendezvous.meetings.providers.google_meet import event_id
from rendezvous.meetings.providers.oauth import ReconnectNeeded
from tests.conftest import NOW, TOMORROW_10, book
from tests.fakes.google import FakeGoogle

from .conftest import (
    assert_join_page_opens_only_inside_the_window,
    assert_one_meeting_behind_three_links,
    spec,
    three_class_seats,
)
from .oauth_support import raw_tokens

pytestmark = pytest.mark.integration

SECRET = "google-secret-0123456789"


@pytest.fixture
def google(settings):
    with FakeGoogle(client_secret=SECRET) as fake:
        settings.GOOGLE_OAUTH_BASE = settings.GOOGLE_API_BASE = settings.GOOGLE_AUTH_BASE = (
            fake.base
        )
        yield fake


def connected(company, google, app_id="google-client.apps.example") -> MeetingAccount:
    account = MeetingAccount.objects.create(
        company=company, provider="google_meet", app_id=app_id, secret=SECRET
    )
    account.refresh_token = google.connect()
    account.save(update_fields=["refresh_token"])
    return account


@pytest.fixture
def account(practice, google):
    return connected(practice.company, google)


def meet(account):
    return get_provider("google_meet", MeetingAccount.objects.get(pk=account.pk))


def grants(google) -> list[dict]:
    return [r.form for r in google.requests if r.path == "/token"]


class TestAdapter:
    def test_create_inserts_one_event_with_a_meet_conference_and_tells_nobody(
        self, account, google
    ):
        s = spec()
        ref = meet(account).create_meeting(s)
        (post,) = google.calls("POST", "/calendar/")
        assert post.path == "/calendar/v3/calendars/primary/events"
        assert post.query == {"conferenceDataVersion": "1", "sendUpdates": "none"}
        assert post.json["id"] == event_id(s.meeting_id) == f"rdv{s.meeting_id}"
        create = post.json["conferenceData"]["createRequest"]
        assert create == {
            "requestId": s.meeting_id,
            "conferenceSolutionKey": {"type": "hangoutsMeet"},
        }
        assert post.json["start"] == {
            "dateTime": "2026-12-02T09:00:00Z",
            "timeZone": "Europe/Berlin",
        }
        assert post.json["summary"] == "Video call" and "attendees" not in post.json
        (event,) = google.events.values()
        assert ref.external_id == event["id"] and ref.join_url == event["hangoutLink"]

    def test_a_calendar_in_the_app_id_is_used(self, practice, google):
        account = connected(practice.company, google, "google-client.apps.example:team@x.example")
        meet(account).create_meeting(spec())
        (post,) = google.calls("POST", "/calendar/")
        assert post.path == "/calendar/v3/calendars/team@x.example/events"

    def test_a_pending_conference_is_polled_until_it_succeeds(self, account, google):
        google.pending_polls = 2  # the insert's answer and the first get still pending
        ref = meet(account).create_meeting(spec())
        assert len(google.calls("GET", "/calendar/")) == 2
        assert ref.join_url == next(iter(google.events.values()))["hangoutLink"]

    def test_still_pending_is_temporary_and_the_retry_finds_the_same_event(self, account, google):
        google.pending_polls = 10
        s = spec()
        with pytest.raises(ProviderError) as info:
            meet(account).create_meeting(s)
        assert not info.value.permanent and "pending" in str(info.value)
        google.pending_polls = 0
        google._pending_left.clear()  # Google finished meanwhile
        ref = meet(account).create_meeting(s)
        assert len(google.events) == 1 and ref.external_id == event_id(s.meeting_id)
        assert ref.join_url.startswith("https://meet.example/")
        assert len(google.calls("POST", "/calendar/")) == 2  # the second got 409, then a get

    def test_a_failed_conference_is_permanent(self, account, google):
        google.conference_failure = True
        with pytest.raises(ProviderError) as info:
            meet(account).create_meeting(spec())
        assert info.value.permanent and "could not add a Meet conference" in str(info.value)

    @pytest.mark.usefixtures("short_timeout")
    def test_a_create_answered_too_late_is_read_back_not_inserted_again(self, account, google):
        meet(account).create_meeting(spec())  # the token first
        s = spec()
        google.late_next(1, seconds=1.0)
        with pytest.raises(ProviderError) as info:
            meet(account).create_meeting(s)
        assert not info.value.permanent and "timed out" in str(info.value)
        assert event_id(s.meeting_id) in google.events  # Google made it; we never heard
        ref = meet(account).create_meeting(s)
        assert ref.join_url == google.events[event_id(s.meeting_id)]["hangoutLink"]
        assert len(google.events) == 2

    @pytest.mark.usefixtures("short_timeout")
    def test_a_hung_create_is_a_temporary_timeout(self, account, google):
        meet(account).create_meeting(spec())
        google.hang_next(1, seconds=1.0)
        with pytest.raises(ProviderError) as info:
            meet(account).create_meeting(spec())
        assert not info.value.permanent and len(google.events) == 1

    def test_update_patches_the_event_and_keeps_the_link(self, account, google):
        ref = meet(account).create_meeting(spec())
        moved = meet(account).update_meeting(
            ref, spec(start=datetime(2026, 12, 3, 14, 0, tzinfo=UTC))
        )
        assert moved == ref
        (patch,) = google.calls("PATCH")
        assert patch.path.endswith(f"/events/{ref.external_id}")
        assert patch.query == {"conferenceDataVersion": "1", "sendUpdates": "none"}
        assert google.events[ref.external_id]["start"]["dateTime"] == "2026-12-03T14:00:00Z"

    def test_delete_and_an_event_already_gone(self, account, google):
        ref = meet(account).create_meeting(spec())
        meet(account).delete_meeting(ref)
        meet(account).delete_meeting(ref)  # 410 Gone now
        meet(account).delete_meeting(MeetingRef(external_id="rdvunknown0"))  # 404
        assert not google.events
        assert [c.query for c in google.calls("DELETE")] == [{"sendUpdates": "none"}] * 3

    def test_google_keeps_its_refresh_token_and_so_do_we(self, account, google):
        before = MeetingAccount.objects.get(pk=account.pk).refresh_token
        ref = meet(account).create_meeting(spec())
        google.expire_tokens()
        meet(account).update_meeting(ref, spec(minutes=60))
        assert [g["grant_type"] for g in grants(google)] == ["refresh_token"] * 2
        stored = MeetingAccount.objects.get(pk=account.pk)
        assert stored.refresh_token == before and before not in raw_tokens(stored)[1]
        assert len(google.calls("PATCH")) == 2  # the 401, then the retry

    def test_a_rotated_refresh_token_is_stored(self, practice, settings):
        with FakeGoogle(client_secret=SECRET, rotate=True) as fake:
            settings.GOOGLE_OAUTH_BASE = settings.GOOGLE_API_BASE = fake.base
            account = connected(practice.company, fake)
            spent = account.refresh_token
            meet(account).create_meeting(spec())
            stored = MeetingAccount.objects.get(pk=account.pk)
            assert stored.refresh_token != spent and stored.refresh_token in fake.issuer.refresh

    def test_a_revoked_grant_marks_the_account_for_reconnecting(self, account, google):
        google.issuer.refresh.clear()
        with pytest.raises(ReconnectNeeded) as info:
            meet(account).create_meeting(spec())
        assert "invalid_grant" in str(info.value)
        assert MeetingAccount.objects.get(pk=account.pk).needs_reconnect

    @pytest.mark.parametrize("status", [403, 429])
    def test_rate_limits_are_temporary(self, account, google, status):
        meet(account).create_meeting(spec())
        google.rate_limit_next(status=status, retry_after="3" if status == 429 else None)
        with pytest.raises(ProviderError) as info:
            meet(account).create_meeting(spec())
        assert not info.value.permanent and "rateLimitExceeded" in str(info.value)
        assert info.value.retry_after == (3 if status == 429 else None)

    @pytest.mark.parametrize("body", ["json", "html", "empty"])
    def test_5xx_is_temporary(self, account, google, body):
        google.fail_next(1, status=503, body=body)
        with pytest.raises(ProviderError) as info:
            meet(account).create_meeting(spec())
        assert not info.value.permanent

    def test_other_4xx_are_permanent_with_the_reason_only(self, account, google):
        bad = MeetingSpec(
            meeting_id="UPPER-case_not-base32hex",
            title="x",
            start=datetime(2026, 12, 2, 9, 0, tzinfo=UTC),
            end=datetime(2026, 12, 2, 9, 30, tzinfo=UTC),
            timezone="UTC",
        )
        with pytest.raises(ProviderError) as info:
            meet(account).create_meeting(bad)
        assert info.value.permanent and str(info.value).endswith("HTTP 400, invalidResourceId")


# -- through the meeting lifecycle --------------------------------------------------------


def hashes(meeting):
    return set(
        JoinToken.objects.filter(meeting=meeting, revoked_at__isnull=True).values_list(
            "token_hash", flat=True
        )
    )


@pytest.mark.integration
@pytest.mark.usefixtures("frozen_now")
def test_booking_survives_an_outage_then_gets_one_meeting_moves_and_is_deleted(
    practice, google, account, django_capture_on_commit_callbacks, caplog
):
    google.fail_next(99, status=500)
    with caplog.at_level(logging.DEBUG), django_capture_on_commit_callbacks(execute=True):
        booking = book(
            practice, TOMORROW_10, service=practice.video, staff=practice.staff[0]
        ).booking
    meeting = Meeting.objects.get(booking=booking)
    assert (meeting.state, meeting.attempts) == (MeetingState.PENDING, 1)
    assert "HTTP 500" in meeting.last_error and not google.events

    google.recover()
    assert meeting_provision_due(now=meeting.next_attempt_at) == 1
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.READY
    (event,) = google.events.values()
    assert (meeting.external_id, meeting.join_url) == (event["id"], event["hangoutLink"])
    assert booking.email not in str(event)

    before = hashes(meeting)
    with django_capture_on_commit_callbacks(execute=True):
        domain.booking_reschedule(
            booking=booking, start=TOMORROW_10 + timedelta(hours=2), actor=domain.STAFF, now=NOW
        )
    (patch,) = google.calls("PATCH")
    assert patch.json["start"]["dateTime"] == "2026-12-02T11:00:00Z"
    meeting.refresh_from_db()
    assert hashes(meeting) == before and meeting.join_url == event["hangoutLink"]

    with django_capture_on_commit_callbacks(execute=True):
        domain.booking_cancel(booking=booking, actor=domain.STAFF, now=NOW)
    assert len(google.calls("DELETE")) == 1 and not google.events
    stored = MeetingAccount.objects.get(pk=account.pk)
    for secret in (SECRET, stored.access_token, stored.refresh_token):
        assert secret not in caplog.text and secret not in meeting.last_error


@pytest.mark.integration
@pytest.mark.usefixtures("frozen_now")
def test_a_class_of_three_gets_three_links_into_one_meet(
    practice, google, account, django_capture_on_commit_callbacks
):
    bookings = three_class_seats(practice, django_capture_on_commit_callbacks)
    (event,) = google.events.values()
    assert_one_meeting_behind_three_links(
        practice.session, bookings, event["id"], event["hangoutLink"]
    )
    assert len(google.calls("POST", "/calendar/")) == 1


@pytest.mark.integration
def test_the_join_page_opens_the_meet_only_inside_the_window(
    practice, google, account, django_capture_on_commit_callbacks, client
):
    assert_join_page_opens_only_inside_the_window(
        practice,
        client,
        django_capture_on_commit_callbacks,
        lambda: next(iter(google.events.values()))["hangoutLink"],
    )
