"""The back office's online meetings settings (/office/settings/meetings/): the company
switch and join window, the provider accounts (add, edit, delete, default, connect,
test), the "meeting providers and meeting services" table, and a member's own video
account. The providers are the local fakes over real HTTP (tests/fakes/); every
refusal shows its message and writes nothing; only admins reach the settings (404 for
everyone else), and a member reaches only their own video account."""

import pytest
from django.test import Client
from django.urls import reverse

from rendezvous.companies.models import Company, Role
from rendezvous.meetings.domain import account_for
from rendezvous.meetings.models import MeetingAccount
from tests.factories import CompanyFactory, StaffFactory
from tests.fakes.msgraph import FakeGraph, work_user
from tests.fakes.zoom import FakeZoom
from tests.meetings.oauth_support import oauth_session_keys, query_of

from .conftest import member
from .test_office_bookings import signed_in

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

PAGE = "/office/settings/meetings/"
ZOOM_SECRET = "zoom-client-secret-0123456789"
GRAPH_SECRET = "graph-secret-0123456789"


def state() -> list:
    """Every row these pages may write, to prove a refusal changed nothing."""
    return [
        list(Company.objects.order_by("pk").values()),
        list(MeetingAccount.objects.order_by("pk").values()),
    ]


@pytest.fixture
def zoom(settings):
    with FakeZoom(client_secret=ZOOM_SECRET, users=("host@example.com", "ada@example.com")) as fake:
        settings.ZOOM_API_BASE, settings.ZOOM_OAUTH_BASE = fake.api_base, fake.oauth_base
        yield fake


@pytest.fixture
def graph(settings):
    with FakeGraph(client_secret=GRAPH_SECRET) as fake:
        settings.MS_LOGIN_BASE, settings.MS_GRAPH_BASE = fake.login_base, fake.graph_base
        fake.issuer.redirect_uri = "http://testserver/meetings/oauth/teams/callback/"
        yield fake


@pytest.fixture
def admin(client, team):
    return signed_in(client, team["admin"])


def zoom_account(practice, **kwargs) -> MeetingAccount:
    values = {"app_id": "acc-1:client-1:host@example.com", "secret": ZOOM_SECRET, **kwargs}
    return MeetingAccount.objects.create(company=practice.company, provider="zoom", **values)


def teams_account(practice, graph, **kwargs) -> MeetingAccount:
    account = MeetingAccount.objects.create(
        company=practice.company,
        provider="teams",
        app_id="graph-client-id",
        secret=GRAPH_SECRET,
        **kwargs,
    )
    account.refresh_token = graph.connect(work_user("heidi"))
    account.save(update_fields=["refresh_token"])
    return account


# -- the company switch and join window ------------------------------------------------


def test_an_admin_switches_meetings_on_and_sets_the_join_window(admin, practice):
    page = admin.get(PAGE).content.decode()
    assert "Join window (minutes before start)" in page
    assert "Meeting providers and meeting services" in page
    response = admin.post(PAGE, {"online_meetings_enabled": "on", "join_window_minutes": "15"})
    assert response.status_code == 302
    company = Company.objects.get(pk=practice.company.pk)
    assert company.online_meetings_enabled and company.join_window_minutes == 15
    assert "Saved." in admin.get(PAGE).content.decode()


@pytest.mark.parametrize("value", ["fifteen", "2000", "-1"])
def test_a_bad_join_window_is_refused_and_nothing_changes(admin, practice, value):
    before = state()
    response = admin.post(PAGE, {"online_meetings_enabled": "on", "join_window_minutes": value})
    assert response.status_code == 422
    assert "Enter a whole number from 0 to 1440." in response.content.decode()
    assert state() == before


def test_the_company_page_links_here_instead_of_holding_the_switch(admin, practice):
    page = admin.get("/office/settings/").content.decode()
    assert 'name="join_window_minutes"' not in page and 'name="online_meetings_enabled"' not in page
    assert f'href="{PAGE}"' in page


def test_the_join_window_is_refused_in_danish(admin, practice):
    response = admin.post(PAGE, {"join_window_minutes": "x"}, HTTP_ACCEPT_LANGUAGE="da")
    assert response.status_code == 422
    assert "Angiv et helt tal fra 0 til 1440." in response.content.decode()


# -- roles --------------------------------------------------------------------------------


def admin_urls(practice, account) -> list[str]:
    return [
        PAGE,
        reverse("office:settings_meetings_default"),
        reverse("office:settings_meetings_account_add"),
        reverse("office:settings_meetings_account", args=[account.pk]),
        *(
            reverse("office:settings_meetings_account_action", args=[account.pk, action])
            for action in ("connect", "test", "delete")
        ),
        reverse("office:settings_meetings_staff", args=[practice.staff[0].pk]),
    ]


@pytest.mark.parametrize("role", ["senior", "junior"])
def test_seniors_and_juniors_get_404_on_every_settings_url(client, practice, team, role):
    account = zoom_account(practice)
    signed_in(client, team[role])
    before = state()
    for url in admin_urls(practice, account):
        assert client.get(url).status_code == 404, url
        post = {"provider": "static_link", "url": "https://x.example", "confirm": "delete"}
        assert client.post(url, post).status_code == 404, url
    assert state() == before


def test_another_companys_account_is_404(admin, practice):
    other = MeetingAccount.objects.create(company=CompanyFactory(slug="other"), provider="builtin")
    before = state()
    assert (
        admin.get(reverse("office:settings_meetings_account", args=[other.pk])).status_code == 404
    )
    url = reverse("office:settings_meetings_account_action", args=[other.pk, "delete"])
    assert admin.post(url, {"confirm": "delete"}).status_code == 404
    assert state() == before


# -- accounts -----------------------------------------------------------------------------


def test_an_admin_adds_edits_and_deletes_an_account(admin, practice):
    response = admin.post(
        reverse("office:settings_meetings_account_add"),
        {"provider": "jitsi", "url": "https://meet.example.com", "app_id": "app", "secret": "s3"},
    )
    account = MeetingAccount.objects.get(company=practice.company)
    assert response["Location"] == reverse("office:settings_meetings_account", args=[account.pk])
    assert (account.provider, account.url, account.secret, account.staff) == (
        "jitsi",
        "https://meet.example.com",
        "s3",
        None,
    )
    page = admin.get(response["Location"]).content.decode()
    assert "s3" not in page  # the secret is never shown back
    url = reverse("office:settings_meetings_account", args=[account.pk])
    form = {
        "provider": "jitsi",
        "url": "https://jitsi.example.org",
        "app_id": "app2",
        "active": "on",
    }
    assert admin.post(url, form).status_code == 302
    account.refresh_from_db()
    assert (account.url, account.app_id, account.secret) == (
        "https://jitsi.example.org",
        "app2",
        "s3",
    )
    delete = reverse("office:settings_meetings_account_action", args=[account.pk, "delete"])
    assert admin.post(delete, {}).status_code == 302  # not confirmed: kept
    assert MeetingAccount.objects.filter(pk=account.pk).exists()
    assert admin.post(delete, {"confirm": "delete"})["Location"] == PAGE
    assert not MeetingAccount.objects.filter(pk=account.pk).exists()


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (
            {"provider": "static_link", "url": ""},
            "This provider needs the URL of its room or server.",
        ),
        (
            {"provider": "jitsi", "url": "ftp://x.example"},
            "Enter a link that starts with https://.",
        ),
        ({"provider": "skype", "url": ""}, "Choose one of the video providers."),
    ],
)
def test_a_refused_account_shows_why_and_writes_nothing(admin, practice, form, message):
    before = state()
    response = admin.post(reverse("office:settings_meetings_account_add"), form)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert state() == before


def test_a_refused_edit_writes_nothing(admin, practice):
    account = MeetingAccount.objects.create(
        company=practice.company, provider="static_link", url="https://room.example.com/ada"
    )
    before = state()
    url = reverse("office:settings_meetings_account", args=[account.pk])
    response = admin.post(url, {"provider": "static_link", "url": "", "active": "on"})
    assert response.status_code == 422
    assert "This provider needs the URL of its room or server." in response.content.decode()
    assert state() == before


def test_the_default_provider_is_the_only_active_company_account(admin, practice):
    first = zoom_account(practice)
    second = MeetingAccount.objects.create(
        company=practice.company, provider="jitsi", url="https://meet.example.com"
    )
    assert account_for(practice.company, None) == first
    url = reverse("office:settings_meetings_default")
    assert admin.post(url, {"default": str(second.pk)}).status_code == 302
    assert account_for(practice.company, None) == second
    assert not MeetingAccount.objects.get(pk=first.pk).active
    admin.post(url, {"default": ""})
    assert account_for(practice.company, None) is None  # the Rendezvous video room
    assert MeetingAccount.objects.filter(pk__in=[first.pk, second.pk]).count() == 2


def test_a_staff_members_account_cannot_be_the_default(admin, practice):
    own = MeetingAccount.objects.create(
        company=practice.company, staff=practice.staff[0], provider="builtin"
    )
    zoom_account(practice)
    before = state()
    response = admin.post(reverse("office:settings_meetings_default"), {"default": str(own.pk)})
    assert (
        "Choose one of the company&#x27;s own accounts."
        in admin.get(response["Location"]).content.decode()
    )
    assert state() == before


# -- the test button ----------------------------------------------------------------------


def test_the_test_button_creates_and_deletes_a_zoom_meeting(admin, practice, zoom):
    account = zoom_account(practice)
    url = reverse("office:settings_meetings_account_action", args=[account.pk, "test"])
    response = admin.post(url)
    page = admin.get(response["Location"]).content.decode()
    assert "The provider created a test meeting and deleted it: the account works." in page
    (created,) = zoom.calls("POST")
    assert created.path == "/v2/users/host@example.com/meetings"
    (deleted,) = zoom.calls("DELETE")
    assert deleted.path.startswith("/v2/meetings/")


def test_the_test_button_reports_the_providers_refusal(admin, practice, zoom):
    account = zoom_account(practice, secret="wrong-secret-0123456789")
    before = state()
    url = reverse("office:settings_meetings_account_action", args=[account.pk, "test"])
    page = admin.get(admin.post(url)["Location"]).content.decode()
    assert "The provider did not create the test meeting:" in page
    assert "wrong-secret" not in page
    assert not zoom.calls("POST")
    assert state() == before


def test_a_dead_connection_shows_needs_reconnecting_with_a_reconnect_button(admin, practice, graph):
    account = teams_account(practice, graph)
    # Someone else spent the refresh token: Microsoft refuses it from now on.
    graph.issuer.grant(
        {"grant_type": "refresh_token", "refresh_token": account.refresh_token,
         "client_id": "graph-client-id", "client_secret": GRAPH_SECRET}, "")  # fmt: skip
    url = reverse("office:settings_meetings_account_action", args=[account.pk, "test"])
    page = admin.get(admin.post(url)["Location"]).content.decode()
    assert "The provider did not create the test meeting:" in page
    assert MeetingAccount.objects.get(pk=account.pk).needs_reconnect
    assert "Needs reconnecting" in page and "Reconnect</button>" in page
    assert "Needs reconnecting" in admin.get(PAGE).content.decode()


def test_connect_from_the_office_comes_back_to_the_office(admin, practice, graph):
    account = MeetingAccount.objects.create(
        company=practice.company, provider="teams", app_id="graph-client-id", secret=GRAPH_SECRET
    )
    page = admin.get(PAGE).content.decode()
    assert "Not connected" in page and ">Connect</button>" in page
    url = reverse("office:settings_meetings_account_action", args=[account.pk, "connect"])
    response = admin.post(url)
    assert response.status_code == 302
    query = query_of(response["Location"])
    code = graph.issuer.authorize(query, user=work_user("heidi"))
    back = admin.get(
        reverse("meetings:oauth_callback", args=["teams"]), {"state": query["state"], "code": code}
    )
    assert back["Location"] == reverse("office:settings_meetings_account", args=[account.pk])
    account.refresh_from_db()
    assert account.refresh_token and not account.needs_reconnect
    assert f"Connected as {account.connected_as}" in admin.get(back["Location"]).content.decode()


# -- meeting providers and meeting services -------------------------------------------------


def assign(client, staff, **form):
    url = reverse("office:settings_meetings_staff", args=[staff.pk])
    return client.post(url, {"provider": "", "url": "", "zoom_user": "", **form})


def test_a_staff_member_gets_their_own_static_room_link(admin, practice):
    ada = practice.staff[0]
    response = assign(admin, ada, provider="static_link", url="https://room.example.com/ada")
    assert response.status_code == 302
    own = account_for(practice.company, ada.pk)
    assert (own.staff, own.provider, own.url) == (
        ada,
        "static_link",
        "https://room.example.com/ada",
    )
    page = admin.get(PAGE).content.decode()
    assert 'value="https://room.example.com/ada"' in page
    # Back to the company's default: the account is kept, inactive.
    assign(admin, ada, provider="")
    assert account_for(practice.company, ada.pk) is None
    assert MeetingAccount.objects.filter(staff=ada, active=False).count() == 1


def test_a_staff_member_is_mapped_to_one_user_of_the_companys_zoom(admin, practice):
    company_zoom = zoom_account(practice, app_id="acc-1:client-1")
    ada = practice.staff[0]
    assert assign(admin, ada, provider="zoom", zoom_user="ada@example.com").status_code == 302
    own = account_for(practice.company, ada.pk)
    assert (own.app_id, own.secret) == ("acc-1:client-1:ada@example.com", ZOOM_SECRET)
    assert account_for(practice.company, practice.staff[1].pk) == company_zoom
    assert 'value="ada@example.com"' in admin.get(PAGE).content.decode()


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"provider": "teams"}, "Add the company&#x27;s account of this provider first"),
        ({"provider": "static_link", "url": "no link"}, "Enter a link that starts with https://."),
        ({"provider": "static_link"}, "Enter the link of the staff member&#x27;s video room."),
        ({"provider": "zoom", "zoom_user": "a:b"}, "Enter a Zoom user&#x27;s email address or id."),
        ({"provider": "skype"}, "Choose one of the video providers."),
    ],
)
def test_a_refused_mapping_shows_why_and_writes_nothing(admin, practice, form, message):
    zoom_account(practice, app_id="acc-1:client-1")
    MeetingAccount.objects.create(
        company=practice.company, staff=practice.staff[0], provider="builtin"
    )
    before = state()
    response = assign(admin, practice.staff[0], **form)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert state() == before


def test_a_zoom_app_that_signs_in_takes_no_zoom_user(admin, practice):
    zoom_account(practice, app_id="oauth-client-id")
    before = state()
    response = assign(admin, practice.staff[0], provider="zoom", zoom_user="ada@example.com")
    assert response.status_code == 422
    assert "This Zoom app connects by signing in" in response.content.decode()
    assert state() == before


# -- a member's own video account -------------------------------------------------------------


def test_a_junior_connects_their_own_teams_account(client, practice, team, graph):
    company_teams = teams_account(practice, graph)
    admin = signed_in(Client(), team["admin"])
    assert assign(admin, practice.staff[0], provider="teams").status_code == 302
    own = MeetingAccount.objects.get(staff=practice.staff[0])
    assert (own.app_id, own.secret, own.refresh_token) == ("graph-client-id", GRAPH_SECRET, "")
    signed_in(client, team["junior"])
    mine = reverse("office:settings_meetings_mine")
    assert f'href="{mine}"' in client.get("/office/calendar/").content.decode()
    page = client.get(mine).content.decode()
    assert "Microsoft Teams" in page and "Connect my account" in page
    response = client.post(reverse("office:settings_meetings_mine_connect"))
    query = query_of(response["Location"])
    code = graph.issuer.authorize(query, user=work_user("ada"))
    back = client.get(
        reverse("meetings:oauth_callback", args=["teams"]), {"state": query["state"], "code": code}
    )
    assert back["Location"] == mine
    own.refresh_from_db()
    assert own.refresh_token and own.connected_as
    assert MeetingAccount.objects.get(pk=company_teams.pk).connected_as != own.connected_as
    assert "Reconnect my account" in client.get(mine).content.decode()


def test_a_junior_may_connect_their_own_account_only(client, practice, team, graph):
    own, colleague = (
        MeetingAccount.objects.create(
            company=practice.company,
            staff=staff,
            provider="teams",
            app_id="graph-client-id",
            secret=GRAPH_SECRET,
        )
        for staff in practice.staff[:2]
    )
    # Through the admin's Connect view too (it asks for the staff flag first).
    team["junior"].is_staff = True
    team["junior"].save()
    signed_in(client, team["junior"])
    url = reverse("meetings:oauth_connect", args=["teams", colleague.pk])
    assert client.post(url).status_code == 403
    assert not oauth_session_keys(client)
    url = reverse("meetings:oauth_connect", args=["teams", own.pk])
    assert client.post(url)["Location"].startswith(graph.login_base)


def test_without_a_staff_profile_there_is_no_own_video_account(client, practice, team):
    signed_in(client, team["senior"])
    assert client.get(reverse("office:settings_meetings_mine")).status_code == 404
    assert client.post(reverse("office:settings_meetings_mine_connect")).status_code == 404


def test_a_member_without_an_own_account_sees_the_companys_provider(client, practice, team):
    zoom_account(practice)
    signed_in(client, team["junior"])
    page = client.get(reverse("office:settings_meetings_mine")).content.decode()
    assert "Your online meetings use the company's provider: Zoom." in page
    assert client.post(reverse("office:settings_meetings_mine_connect")).status_code == 404


def test_a_junior_with_a_static_link_sees_their_room(client, practice, team):
    staff = StaffFactory(company=practice.company, name="Dora")
    MeetingAccount.objects.create(
        company=practice.company, staff=practice.staff[0], provider="static_link",
        url="https://room.example.com/ada",
    )  # fmt: skip
    signed_in(client, member(practice.company, "dora", Role.JUNIOR, staff=staff))
    assert (
        "room.example.com/ada"
        not in client.get(reverse("office:settings_meetings_mine")).content.decode()
    )
    signed_in(client, team["junior"])
    page = client.get(reverse("office:settings_meetings_mine")).content.decode()
    assert 'href="https://room.example.com/ada"' in page


def test_a_used_sign_in_answer_sends_a_back_office_user_back_to_the_office(
    client, practice, team, graph
):
    account = MeetingAccount.objects.create(
        company=practice.company,
        staff=practice.staff[0],
        provider="teams",
        app_id="graph-client-id",
        secret=GRAPH_SECRET,
    )
    signed_in(client, team["junior"])
    query = query_of(client.post(reverse("office:settings_meetings_mine_connect"))["Location"])
    code = graph.issuer.authorize(query, user=work_user("ada"))
    callback = reverse("meetings:oauth_callback", args=["teams"])
    client.get(callback, {"state": query["state"], "code": code})
    before = state()
    again = client.get(callback, {"state": query["state"], "code": code})
    assert again["Location"] == "/office/"
    assert (
        "This sign-in answer was already used." in client.get("/office/calendar/").content.decode()
    )
    assert state() == before
    assert MeetingAccount.objects.get(pk=account.pk).refresh_token
