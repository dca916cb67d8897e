"""Zoom (Server-to-Server OAuth) against a local fake of Zoom's documented API.

The adapter is never patched: the fake is a real HTTP server, the settings point at it,
and only the shared transport's timeout is shortened for the timeout cases.
"""

import threading
from datetime import UTC, datetime, timedelta

import pytest

from rendezvous.bookings import domain
from rendezvous.meetings.domain import meeting_provision_due
from rendezvous.meetings.models import JoinToken, Meeting, MeetingAccount, MeetingState
from rendezvous.meetings.providers import (
    MeetingRef,
    Participant,
    ProviderError,
    get_provider,
)
from rendezvous.meetings.providers.zoom import marker
from tests.conftest import NOW, TOMORROW_10, book
from tests.fakes.zoom import FakeZoom

from .conftest import spec

pytestmark = pytest.mark.integration

SECRET = "zoom-client-secret-0123456789"
HOST = "host@example.com"


@pytest.fixture
def zoom(settings):
    with FakeZoom(client_secret=SECRET, users=(HOST, "ada@example.com")) as fake:
        settings.ZOOM_API_BASE = fake.api_base
        settings.ZOOM_OAUTH_BASE = fake.oauth_base
        yield fake


@pytest.fixture
def local_cache(settings):
    """A process-local cache for the tests without a database (threads share it)."""
    from django.core.cache import cache

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()
    yield
    cache.clear()


def account(secret=SECRET, app_id=f"acc-1:client-1:{HOST}") -> MeetingAccount:
    return MeetingAccount(provider="zoom", app_id=app_id, secret=secret)


def zoom_provider(acc=None):
    return get_provider("zoom", acc or account())


# -- the adapter against the fake ---------------------------------------------------------


@pytest.mark.usefixtures("local_cache")
class TestAdapter:
    def test_create_sends_the_contract_body_and_keeps_both_links(self, zoom):
        s = spec()
        ref = zoom_provider().create_meeting(s)
        (post,) = zoom.calls("POST")
        assert post.path == f"/v2/users/{HOST}/meetings"
        body = post.json
        assert (body["type"], body["start_time"], body["duration"]) == (
            2,
            "2026-12-02T09:00:00Z",
            30,
        )
        assert body["topic"] == "Video call" and body["timezone"] == "Europe/Berlin"
        assert marker(s.meeting_id) in body["agenda"]
        assert body["settings"]["join_before_host"] is False
        assert body["settings"]["waiting_room"] is True
        created = zoom.meetings[int(ref.external_id)]
        assert ref.join_url == created["join_url"] and ref.host_url == created["start_url"]
        assert ref.password == created["password"] == body["password"]

    def test_host_gets_the_start_url_everyone_else_the_join_url(self, zoom):
        ref = zoom_provider().create_meeting(spec())
        now = datetime.now(UTC)
        who = dict(id="1", name="N", email="n@example.com", not_before=now, expires=now)
        provider = zoom_provider()
        assert provider.join_url(ref, Participant(host=True, **who)) == ref.host_url
        assert provider.join_url(ref, Participant(host=False, **who)) == ref.join_url
        assert "zak=" in ref.host_url and "zak=" not in ref.join_url

    def test_staff_email_is_the_host_when_the_app_id_names_none(self, zoom):
        provider = zoom_provider(account(app_id="acc-1:client-1"))
        provider.create_meeting(spec(host_email="ada@example.com"))
        assert zoom.calls("POST")[0].path == "/v2/users/ada@example.com/meetings"
        with pytest.raises(ProviderError) as info:
            provider.create_meeting(spec())
        assert info.value.permanent

    def test_token_is_fetched_once_and_cached(self, zoom):
        provider = zoom_provider()
        ref = provider.create_meeting(spec())
        zoom_provider().update_meeting(ref, spec(minutes=45))
        zoom_provider().delete_meeting(ref)
        assert zoom.token_requests == 1
        grant = next(r for r in zoom.requests if r.path == "/oauth/token")
        assert grant.query == {"grant_type": "account_credentials", "account_id": "acc-1"}

    def test_concurrent_workers_refresh_only_once(self, zoom):
        zoom.token_delay = 0.3
        tokens, errors = [], []

        def work():
            try:
                tokens.append(zoom_provider()._access_token())
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors and len(tokens) == 6 and len(set(tokens)) == 1
        assert zoom.token_requests == 1

    def test_401_refreshes_once_then_succeeds(self, zoom):
        ref = zoom_provider().create_meeting(spec())
        zoom.expire_tokens()
        zoom_provider().update_meeting(ref, spec(minutes=60))
        patches = zoom.calls("PATCH")
        assert len(patches) == 2  # the 401, then the retry with a new token
        assert zoom.token_requests == 2
        assert zoom.meetings[int(ref.external_id)]["duration"] == 60

    def test_a_second_401_is_permanent(self, zoom):
        zoom.token_ttl = 0  # every token Zoom hands out is already dead
        with pytest.raises(ProviderError) as info:
            zoom_provider().create_meeting(spec())
        assert info.value.permanent and "401" in str(info.value)
        assert zoom.token_requests == 2 and not zoom.meetings

    def test_wrong_client_secret_is_permanent_and_never_echoed(self, zoom):
        wrong = "not-the-secret-9876543210"
        with pytest.raises(ProviderError) as info:
            zoom_provider(account(secret=wrong)).create_meeting(spec())
        assert info.value.permanent
        assert "invalid_client" in str(info.value)
        assert wrong not in str(info.value) and SECRET not in str(info.value)
        assert not zoom.calls("POST")

    @pytest.mark.parametrize("app_id", ["", "acc-1", ":client-1", "acc-1:"])
    def test_incomplete_settings_are_permanent(self, zoom, app_id):
        with pytest.raises(ProviderError) as info:
            zoom_provider(account(app_id=app_id)).create_meeting(spec())
        assert info.value.permanent and zoom.token_requests == 0

    def test_429_with_retry_after_seconds(self, zoom):
        zoom.rate_limit_next(retry_after="7")
        with pytest.raises(ProviderError) as info:
            zoom_provider().create_meeting(spec())
        assert not info.value.permanent and info.value.retry_after == 7

    def test_429_daily_limit_with_an_iso_timestamp_or_nothing(self, zoom):
        soon = (datetime.now(UTC) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
        zoom.rate_limit_next(retry_after=soon, daily=True)
        with pytest.raises(ProviderError) as info:
            zoom_provider().create_meeting(spec())
        assert 7190 <= info.value.retry_after <= 7200
        zoom.rate_limit_next(retry_after=None, daily=True)
        with pytest.raises(ProviderError) as info:
            zoom_provider().create_meeting(spec())
        now = datetime.now(UTC)
        midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
        assert abs(info.value.retry_after - (midnight - now).total_seconds()) < 5
        assert not info.value.permanent

    @pytest.mark.parametrize("body", ["json", "html", "empty"])
    def test_5xx_is_temporary_whatever_the_body(self, zoom, body):
        zoom.fail_next(1, status=502, body=body)
        s = spec()
        with pytest.raises(ProviderError) as info:
            zoom_provider().create_meeting(s)
        assert not info.value.permanent and "502" in str(info.value)
        zoom_provider().create_meeting(s)
        assert len(zoom.meetings) == 1

    def test_400_and_unknown_user_on_create_are_permanent(self, zoom):
        zoom.fail_next(1, status=400)
        with pytest.raises(ProviderError) as info:
            zoom_provider().create_meeting(spec())
        assert info.value.permanent
        with pytest.raises(ProviderError) as info:
            zoom_provider(account(app_id="acc-1:client-1:nobody@example.com")).create_meeting(
                spec()
            )
        assert info.value.permanent and "code 1001" in str(info.value)
        assert "nobody" not in str(info.value).split(":", 2)[-1]  # Zoom's text is not echoed

    def test_delete_of_a_meeting_already_gone_is_success(self, zoom):
        ref = zoom_provider().create_meeting(spec())
        zoom_provider().delete_meeting(ref)
        zoom_provider().delete_meeting(ref)  # 404 now
        assert not zoom.meetings and len(zoom.calls("DELETE")) == 2

    def test_update_of_a_missing_meeting_is_permanent(self, zoom):
        with pytest.raises(ProviderError) as info:
            zoom_provider().update_meeting(MeetingRef(external_id="123"), spec())
        assert info.value.permanent and "3001" in str(info.value)

    @pytest.mark.usefixtures("short_timeout")
    def test_a_hung_request_is_a_temporary_timeout(self, zoom):
        zoom.hang_next(1, seconds=1.0)
        with pytest.raises(ProviderError) as info:
            zoom_provider().create_meeting(spec())
        assert not info.value.permanent and "timed out" in str(info.value)
        assert not zoom.meetings

    @pytest.mark.usefixtures("short_timeout")
    def test_a_create_answered_too_late_is_adopted_not_repeated(self, zoom):
        s = spec()
        zoom.late_next(1, seconds=1.0)
        with pytest.raises(ProviderError) as info:
            zoom_provider().create_meeting(s)
        assert not info.value.permanent
        assert len(zoom.meetings) == 1  # Zoom made it; we never heard
        ref = zoom_provider().create_meeting(s)
        (only,) = zoom.meetings.values()
        assert ref.external_id == str(only["id"]) and ref.join_url == only["join_url"]
        assert ref.host_url == only["start_url"]
        assert len(zoom.calls("POST")) == 1
        assert zoom.calls("GET")[0].query["type"] == "scheduled"
        # Settled: a later create for another meeting does not list again.
        zoom_provider().create_meeting(spec())
        assert len([r for r in zoom.calls("GET") if r.path.endswith("/meetings")]) == 1

    @pytest.mark.usefixtures("short_timeout")
    def test_reconciling_keeps_one_meeting_and_deletes_further_copies(self, zoom):
        s = spec()
        zoom.late_next(1, seconds=1.0)
        with pytest.raises(ProviderError):
            zoom_provider().create_meeting(s)
        (first,) = zoom.meetings.values()
        copy = {**first, "id": first["id"] + 1}
        zoom.meetings[copy["id"]] = copy  # a second lost create
        ref = zoom_provider().create_meeting(s)
        assert ref.external_id == str(first["id"])
        assert list(zoom.meetings) == [first["id"]]

    @pytest.mark.usefixtures("short_timeout")
    def test_a_timed_out_create_that_made_nothing_is_created_once_on_retry(self, zoom):
        s = spec()
        zoom.hang_next(1, seconds=1.0)
        with pytest.raises(ProviderError):
            zoom_provider().create_meeting(s)
        ref = zoom_provider().create_meeting(s)
        assert list(zoom.meetings) == [int(ref.external_id)]
        assert len(zoom.calls("POST")) == 2  # the hung one (made nothing) and the real one


# -- through the meeting lifecycle --------------------------------------------------------


@pytest.fixture
def zoom_account(practice, zoom):
    return MeetingAccount.objects.create(
        company=practice.company,
        provider="zoom",
        app_id=f"acc-1:client-1:{HOST}",
        secret=SECRET,
    )


def hashes(meeting):
    return set(
        JoinToken.objects.filter(meeting=meeting, revoked_at__isnull=True).values_list(
            "token_hash", flat=True
        )
    )


@pytest.mark.integration
@pytest.mark.usefixtures("frozen_now")
@pytest.mark.django_db(transaction=True)
def test_booking_survives_a_zoom_outage_then_gets_one_meeting_moves_and_is_deleted(
    practice, zoom, zoom_account
):
    zoom.fail_next(99, status=500)
    booking = book(practice, TOMORROW_10, service=practice.video, staff=practice.staff[0]).booking
    meeting = Meeting.objects.get(booking=booking)
    assert (meeting.provider, meeting.state, meeting.attempts) == ("zoom", MeetingState.PENDING, 1)
    assert "HTTP 500" in meeting.last_error and SECRET not in meeting.last_error
    assert not zoom.meetings

    zoom.recover()
    assert meeting_provision_due(now=meeting.next_attempt_at) == 1
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.READY and meeting.last_error == ""
    (created,) = zoom.meetings.values()
    assert meeting.external_id == str(created["id"])
    assert (meeting.join_url, meeting.host_url) == (created["join_url"], created["start_url"])
    assert created["start_time"] == "2026-12-02T09:00:00Z" and created["duration"] == 30
    assert created["topic"] == "Video call" and booking.email not in str(created)

    before = hashes(meeting)
    new_start = TOMORROW_10 + timedelta(hours=2)
    domain.booking_reschedule(booking=booking, start=new_start, actor=domain.STAFF, now=NOW)
    (patch,) = zoom.calls("PATCH")
    assert patch.path == f"/v2/meetings/{created['id']}"
    assert patch.json["start_time"] == "2026-12-02T11:00:00Z"
    meeting.refresh_from_db()
    assert hashes(meeting) == before and len(before) == 2
    assert meeting.join_url == created["join_url"] and len(zoom.meetings) == 1

    domain.booking_cancel(booking=booking, actor=domain.STAFF, now=NOW)
    (delete,) = zoom.calls("DELETE")
    assert delete.path == f"/v2/meetings/{created['id']}"
    assert not zoom.meetings
    assert zoom.token_requests == 1


@pytest.mark.integration
@pytest.mark.usefixtures("frozen_now")
@pytest.mark.django_db(transaction=True)
def test_a_refused_secret_fails_the_meeting_at_once_without_leaking(practice, zoom):
    MeetingAccount.objects.create(
        company=practice.company,
        provider="zoom",
        app_id=f"acc-1:client-1:{HOST}",
        secret="a-wrong-secret-000000000",
    )
    booking = book(practice, TOMORROW_10, service=practice.video, staff=practice.staff[0]).booking
    meeting = Meeting.objects.get(booking=booking)
    assert meeting.state == MeetingState.FAILED
    assert "a-wrong-secret" not in meeting.last_error and "401" in meeting.last_error


@pytest.mark.integration
@pytest.mark.usefixtures("frozen_now")
@pytest.mark.django_db(transaction=True)
def test_a_booking_given_to_a_colleague_with_their_own_room_leaves_zoom(
    practice, zoom, zoom_account
):
    ada, ben, _cleo = practice.staff
    MeetingAccount.objects.create(
        company=practice.company, staff=ben, provider="static_link", url="https://rooms.example/ben"
    )
    booking = book(practice, TOMORROW_10, service=practice.video, staff=ada).booking
    meeting = Meeting.objects.get(booking=booking)
    (created,) = zoom.meetings.values()
    assert meeting.external_id == str(created["id"])
    customer = JoinToken.objects.get(booking=booking, role="customer")

    domain.booking_reschedule(
        booking=booking, start=booking.start, staff_id=ben.id, actor=domain.STAFF, now=NOW
    )

    # Zoom's meeting is gone (nobody could join it through us any more) ...
    (delete,) = zoom.calls("DELETE")
    assert delete.path == f"/v2/meetings/{created['id']}" and not zoom.meetings
    # ... and the same row, with the customer's same link, is Ben's room now.
    meeting.refresh_from_db()
    assert (meeting.provider, meeting.state, meeting.join_url) == (
        "static_link",
        MeetingState.READY,
        "https://rooms.example/ben",
    )
    customer.refresh_from_db()
    assert customer.revoked_at is None and customer.meeting_id == meeting.pk
