"""Zoom's OAuth-app mode (authorization code, rotating refresh tokens) against the local
Zoom fake with an OAuth token endpoint, over real HTTP. Server-to-Server mode has its
own tests (test_zoom.py) and must keep passing unchanged."""

import threading
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client

from rendezvous.bookings import domain
from rendezvous.meetings.domain import meeting_provision_due
from rendezvous.meetings.models import JoinToken, Meeting, MeetingAccount, MeetingState
from rendezvous.meetings.providers import ProviderError, get_provider
from rendezvous.meetings.providers.oauth import ReconnectNeeded, access_token
from tests.conftest import NOW, TOMORROW_10, book
from tests.fakes.zoom_oauth import FakeZoomOAuth

from .conftest import spec
from .oauth_support import messages_of, query_of, raw_tokens, sign_in, snapshot

pytestmark = pytest.mark.integration

SECRET = "zoom-oauth-secret-0123456789"
CLIENT_ID = "zoom-oauth-client"


@pytest.fixture
def zoom(settings):
    with FakeZoomOAuth(client_id=CLIENT_ID, client_secret=SECRET) as fake:
        settings.ZOOM_OAUTH_BASE, settings.ZOOM_API_BASE = fake.oauth_base, fake.api_base
        yield fake


def connected(company, zoom) -> MeetingAccount:
    account = MeetingAccount.objects.create(
        company=company, provider="zoom", app_id=CLIENT_ID, secret=SECRET
    )
    account.refresh_token = zoom.connect()
    account.save(update_fields=["refresh_token"])
    return account


@pytest.fixture
def account(practice, zoom):
    return connected(practice.company, zoom)


def provider(account):
    return get_provider("zoom", MeetingAccount.objects.get(pk=account.pk))


def grants(zoom):
    return [r for r in zoom.requests if r.path == "/oauth/token"]


def test_connecting_a_zoom_oauth_app(practice, zoom):
    account = MeetingAccount.objects.create(
        company=practice.company, provider="zoom", app_id=CLIENT_ID, secret=SECRET
    )
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com"))
    zoom.issuer.redirect_uri = "http://testserver/meetings/oauth/zoom/callback/"
    query, response = sign_in(client, account, zoom.issuer)
    assert query["client_id"] == CLIENT_ID and query["code_challenge_method"] == "S256"
    assert "scope" not in query  # Zoom takes the scopes from the app's settings
    assert messages_of(response) == ["The account is connected."]
    (grant,) = grants(zoom)
    assert grant.query == {} and "client_secret" not in str(grant)  # Basic auth, not the body
    account.refresh_from_db()
    assert account.refresh_token in zoom.issuer.refresh and not account.needs_reconnect
    assert all(account.refresh_token not in raw for raw in raw_tokens(account))


def test_a_server_to_server_account_has_nothing_to_connect(practice, zoom):
    account = MeetingAccount.objects.create(
        company=practice.company, provider="zoom", app_id="acc-1:client-1", secret=SECRET
    )
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com"))
    before = snapshot(account)
    response = client.post(f"/meetings/oauth/zoom/connect/{account.pk}/")
    assert messages_of(response) == ["This meeting account does not connect by signing in."]
    assert snapshot(account) == before and not zoom.requests


class TestAdapter:
    def test_create_hosts_as_the_connected_user_with_a_rotated_token(self, account, zoom):
        spent = MeetingAccount.objects.get(pk=account.pk).refresh_token
        ref = provider(account).create_meeting(spec())
        (post,) = zoom.calls("POST")
        assert post.path == "/v2/users/me/meetings"
        assert ref.join_url == zoom.meetings[int(ref.external_id)]["join_url"]
        assert len(grants(zoom)) == 1 and zoom.issuer.grants == ["refresh_token"]
        stored = MeetingAccount.objects.get(pk=account.pk)
        assert stored.refresh_token != spent and stored.refresh_token in zoom.issuer.refresh
        assert spent in zoom.issuer.spent

    def test_401_refreshes_once_with_the_newest_refresh_token(self, account, zoom):
        ref = provider(account).create_meeting(spec())
        zoom.expire_tokens()
        provider(account).update_meeting(ref, spec(minutes=45))
        assert len(zoom.calls("PATCH")) == 2 and zoom.issuer.reused == 0
        assert zoom.issuer.grants == ["refresh_token", "refresh_token"]
        assert zoom.meetings[int(ref.external_id)]["duration"] == 45

    def test_a_second_401_is_permanent(self, account, zoom):
        zoom.issuer.token_ttl = 0
        with pytest.raises(ProviderError) as info:
            provider(account).create_meeting(spec())
        assert info.value.permanent and "401" in str(info.value) and not zoom.meetings

    def test_a_spent_refresh_token_is_invalid_grant_and_needs_reconnecting(self, account, zoom):
        stored = MeetingAccount.objects.get(pk=account.pk)
        # An older copy of the token was used elsewhere: Zoom rotated it away.
        zoom.issuer.refresh.pop(stored.refresh_token)
        zoom.issuer.spent.add(stored.refresh_token)
        with pytest.raises(ReconnectNeeded) as info:
            provider(account).create_meeting(spec())
        assert stored.refresh_token not in str(info.value) and SECRET not in str(info.value)
        assert MeetingAccount.objects.get(pk=account.pk).needs_reconnect
        assert zoom.issuer.reused == 1

    def test_an_oauth_account_without_a_connection_fails_at_once(self, practice, zoom):
        account = MeetingAccount.objects.create(
            company=practice.company, provider="zoom", app_id=CLIENT_ID, secret=SECRET
        )
        with pytest.raises(ReconnectNeeded):
            provider(account).create_meeting(spec())
        assert not zoom.requests

    @pytest.mark.usefixtures("short_timeout")
    def test_a_create_answered_too_late_is_adopted_from_the_users_meetings(self, account, zoom):
        provider(account).create_meeting(spec())  # the token first
        s = spec()
        zoom.late_next(1, seconds=1.0)
        with pytest.raises(ProviderError):
            provider(account).create_meeting(s)
        ref = provider(account).create_meeting(s)
        assert len(zoom.meetings) == 2 and len(zoom.calls("POST")) == 2
        lists = [r for r in zoom.calls("GET") if r.path == "/v2/users/me/meetings"]
        assert len(lists) == 1 and ref.external_id in {str(i) for i in zoom.meetings}


@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_spend_the_rotating_refresh_token_once(practice, zoom):
    account = connected(practice.company, zoom)
    zoom.token_delay = 0.4
    client = provider(account).oauth_client()
    tokens, errors = [], []
    barrier = threading.Barrier(3)

    def work():
        try:
            barrier.wait()
            tokens.append(access_token(client, MeetingAccount.objects.get(pk=account.pk)))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(set(tokens)) == 1 and zoom.token_requests == 1 and zoom.issuer.reused == 0


@pytest.mark.integration
@pytest.mark.usefixtures("frozen_now")
def test_booking_with_a_zoom_oauth_app_creates_moves_and_deletes_one_meeting(
    practice, zoom, account, django_capture_on_commit_callbacks
):
    zoom.fail_next(99, status=500)
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(
            practice, TOMORROW_10, service=practice.video, staff=practice.staff[0]
        ).booking
    meeting = Meeting.objects.get(booking=booking)
    assert (meeting.state, meeting.attempts) == (MeetingState.PENDING, 1)
    zoom.recover()
    assert meeting_provision_due(now=meeting.next_attempt_at) == 1
    meeting.refresh_from_db()
    (created,) = zoom.meetings.values()
    assert meeting.state == MeetingState.READY and meeting.external_id == str(created["id"])
    assert meeting.host_url == created["start_url"]
    tokens = set(JoinToken.objects.filter(meeting=meeting).values_list("token_hash", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        domain.booking_reschedule(
            booking=booking, start=TOMORROW_10 + timedelta(hours=1), actor=domain.STAFF, now=NOW
        )
    assert zoom.calls("PATCH")[0].json["start_time"] == "2026-12-02T10:00:00Z"
    assert tokens == set(
        JoinToken.objects.filter(meeting=meeting).values_list("token_hash", flat=True)
    )
    with django_capture_on_commit_callbacks(execute=True):
        domain.booking_cancel(booking=booking, actor=domain.STAFF, now=NOW)
    (delete,) = zoom.calls("DELETE")
    assert delete.path == f"/v2/meetings/{created['id']}" and not zoom.meetings
    assert SECRET not in Meeting.objects.get(pk=meeting.pk).last_error


def test_the_redirect_uri_is_fixed(practice, zoom, settings):
    settings.BASE_URL = "https://book.example"
    account = MeetingAccount.objects.create(
        company=practice.company, provider="zoom", app_id=CLIENT_ID, secret=SECRET
    )
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com"))
    response = client.post(f"/meetings/oauth/zoom/connect/{account.pk}/", HTTP_HOST="localhost")
    assert query_of(response["Location"])["redirect_uri"] == (
        "https://book.example/meetings/oauth/zoom/callback/"
    )
