"""Connecting a meeting account by signing in (meetings.oauth_views, domain.oauth_connect)
against the local Microsoft and Google fakes over real HTTP.

The browser's visit to the provider's sign-in page is the one step played by the test:
the fake issues a code for exactly the authorization URL our connect view redirected
to (client id, redirect URI, PKCE challenge), and the test calls our callback with it.
"""

import logging
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from rendezvous.companies.models import Membership, Role
from rendezvous.core import crypto
from rendezvous.meetings.models import Meeting, MeetingAccount, MeetingState
from rendezvous.notifications.events import Event
from rendezvous.notifications.models import OutboxMessage
from tests.conftest import TOMORROW_10, book
from tests.factories import CompanyFactory
from tests.fakes.google import FakeGoogle, google_user
from tests.fakes.msgraph import FakeGraph, personal_user, work_user

from .conftest import customer_token, link_of
from .oauth_support import (
    callback,
    csrf_token,
    messages_of,
    oauth_session_keys,
    query_of,
    raw_tokens,
    sign_in,
    snapshot,
    start_connect,
)

pytestmark = pytest.mark.integration

GRAPH_SECRET = "graph-secret-0123456789"
GOOGLE_SECRET = "google-secret-0123456789"


@pytest.fixture
def graph(settings):
    with FakeGraph(client_secret=GRAPH_SECRET) as fake:
        settings.MS_LOGIN_BASE, settings.MS_GRAPH_BASE = fake.login_base, fake.graph_base
        fake.issuer.redirect_uri = "http://testserver/meetings/oauth/teams/callback/"
        yield fake


@pytest.fixture
def google(settings):
    with FakeGoogle(client_secret=GOOGLE_SECRET) as fake:
        settings.GOOGLE_OAUTH_BASE = settings.GOOGLE_API_BASE = fake.base
        settings.GOOGLE_AUTH_BASE = fake.base
        fake.issuer.redirect_uri = "http://testserver/meetings/oauth/google_meet/callback/"
        yield fake


@pytest.fixture
def teams(practice, graph):
    return MeetingAccount.objects.create(
        company=practice.company, provider="teams", app_id="graph-client-id", secret=GRAPH_SECRET
    )


def member(company, role, name="boss", **kwargs):
    user = get_user_model().objects.create_user(name, f"{name}@example.com", is_staff=True)
    Membership.objects.create(company=company, user=user, role=role, **kwargs)
    return user


@pytest.fixture
def admin_client(practice):
    client = Client()
    client.force_login(member(practice.company, Role.ADMIN))
    return client


# -- the round trip ---------------------------------------------------------------------


def test_connect_redirects_to_microsoft_with_a_fixed_redirect_uri_and_pkce(admin_client, teams):
    # A forged Host header must not steer the redirect URI (it comes from BASE_URL).
    response = start_connect(admin_client, teams, HTTP_HOST="localhost")
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(f"{teams_login()}/organizations/oauth2/v2.0/authorize?")
    query = query_of(location)
    assert query["redirect_uri"] == "http://testserver/meetings/oauth/teams/callback/"
    assert query["client_id"] == "graph-client-id" and query["response_type"] == "code"
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert {"offline_access", "OnlineMeetings.ReadWrite"} <= set(query["scope"].split())
    assert query["response_mode"] == "query"
    assert GRAPH_SECRET not in location
    assert MeetingAccount.objects.get(pk=teams.pk).refresh_token == ""  # nothing written yet


def teams_login():
    from django.conf import settings

    return settings.MS_LOGIN_BASE


def test_a_tenant_on_the_account_is_the_authority(admin_client, teams):
    teams.tenant = "contoso.example"
    teams.save()
    location = start_connect(admin_client, teams)["Location"]
    assert location.startswith(f"{teams_login()}/contoso.example/oauth2/v2.0/authorize?")


def test_signing_in_stores_the_tokens_encrypted_and_names_the_account(admin_client, teams, graph):
    _query, response = sign_in(admin_client, teams, graph.issuer, user=work_user("heidi"))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:meetings_meetingaccount_change", args=[teams.pk])
    assert messages_of(response) == ["The account is connected as heidi@contoso.example."]
    account = MeetingAccount.objects.get(pk=teams.pk)
    assert account.connected_as == "heidi@contoso.example" and not account.needs_reconnect
    assert account.refresh_token in graph.issuer.refresh  # the live one the fake issued
    assert graph.issuer.valid(account.access_token)
    assert account.token_expires_at > timezone.now() + timedelta(minutes=50)
    raw_access, raw_refresh = raw_tokens(account)
    for raw, plain in ((raw_access, account.access_token), (raw_refresh, account.refresh_token)):
        assert raw.startswith("gAAAA") and plain not in raw  # Fernet ciphertext only
    (grant,) = [r for r in graph.requests if r.path.endswith("/token")]
    assert grant.form["grant_type"] == "authorization_code"
    assert grant.form["client_secret"] == GRAPH_SECRET  # Microsoft: the secret in the body
    assert grant.form["redirect_uri"] == "http://testserver/meetings/oauth/teams/callback/"


def test_google_asks_for_offline_access_and_names_the_account(admin_client, practice, google):
    account = MeetingAccount.objects.create(
        company=practice.company,
        provider="google_meet",
        app_id="google-client.apps.example",
        secret=GOOGLE_SECRET,
    )
    query, response = sign_in(admin_client, account, google.issuer, user=google_user("s@x.example"))
    assert query["access_type"] == "offline" and query["prompt"] == "consent"
    assert "https://www.googleapis.com/auth/calendar.events" in query["scope"].split()
    assert messages_of(response) == ["The account is connected as s@x.example."]
    account.refresh_from_db()
    assert account.connected_as == "s@x.example" and account.refresh_token in google.issuer.refresh


def test_connecting_again_replaces_a_connection_that_needed_reconnecting(
    admin_client, teams, graph
):
    sign_in(admin_client, teams, graph.issuer, user=work_user("heidi"))
    MeetingAccount.objects.filter(pk=teams.pk).update(needs_reconnect=True)
    _q, response = sign_in(admin_client, teams, graph.issuer, user=work_user("ines"))
    account = MeetingAccount.objects.get(pk=teams.pk)
    assert not account.needs_reconnect and account.connected_as == "ines@contoso.example"
    assert messages_of(response) == ["The account is connected as ines@contoso.example."]


def test_connecting_again_creates_the_meetings_the_dead_connection_failed(
    admin_client, practice, teams, graph, django_capture_on_commit_callbacks
):
    sign_in(admin_client, teams, graph.issuer)
    graph.issuer.refresh.clear()  # the grant is revoked at Microsoft...
    graph.issuer.expire_all()  # ... and the access token we hold runs out
    with django_capture_on_commit_callbacks(execute=True):
        soon = book(practice, TOMORROW_10, service=practice.video, staff=practice.staff[0])
        over = book(practice, TOMORROW_10, service=practice.video, staff=practice.staff[1])
    failed = Meeting.objects.filter(state=MeetingState.FAILED)
    assert failed.count() == 2 and MeetingAccount.objects.get(pk=teams.pk).needs_reconnect
    told = OutboxMessage.objects.get(booking=soon.booking, event=Event.MEETING_CREATION_FAILING)
    assert "connect it again" in told.body_text and "no further attempts" in told.body_text
    # A meeting that has ended by the time the account is back stays as it was.
    past = timezone.now() - timedelta(days=1)
    Meeting.objects.filter(booking=over.booking).update(start=past, end=past + timedelta(hours=1))

    with django_capture_on_commit_callbacks(execute=True):
        _q, response = sign_in(admin_client, teams, graph.issuer, user=work_user("ines"))
    assert messages_of(response) == [
        "The account is connected as ines@contoso.example.",
        "1 video meeting that could not be created is being created now.",
    ]
    meeting = Meeting.objects.get(booking=soon.booking)
    (created,) = graph.meetings.values()
    assert meeting.state == MeetingState.READY and meeting.join_url == created["joinWebUrl"]
    assert Meeting.objects.get(booking=over.booking).state == MeetingState.FAILED
    added = OutboxMessage.objects.get(booking=soon.booking, event=Event.MEETING_LINK_ADDED)
    assert added.to_email == soon.booking.email
    assert link_of(customer_token(soon.booking)) in added.body_text


# -- refusals: each with its message and the account unchanged ---------------------------


def test_connect_is_post_only_and_needs_the_csrf_token(practice, teams):
    client = Client(enforce_csrf_checks=True)
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com"))
    before = snapshot(teams)
    url = reverse("meetings:oauth_connect", args=["teams", teams.pk])
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 403  # no CSRF token
    assert not oauth_session_keys(client)
    response = start_connect(client, teams, token=csrf_token(client, teams))
    assert response.status_code == 302 and "code_challenge=" in response["Location"]
    assert snapshot(teams) == before


@pytest.mark.parametrize("role", [Role.SENIOR, Role.JUNIOR])
def test_only_company_admins_may_connect(practice, teams, role):
    client = Client()
    client.force_login(member(practice.company, role))
    before = snapshot(teams)
    response = start_connect(client, teams)
    assert response.status_code == 403
    assert b"You are not allowed to do this." in response.content
    assert not oauth_session_keys(client)
    assert snapshot(teams) == before


def test_an_admin_of_another_company_may_not_connect(practice, teams):
    client = Client()
    client.force_login(member(CompanyFactory(slug="other"), Role.ADMIN))
    before = snapshot(teams)
    assert start_connect(client, teams).status_code == 403
    assert snapshot(teams) == before


def test_not_signed_in_is_sent_to_the_login(teams):
    response = start_connect(Client(), teams)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_a_provider_without_sign_in_says_so(admin_client, practice, graph):
    zoom = MeetingAccount.objects.create(
        company=practice.company, provider="zoom", app_id="acc-1:client-1", secret="s" * 20
    )
    response = start_connect(admin_client, zoom)
    assert response["Location"] == reverse("admin:meetings_meetingaccount_change", args=[zoom.pk])
    assert messages_of(response) == ["This meeting account does not connect by signing in."]


def test_an_account_without_its_client_secret_cannot_connect(admin_client, teams):
    teams.secret = ""
    teams.save()
    before = snapshot(teams)
    response = start_connect(admin_client, teams)
    assert messages_of(response) == [
        "Fill in the app (client) id and the secret, save, then connect."
    ]
    assert snapshot(teams) == before


def refused(response, message: str, *, to_account: int | None = None) -> None:
    assert response.status_code == 302
    target = (
        reverse("admin:meetings_meetingaccount_change", args=[to_account])
        if to_account
        else reverse("admin:meetings_meetingaccount_changelist")
    )
    assert response["Location"] == target
    assert messages_of(response) == [message]


def test_a_forged_state_is_refused(admin_client, teams, graph):
    query = query_of(start_connect(admin_client, teams)["Location"])
    code = graph.issuer.authorize(query, user=work_user())
    before = snapshot(teams)
    forged = query["state"][:-2] + ("AA" if not query["state"].endswith("AA") else "BB")
    refused(
        callback(admin_client, "teams", state=forged, code=code),
        "This sign-in answer is not valid.",
    )
    refused(callback(admin_client, "teams", code=code), "This sign-in answer is not valid.")
    # A valid state for another provider's callback is refused as well.
    refused(
        callback(admin_client, "google_meet", state=query["state"], code=code),
        "This sign-in answer is not valid.",
    )
    assert snapshot(teams) == before
    assert not [r for r in graph.requests if r.path.endswith("/token")]


def test_an_expired_state_is_refused(admin_client, teams, graph):
    query = query_of(start_connect(admin_client, teams)["Location"])
    code = graph.issuer.authorize(query, user=work_user())
    before = snapshot(teams)
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        response = callback(admin_client, "teams", state=query["state"], code=code)
    refused(response, "The sign-in took too long. Start again with Connect.")
    assert snapshot(teams) == before


def test_a_state_is_used_once(admin_client, teams, graph):
    query = query_of(start_connect(admin_client, teams)["Location"])
    first = callback(
        admin_client, "teams", state=query["state"], code=graph.issuer.authorize(query, work_user())
    )
    assert messages_of(first) == ["The account is connected as heidi@contoso.example."]
    after_first = snapshot(teams)
    again = callback(
        admin_client, "teams", state=query["state"], code=graph.issuer.authorize(query, work_user())
    )
    refused(again, "This sign-in answer was already used. Start again with Connect.")
    assert snapshot(teams) == after_first
    assert graph.issuer.grants == ["authorization_code"]  # the second code was never spent


def test_another_users_state_is_refused(admin_client, practice, teams, graph):
    query = query_of(start_connect(admin_client, teams)["Location"])
    code = graph.issuer.authorize(query, user=work_user())
    other = Client()
    other.force_login(member(practice.company, Role.ADMIN, name="colleague"))
    before = snapshot(teams)
    refused(
        callback(other, "teams", state=query["state"], code=code),
        "This sign-in was started by another user.",
    )
    assert snapshot(teams) == before


def test_access_denied_at_the_provider_is_reported(admin_client, teams, graph):
    query = query_of(start_connect(admin_client, teams)["Location"])
    before = snapshot(teams)
    response = callback(
        admin_client,
        "teams",
        state=query["state"],
        error="access_denied",
        error_description="AADSTS65004: User declined to consent.",
    )
    refused(
        response,
        "The provider did not connect the account (access_denied).",
        to_account=teams.pk,
    )
    assert snapshot(teams) == before
    # The state is spent: the same answer cannot be replayed with a code later.
    code = graph.issuer.authorize(query, user=work_user())
    refused(
        callback(admin_client, "teams", state=query["state"], code=code),
        "This sign-in answer was already used. Start again with Connect.",
    )
    assert snapshot(teams) == before


def test_a_personal_microsoft_account_is_refused_with_a_clear_message(admin_client, teams, graph):
    before = snapshot(teams)
    _q, response = sign_in(admin_client, teams, graph.issuer, user=personal_user())
    refused(
        response,
        "Personal Microsoft accounts cannot host Teams meetings. Sign in with a work or "
        "school account.",
        to_account=teams.pk,
    )
    assert snapshot(teams) == before


def test_the_refusal_is_shown_in_the_admins_language(admin_client, teams, graph):
    query = query_of(start_connect(admin_client, teams)["Location"])
    code = graph.issuer.authorize(query, user=personal_user())
    response = admin_client.get(
        reverse("meetings:oauth_callback", args=["teams"]),
        {"state": query["state"], "code": code},
        HTTP_ACCEPT_LANGUAGE="de",
    )
    assert messages_of(response) == [
        "Private Microsoft-Konten können keine Teams-Besprechungen ausrichten. Melden Sie "
        "sich mit einem Geschäfts-, Schul- oder Unikonto an."
    ]


def test_a_code_the_provider_refuses_changes_nothing(admin_client, teams, graph, caplog):
    query = query_of(start_connect(admin_client, teams)["Location"])
    before = snapshot(teams)
    with caplog.at_level(logging.DEBUG):
        response = callback(admin_client, "teams", state=query["state"], code="made-up-code")
    (message,) = messages_of(response)
    assert message.startswith("The provider did not accept the sign-in (")
    assert "invalid_grant" in message and "made-up-code" not in message
    assert GRAPH_SECRET not in message and GRAPH_SECRET not in caplog.text
    assert "made-up-code" not in caplog.text
    assert snapshot(teams) == before


def test_losing_the_admin_role_before_the_callback_changes_nothing(
    admin_client, practice, teams, graph
):
    query = query_of(start_connect(admin_client, teams)["Location"])
    code = graph.issuer.authorize(query, user=work_user())
    Membership.objects.filter(company=practice.company).update(role=Role.SENIOR)
    before = snapshot(teams)
    refused(
        callback(admin_client, "teams", state=query["state"], code=code),
        "You are not allowed to do this.",
    )
    assert snapshot(teams) == before and graph.issuer.grants == []


# -- the admin page ---------------------------------------------------------------------


@pytest.fixture
def root_client(db):
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com"))
    return client


def test_the_admin_shows_the_connection_and_never_a_secret(root_client, teams, graph):
    url = reverse("admin:meetings_meetingaccount_change", args=[teams.pk])
    page = root_client.get(url).content.decode()
    connect = reverse("meetings:oauth_connect", args=["teams", teams.pk])
    assert "Not connected." in page and f'formaction="{connect}"' in page
    assert GRAPH_SECRET not in page

    sign_in(root_client, teams, graph.issuer, user=work_user("heidi"))
    account = MeetingAccount.objects.get(pk=teams.pk)
    page = root_client.get(url).content.decode()
    assert "Connected as heidi@contoso.example since" in page and ">Reconnect<" in page
    for secret in (GRAPH_SECRET, account.access_token, account.refresh_token):
        assert secret not in page
    for raw in raw_tokens(account):
        assert raw not in page

    MeetingAccount.objects.filter(pk=teams.pk).update(needs_reconnect=True)
    page = root_client.get(url).content.decode()
    assert "Needs reconnecting" in page
    listing = root_client.get(reverse("admin:meetings_meetingaccount_changelist")).content
    assert b"needs reconnecting" in listing


def test_saving_the_admin_form_keeps_the_connection(root_client, teams, graph):
    sign_in(root_client, teams, graph.issuer, user=work_user("heidi"))
    before = snapshot(teams)
    url = reverse("admin:meetings_meetingaccount_change", args=[teams.pk])
    response = root_client.post(
        url,
        {
            "staff": "",
            "provider": "teams",
            "active": "on",
            "url": "",
            "app_id": "graph-client-id",
            "secret": "",
            "tenant": "",
        },  # fmt: skip
    )
    assert response.status_code == 302
    # Nothing but the form's fields is written: the token columns keep their exact
    # ciphertext (a full save would re-encrypt them, or write back a rotated-away token).
    assert snapshot(teams) == before and before[1] == GRAPH_SECRET
    account = MeetingAccount.objects.get(pk=teams.pk)
    assert account.connected_as == "heidi@contoso.example" and account.refresh_token


# -- encryption at rest ----------------------------------------------------------------


def test_tokens_survive_a_secret_key_rotation_with_the_old_key_as_fallback(
    practice, settings, caplog
):
    account = MeetingAccount.objects.create(company=practice.company, provider="teams")
    MeetingAccount.objects.filter(pk=account.pk).update(refresh_token="rt-plain-0123456789")
    assert "rt-plain" not in raw_tokens(account)[1]
    old = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a-brand-new-secret-key-" + "x" * 40, [old]
    assert MeetingAccount.objects.get(pk=account.pk).refresh_token == "rt-plain-0123456789"
    settings.SECRET_KEY_FALLBACKS = []
    with caplog.at_level(logging.WARNING):
        assert MeetingAccount.objects.get(pk=account.pk).refresh_token == ""
    assert "could not be decrypted" in caplog.text and "rt-plain" not in caplog.text


def test_explicit_encryption_keys_take_precedence(practice, settings):
    from cryptography.fernet import Fernet

    key = Fernet.generate_key().decode()
    settings.RENDEZVOUS_ENCRYPTION_KEYS = [key]
    value = crypto.encrypt("token-value")
    assert Fernet(key.encode()).decrypt(value.encode()) == b"token-value"
    assert crypto.decrypt(value) == "token-value"


# -- translations ------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["da", "de", "ro", "es"])
def test_every_connect_message_is_translated_with_its_placeholders(language):
    import re
    from pathlib import Path

    from babel.messages.pofile import read_po

    import rendezvous.meetings

    path = Path(rendezvous.meetings.__file__).parent / f"locale/{language}/LC_MESSAGES/django.po"
    with path.open("rb") as handle:
        catalog = read_po(handle)
    messages = [m for m in catalog if m.id]
    assert len(messages) >= 30
    for message in messages:
        assert message.string and message.string != message.id, message.id
        assert sorted(re.findall(r"%\(\w+\)s", message.id)) == sorted(
            re.findall(r"%\(\w+\)s", message.string)
        ), message.id
