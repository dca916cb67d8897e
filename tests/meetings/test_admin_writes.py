"""The admin writes meeting accounts and meetings through meetings.domain: it refuses
what the domain refuses, shows why on the page, and leaves the database as it was.
The account's secret stays encrypted at rest and is never shown back."""

import pytest
from django.contrib.auth import get_user_model

from rendezvous.meetings.models import Meeting, MeetingAccount, MeetingState
from tests.admin_pages import admin_url, page_form
from tests.conftest import TOMORROW_10, book
from tests.factories import StaffFactory
from tests.meetings.test_secret_at_rest import raw_secret

pytestmark = pytest.mark.integration

SECRET = "jitsi-app-secret-0123456789abcdef"


@pytest.fixture
def root(client, db):
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com"))
    return client


def accounts() -> list[tuple]:
    return list(MeetingAccount.objects.order_by("id").values_list())


def meetings() -> list[tuple]:
    return list(Meeting.objects.order_by("id").values_list())


def errors_of(response) -> dict:
    return response.context["adminform"].form.errors


def account_form(practice, **overrides) -> dict:
    data = {
        "company": practice.company.pk,
        "staff": "",
        "provider": "jitsi",
        "active": "on",
        "url": "https://meet.example.org",
        "app_id": "rendezvous",
        "secret": SECRET,
        "tenant": "",
    }
    return data | overrides


def test_an_account_is_added_through_the_domain_with_its_secret_encrypted(root, practice):
    response = root.post(admin_url(MeetingAccount, "add"), account_form(practice))
    assert response.status_code == 302
    account = MeetingAccount.objects.get()
    assert (account.provider, account.url, account.secret) == (
        "jitsi",
        "https://meet.example.org",
        SECRET,
    )
    assert SECRET not in raw_secret(account.pk)
    page = root.get(admin_url(MeetingAccount, "change", account.pk)).content.decode()
    assert SECRET not in page


def test_an_account_the_domain_refuses_is_shown_and_not_written(root, practice):
    stranger = StaffFactory()
    before = accounts()
    # Jitsi without its server: the provider could never make a meeting.
    response = root.post(admin_url(MeetingAccount, "add"), account_form(practice, url=""))
    assert response.status_code == 200
    assert errors_of(response)["url"] == ["This provider needs the URL of its room or server."]
    response = root.post(
        admin_url(MeetingAccount, "add"), account_form(practice, staff=stranger.pk)
    )
    assert response.status_code == 200
    assert "This staff member works for another company." in response.content.decode()
    # The refused secret is not sent back in the page either.
    assert SECRET not in response.content.decode()
    assert accounts() == before


def test_editing_an_account_keeps_the_secret_and_refuses_what_the_domain_refuses(root, practice):
    account = MeetingAccount.objects.create(
        company=practice.company,
        provider="jitsi",
        url="https://meet.example.org",
        app_id="rendezvous",
        secret=SECRET,
    )
    change = admin_url(MeetingAccount, "change", account.pk)
    data = page_form(root, change)
    assert data.get("secret", [""]) == [""]
    raw = raw_secret(account.pk)

    before = accounts()
    response = root.post(change, {**data, "url": ""})
    assert response.status_code == 200
    assert errors_of(response)["url"] == ["This provider needs the URL of its room or server."]
    assert accounts() == before

    response = root.post(change, {**data, "app_id": "renamed"})
    assert response.status_code == 302
    account.refresh_from_db()
    # An empty secret field keeps the secret: not even re-encrypted.
    assert account.app_id == "renamed" and raw_secret(account.pk) == raw
    assert account.secret == SECRET


def test_an_account_in_use_by_a_meeting_to_come_is_not_deleted(root, practice):
    manual = MeetingAccount.objects.create(company=practice.company, provider="manual")
    book(practice, TOMORROW_10, service=practice.video, staff=practice.staff[0])
    meeting = Meeting.objects.get()
    assert meeting.account_id == manual.pk
    before = accounts()
    response = root.post(
        admin_url(MeetingAccount, "delete", manual.pk), {"post": "yes"}, follow=True
    )
    # The refusal is shown on the account's own page (core.admin_forms.DomainAdmin).
    assert response.redirect_chain[-1][0] == admin_url(MeetingAccount, "change", manual.pk)
    assert any("meeting" in str(m).lower() for m in response.context["messages"])
    assert accounts() == before

    spare = MeetingAccount.objects.create(
        company=practice.company, provider="static_link", url="https://r.example/x", active=False
    )
    response = root.post(admin_url(MeetingAccount, "delete", spare.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not MeetingAccount.objects.filter(pk=spare.pk).exists()


# -- meetings ------------------------------------------------------------------------------


@pytest.fixture
def meeting(practice):
    MeetingAccount.objects.create(company=practice.company, provider="manual")
    book(practice, TOMORROW_10, service=practice.video, staff=practice.staff[0])
    return Meeting.objects.get()


def test_a_meeting_gets_its_link_and_details_through_the_domain(root, meeting):
    change = admin_url(Meeting, "change", meeting.pk)
    data = {"new_url": "", "new_host_url": "", "instructions": "Bring a pen.", "password": "42"}
    assert root.post(change, data).status_code == 302
    meeting.refresh_from_db()
    assert (meeting.instructions, meeting.password, meeting.state) == (
        "Bring a pen.",
        "42",
        MeetingState.PENDING,
    )
    data["new_url"] = "https://rooms.example.org/ada"
    assert root.post(change, data).status_code == 302
    meeting.refresh_from_db()
    assert (meeting.join_url, meeting.state) == ("https://rooms.example.org/ada", "ready")


def test_a_meeting_change_the_domain_refuses_is_shown_and_not_written(root, meeting):
    change = admin_url(Meeting, "change", meeting.pk)
    before = meetings()
    data = {"new_url": "", "new_host_url": "", "instructions": "", "password": "a\x07b"}
    response = root.post(change, data)
    assert response.status_code == 200
    assert errors_of(response)["password"] == ["At most 200 characters, no control characters."]
    assert meetings() == before

    Meeting.objects.filter(pk=meeting.pk).update(state=MeetingState.REVOKED)
    before = meetings()
    response = root.post(change, {**data, "password": "", "new_url": "https://r.example/a"})
    assert response.status_code == 200
    assert "This meeting was cancelled." in response.content.decode()
    assert meetings() == before


def test_meetings_and_join_tokens_are_not_deleted_in_the_admin(root, meeting):
    from rendezvous.meetings.models import JoinToken

    token = JoinToken.objects.filter(meeting=meeting).first()
    assert token is not None
    assert root.post(admin_url(Meeting, "delete", meeting.pk), {"post": "yes"}).status_code == 403
    response = root.post(admin_url(JoinToken, "delete", token.pk), {"post": "yes"})
    assert response.status_code == 403
    assert Meeting.objects.filter(pk=meeting.pk).exists()
    assert JoinToken.objects.filter(pk=token.pk).exists()
