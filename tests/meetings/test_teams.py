"""Microsoft Teams (Graph onlineMeetings) against a local fake over real HTTP
(docs/providers.md). The adapter is never patched: the settings point at the
fake, and only the shared transport's timeout is shortened for the timeout cases."""

import logging
import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from rendezvous.bookings import domain
from rendezvous.meetings.domain import meeting_provision_due
from rendezvous.meetings.models import JoinToken, Meeting, MeetingAccount, MeetingState
from rendezvous.meetings.providers import ProviderError, get_provider
from rendezvous.meetings.providers.oauth import ReconnectNeeded, access_token
from tests.conftest import NOW, TOMORROW_10, book
from tests.fakes.msgraph import FakeGraph, personal_user, work_user

from .conftest import (
    assert_join_page_opens_only_inside_the_window,
    assert_one_meeting_behind_three_links,
    spec,
    three_class_seats,
)
from .oauth_support import raw_tokens

pytestmark = pytest.mark.integration

SECRET = "graph-secret-0123456789"


@pytest.fixture
def graph(settings):
    with FakeGraph(client_secret=SECRET) as fake:
        settings.MS_LOGIN_BASE, settings.MS_GRAPH_BASE = fake.login_base, fake.graph_base
        yield fake


def connected(company, graph, user=None, **kwargs) -> MeetingAccount:
    """A Teams account someone connected: a live refresh token, no access token yet."""
    account = MeetingAccount.objects.create(
        company=company, provider="teams", app_id="graph-client-id", secret=SECRET, **kwargs
    )
    account.refresh_token = graph.connect(user or work_user())
    account.save(update_fields=["refresh_token"])
    return account


@pytest.fixture
def account(practice, graph):
    return connected(practice.company, graph)


def teams(account):
    return get_provider("teams", MeetingAccount.objects.get(pk=account.pk))


def token_grants(graph) -> list[dict]:
    return [r.form for r in graph.requests if r.path.endswith("/oauth2/v2.0/token")]


# -- the adapter against the fake ---------------------------------------------------------


class TestAdapter:
    def test_create_uses_create_or_get_keyed_by_our_meeting_id(self, account, graph):
        s = spec()
        ref = teams(account).create_meeting(s)
        (post,) = graph.calls("POST", "/v1.0/")
        assert post.path == "/v1.0/me/onlineMeetings/createOrGet"
        assert post.json == {
            "externalId": s.meeting_id,
            "startDateTime": "2026-12-02T09:00:00Z",
            "endDateTime": "2026-12-02T09:30:00Z",
            "subject": "Video call",
        }
        (created,) = graph.meetings.values()
        assert (ref.external_id, ref.join_url) == (created["id"], created["joinWebUrl"])
        assert ref.host_url == ""  # Teams knows the organizer by their sign-in

    def test_the_first_call_refreshes_and_stores_the_rotated_refresh_token(self, account, graph):
        spent = MeetingAccount.objects.get(pk=account.pk).refresh_token
        teams(account).create_meeting(spec())
        (grant,) = token_grants(graph)
        assert grant["grant_type"] == "refresh_token" and grant["refresh_token"] == spent
        assert grant["client_secret"] == SECRET and "OnlineMeetings.ReadWrite" in grant["scope"]
        stored = MeetingAccount.objects.get(pk=account.pk)
        assert stored.refresh_token != spent and stored.refresh_token in graph.issuer.refresh
        assert spent in graph.issuer.spent
        assert stored.access_token and all(
            stored.access_token not in raw and stored.refresh_token not in raw
            for raw in raw_tokens(stored)
        )
        # The access token is reused until it nears its expiry: no second grant.
        teams(account).create_meeting(spec())
        assert len(token_grants(graph)) == 1

    def test_a_repeated_create_returns_the_same_meeting(self, account, graph):
        s = spec()
        first = teams(account).create_meeting(s)
        second = teams(account).create_meeting(s)
        assert first == second and len(graph.meetings) == 1

    def test_update_keeps_the_meeting_and_its_join_url(self, account, graph):
        ref = teams(account).create_meeting(spec())
        moved = teams(account).update_meeting(
            ref, spec(start=datetime(2026, 12, 3, 14, 0, tzinfo=UTC))
        )
        assert moved == ref
        (patch,) = graph.calls("PATCH")
        assert patch.path == f"/v1.0/me/onlineMeetings/{ref.external_id}"
        assert (patch.json["startDateTime"], patch.json["endDateTime"]) == (
            "2026-12-03T14:00:00Z",
            "2026-12-03T14:30:00Z",
        )
        stored = graph.meetings[ref.external_id]
        assert stored["startDateTime"] == "2026-12-03T14:00:00Z" and len(graph.meetings) == 1

    def test_delete_and_a_meeting_already_gone(self, account, graph):
        ref = teams(account).create_meeting(spec())
        teams(account).delete_meeting(ref)
        teams(account).delete_meeting(ref)  # 404 now: already gone is success
        assert not graph.meetings and len(graph.calls("DELETE")) == 2

    def test_a_user_in_the_app_id_hosts_through_users(self, practice, graph):
        account = connected(practice.company, graph)
        account.app_id = "graph-client-id:0d5c1a52-1111-4444-8888-123456789abc"
        account.save()
        teams(account).create_meeting(spec())
        (post,) = graph.calls("POST", "/v1.0/")
        assert (
            post.path
            == "/v1.0/users/0d5c1a52-1111-4444-8888-123456789abc/onlineMeetings/createOrGet"
        )

    def test_401_refreshes_once_and_retries(self, account, graph):
        ref = teams(account).create_meeting(spec())
        graph.expire_tokens()
        teams(account).update_meeting(ref, spec(minutes=60))
        assert len(graph.calls("PATCH")) == 2  # the 401, then the retry
        assert [g["grant_type"] for g in token_grants(graph)] == ["refresh_token"] * 2
        assert graph.issuer.reused == 0

    def test_a_second_401_is_permanent(self, account, graph):
        graph.issuer.token_ttl = 0  # every access token is dead on arrival
        with pytest.raises(ProviderError) as info:
            teams(account).create_meeting(spec())
        assert info.value.permanent and "401" in str(info.value)
        assert "InvalidAuthenticationToken" in str(info.value)
        assert len(token_grants(graph)) == 2 and not graph.meetings

    def test_a_dead_refresh_token_marks_the_account_for_reconnecting(self, account, graph, caplog):
        stored = MeetingAccount.objects.get(pk=account.pk)
        # Someone else spent it (Microsoft's refresh tokens are single use once rotated).
        graph.issuer.grant(
            {"grant_type": "refresh_token", "refresh_token": stored.refresh_token,
             "client_id": "graph-client-id", "client_secret": SECRET}, "")  # fmt: skip
        with caplog.at_level(logging.DEBUG), pytest.raises(ReconnectNeeded) as info:
            teams(account).create_meeting(spec())
        assert info.value.permanent and "invalid_grant" in str(info.value)
        assert "connect the account again" in str(info.value)
        assert stored.refresh_token not in str(info.value) and SECRET not in str(info.value)
        assert stored.refresh_token not in caplog.text and SECRET not in caplog.text
        after = MeetingAccount.objects.get(pk=account.pk)
        assert (
            after.needs_reconnect and after.access_token == "" and after.refresh_lease_until is None
        )
        assert graph.issuer.reused == 1
        # From now on nothing is asked of Microsoft until someone connects again.
        with pytest.raises(ReconnectNeeded):
            teams(account).create_meeting(spec())
        assert graph.issuer.reused == 1 and not graph.meetings

    def test_a_wrong_client_secret_is_permanent_and_never_echoed(self, account, graph):
        MeetingAccount.objects.filter(pk=account.pk).update(secret="wrong-secret-9876543210")
        with pytest.raises(ProviderError) as info:
            teams(account).create_meeting(spec())
        assert info.value.permanent and "invalid_client" in str(info.value)
        assert "wrong-secret" not in str(info.value)
        assert not MeetingAccount.objects.get(pk=account.pk).needs_reconnect

    def test_429_with_retry_after(self, account, graph):
        teams(account).create_meeting(spec())  # the token first
        graph.rate_limit_next(retry_after="7")
        with pytest.raises(ProviderError) as info:
            teams(account).create_meeting(spec())
        assert not info.value.permanent and info.value.retry_after == 7
        assert "TooManyRequests" in str(info.value)

    def test_503_with_retry_after_is_temporary(self, account, graph):
        graph.fail_next(1, status=503, retry_after="11")
        with pytest.raises(ProviderError) as info:
            teams(account).create_meeting(spec())
        assert not info.value.permanent and info.value.retry_after == 11

    @pytest.mark.parametrize("body", ["json", "html", "empty"])
    def test_5xx_is_temporary_whatever_the_body(self, account, graph, body):
        graph.fail_next(1, status=502, body=body)
        s = spec()
        with pytest.raises(ProviderError) as info:
            teams(account).create_meeting(s)
        assert not info.value.permanent and "502" in str(info.value)
        teams(account).create_meeting(s)
        assert len(graph.meetings) == 1

    def test_a_token_endpoint_outage_is_temporary_and_keeps_the_refresh_token(self, account, graph):
        before = MeetingAccount.objects.get(pk=account.pk).refresh_token
        graph.fail_token_next(1, status=503)
        with pytest.raises(ProviderError) as info:
            teams(account).create_meeting(spec())
        assert not info.value.permanent
        after = MeetingAccount.objects.get(pk=account.pk)
        assert after.refresh_token == before and after.refresh_lease_until is None
        teams(account).create_meeting(spec())
        assert len(graph.meetings) == 1

    def test_a_personal_account_token_is_refused_by_graph(self, practice, graph):
        account = connected(practice.company, graph, user=personal_user())
        with pytest.raises(ProviderError) as info:
            teams(account).create_meeting(spec())
        assert info.value.permanent and "403" in str(info.value) and "Forbidden" in str(info.value)

    def test_missing_settings_are_permanent(self, practice, graph):
        account = MeetingAccount.objects.create(company=practice.company, provider="teams")
        with pytest.raises(ProviderError) as info:
            teams(account).create_meeting(spec())
        assert info.value.permanent and not graph.requests

    def test_an_account_never_connected_needs_connecting(self, practice, graph):
        account = MeetingAccount.objects.create(
            company=practice.company, provider="teams", app_id="graph-client-id", secret=SECRET
        )
        with pytest.raises(ReconnectNeeded):
            teams(account).create_meeting(spec())
        assert not graph.requests

    @pytest.mark.usefixtures("short_timeout")
    def test_a_hung_create_is_a_temporary_timeout(self, account, graph):
        teams(account).create_meeting(spec())  # the token first (not slowed)
        graph.hang_next(1, seconds=1.0)
        with pytest.raises(ProviderError) as info:
            teams(account).create_meeting(spec())
        assert not info.value.permanent and "timed out" in str(info.value)
        assert len(graph.meetings) == 1

    @pytest.mark.usefixtures("short_timeout")
    def test_a_create_answered_too_late_is_not_duplicated(self, account, graph):
        s = spec()
        teams(account).create_meeting(spec())  # the token first
        graph.late_next(1, seconds=1.0)
        with pytest.raises(ProviderError) as info:
            teams(account).create_meeting(s)
        assert not info.value.permanent and len(graph.meetings) == 2  # made; we never heard
        ref = teams(account).create_meeting(s)
        mine = [m for m in graph.meetings.values() if m["externalId"] == s.meeting_id]
        assert len(mine) == 1 and ref.external_id == mine[0]["id"]
        assert len(graph.meetings) == 2


# -- one refresh at a time ---------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_spend_the_refresh_token_once(practice, graph):
    account = connected(practice.company, graph)
    spent = account.refresh_token
    graph.token_delay = 0.4
    client = teams(account).oauth_client()
    tokens, errors = [], []
    barrier = threading.Barrier(4)

    def work():
        try:
            barrier.wait()
            tokens.append(access_token(client, MeetingAccount.objects.get(pk=account.pk)))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(tokens) == 4 and len(set(tokens)) == 1
    assert [g["refresh_token"] for g in token_grants(graph)] == [spent]
    assert graph.issuer.reused == 0
    stored = MeetingAccount.objects.get(pk=account.pk)
    assert stored.refresh_token in graph.issuer.refresh and stored.refresh_lease_until is None
    assert not stored.needs_reconnect


@pytest.mark.django_db(transaction=True)
def test_concurrent_401s_refresh_once(practice, graph):
    account = connected(practice.company, graph)
    provider = teams(account)
    ref = provider.create_meeting(spec())
    graph.expire_tokens()
    graph.token_delay = 0.3
    errors = []

    def work(minutes):
        try:
            teams(account).update_meeting(ref, spec(minutes=minutes))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(m,)) for m in (40, 50, 60)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(token_grants(graph)) == 2  # the first token, then exactly one refresh
    assert graph.issuer.reused == 0


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
    practice, graph, account, django_capture_on_commit_callbacks, caplog
):
    graph.fail_next(99, status=500)
    with caplog.at_level(logging.DEBUG), django_capture_on_commit_callbacks(execute=True):
        booking = book(
            practice, TOMORROW_10, service=practice.video, staff=practice.staff[0]
        ).booking
    meeting = Meeting.objects.get(booking=booking)
    assert (meeting.provider, meeting.state, meeting.attempts) == ("teams", MeetingState.PENDING, 1)
    assert "HTTP 500" in meeting.last_error and not graph.meetings

    graph.recover()
    with caplog.at_level(logging.DEBUG):
        assert meeting_provision_due(now=meeting.next_attempt_at) == 1
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.READY and meeting.last_error == ""
    (created,) = graph.meetings.values()
    assert created["externalId"] == meeting.pk.hex
    assert (meeting.external_id, meeting.join_url) == (created["id"], created["joinWebUrl"])
    assert created["startDateTime"] == "2026-12-02T09:00:00Z" and created["subject"] == "Video call"
    assert booking.email not in str(created)

    before = hashes(meeting)
    with django_capture_on_commit_callbacks(execute=True):
        domain.booking_reschedule(
            booking=booking, start=TOMORROW_10 + timedelta(hours=2), actor=domain.STAFF, now=NOW
        )
    (patch,) = graph.calls("PATCH")
    assert patch.json["startDateTime"] == "2026-12-02T11:00:00Z"
    meeting.refresh_from_db()
    assert hashes(meeting) == before and len(before) == 2
    assert meeting.join_url == created["joinWebUrl"] and len(graph.meetings) == 1

    with django_capture_on_commit_callbacks(execute=True):
        domain.booking_cancel(booking=booking, actor=domain.STAFF, now=NOW)
    (delete,) = graph.calls("DELETE")
    assert delete.path == f"/v1.0/me/onlineMeetings/{created['id']}"
    assert not graph.meetings
    stored = MeetingAccount.objects.get(pk=account.pk)
    for secret in (SECRET, stored.access_token, stored.refresh_token):
        assert secret not in caplog.text and secret not in meeting.last_error


@pytest.mark.integration
@pytest.mark.usefixtures("frozen_now")
def test_a_dead_connection_fails_the_meeting_at_once_and_asks_for_reconnecting(
    practice, graph, account, django_capture_on_commit_callbacks
):
    graph.issuer.refresh.clear()  # revoked at Microsoft
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(
            practice, TOMORROW_10, service=practice.video, staff=practice.staff[0]
        ).booking
    meeting = Meeting.objects.get(booking=booking)
    assert meeting.state == MeetingState.FAILED and meeting.attempts == 1
    assert "connect the account again" in meeting.last_error
    assert MeetingAccount.objects.get(pk=account.pk).needs_reconnect


@pytest.mark.integration
@pytest.mark.usefixtures("frozen_now")
def test_a_class_of_three_gets_three_links_into_one_teams_meeting(
    practice, graph, account, django_capture_on_commit_callbacks
):
    bookings = three_class_seats(practice, django_capture_on_commit_callbacks)
    (created,) = graph.meetings.values()
    assert_one_meeting_behind_three_links(
        practice.session, bookings, created["id"], created["joinWebUrl"]
    )
    assert len(graph.calls("POST", "/v1.0/")) == 1


@pytest.mark.integration
def test_the_join_page_opens_the_teams_meeting_only_inside_the_window(
    practice, graph, account, django_capture_on_commit_callbacks, client
):
    assert_join_page_opens_only_inside_the_window(
        practice,
        client,
        django_capture_on_commit_callbacks,
        lambda: next(iter(graph.meetings.values()))["joinWebUrl"],
    )
