"""The users and API tokens settings (/office/settings/access/): the company's members
with their role and last sign-in, and its staff API tokens, issued and revoked by
companies.domain (the same functions as the admin and `issue_token`). A new token's
secret is shown once; a revoked token stops answering the API; refusals show the
domain's message and write nothing. Admins only."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from rendezvous.companies.models import ApiToken, Role
from tests.conftest import NOW
from tests.factories import CompanyFactory

from .conftest import member
from .test_office_bookings import signed_in

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

ACCESS = "/office/settings/access/"
SECRET = re.compile(r'id="new-secret" type="text" readonly value="(rdv_[^"]+)"')


def tokens() -> list[dict]:
    return list(ApiToken.objects.order_by("pk").values())


def bookings_api(secret: str):
    return Client().get(
        "/api/v1/companies/practice/bookings", headers={"authorization": f"Bearer {secret}"}
    )


def test_a_new_token_shows_its_secret_once_and_works_until_revoked(client, practice, team):
    signed_in(client, team["admin"])
    response = client.post(ACCESS, {"name": "Website shop", "role": Role.SENIOR, "staff": ""})
    assert response.status_code == 302 and response["Location"] == ACCESS
    token = ApiToken.objects.get()
    assert (token.name, token.role, token.user, token.staff, token.company) == (
        "Website shop",
        Role.SENIOR,
        None,
        None,
        practice.company,
    )
    page = client.get(ACCESS).content.decode()
    secret = SECRET.search(page).group(1)
    assert secret.startswith(f"rdv_{token.prefix}") and "Copy the secret" in page
    assert secret not in str(tokens())  # only its hash is kept
    # After the redirect's page it is gone for good.
    again = client.get(ACCESS).content.decode()
    assert secret not in again and 'id="new-secret"' not in again
    assert "Website shop" in again and "Technical user" in again and "Never" in again
    answer = bookings_api(secret)
    assert answer.status_code == 200, answer.content
    # Revoked: the API refuses it at once, the list says so, and it offers no button.
    response = client.post(f"{ACCESS}tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    assert bookings_api(secret).status_code == 401
    token.refresh_from_db()
    assert token.revoked and token.last_used_at is not None
    page = client.get(ACCESS).content.decode()
    assert "Revoked" in page and f"tokens/{token.pk}/revoke/" not in page


def test_a_junior_token_reaches_its_staff_member_and_expiry_is_the_company_clock(
    client, practice, team
):
    signed_in(client, team["admin"])
    ada = practice.staff[0]
    response = client.post(
        ACCESS,
        {
            "name": "Ada's app",
            "role": Role.JUNIOR,
            "staff": str(ada.pk),
            "expires_at": "2027-01-31T18:00",
        },
    )
    assert response.status_code == 302
    token = ApiToken.objects.get()
    assert token.staff == ada and token.role == Role.JUNIOR
    assert token.expires_at.isoformat() == "2027-01-31T17:00:00+00:00"  # Berlin, UTC+1
    secret = SECRET.search(client.get(ACCESS).content.decode()).group(1)
    assert bookings_api(secret).status_code == 200


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"name": "", "role": Role.SENIOR}, "name", "This field is required."),
        ({"name": "Shop", "role": "owner"}, "role", "Choose one of: admin, senior, junior."),
        ({"name": "Shop", "role": Role.JUNIOR}, "staff", "must be tied to a staff member"),
        ({"name": "Shop", "role": Role.SENIOR, "staff": "999999"}, "staff", "Unknown id"),
        (
            {"name": "Shop", "role": Role.SENIOR, "expires_at": "soon"},
            "expires_at",
            "date and time",
        ),
    ],
)
def test_refusals_show_the_field_error_and_issue_nothing(
    client, practice, team, form, field, message
):
    signed_in(client, team["admin"])
    before = tokens()
    response = client.post(ACCESS, form)
    assert response.status_code == 422
    page = response.content.decode()
    errors = {
        "name": r'id="tk-name".*?<p class="error">([^<]+)',
        "role": r'id="tk-role".*?<p class="error">([^<]+)',
        "staff": r'id="tk-staff".*?<p class="error">([^<]+)',
        "expires_at": r'id="tk-expires".*?<p class="error">([^<]+)',
    }
    shown = re.search(errors[field], page, re.S)
    assert shown and message in shown.group(1), page
    assert (
        'class="field has-error"' in page
        and '<details class="card-panel settings-add" open>' in page
    )
    assert tokens() == before
    assert 'id="new-secret"' not in client.get(ACCESS).content.decode()


def test_refusals_in_danish(client, practice, team):
    signed_in(client, team["admin"])
    client.post("/office/language/", {"language": "da", "next": ACCESS})
    page = client.post(ACCESS, {"name": "Shop", "role": Role.JUNIOR}).content.decode()
    assert "En juniormedarbejder skal være knyttet til en medarbejder." in page
    assert "Opret tokenet" in page
    assert tokens() == []


def test_the_users_list_shows_roles_staff_profiles_and_last_sign_in(client, practice, team):
    signed_in(client, team["admin"])  # signing in sets the admin's last_login
    get_user_model().objects.filter(pk=team["senior"].pk).update(is_active=False)
    other = CompanyFactory(slug="elsewhere")
    member(other, "stranger", Role.ADMIN)
    page = client.get(ACCESS).content.decode()
    rows = re.findall(r"<tr><td>(.*?)</td></tr>", page, re.S)
    by_user = {re.sub(r"<.*?>|\s+", " ", r).split()[0]: r for r in rows}
    assert {"boss", "senior", "junior"} <= set(by_user) and "stranger" not in page
    # Signed in on the frozen clock: the company's wall clock of NOW.
    assert "Admin" in by_user["boss"] and "Tue, 1 Dec 2026, 08:00" in by_user["boss"]
    assert "Senior employee" in by_user["senior"] and "deactivated" in by_user["senior"]
    assert "Junior employee" in by_user["junior"] and "Never" in by_user["junior"]
    assert f'href="/office/settings/team/{practice.staff[0].pk}/">Ada</a>' in by_user["junior"]
    # Admins first, then seniors, then juniors.
    assert page.index(">boss<") < page.index(">senior ") < page.index(">junior<")
    assert 'href="/office/settings/team/"' in page


def test_another_companys_token_is_404(client, practice, team):
    other = CompanyFactory(slug="elsewhere")
    theirs, _secret = ApiToken.issue(company=other, name="Theirs", role=Role.ADMIN)
    signed_in(client, team["admin"])
    before = tokens()
    assert client.post(f"{ACCESS}tokens/{theirs.pk}/revoke/").status_code == 404
    assert tokens() == before and "Theirs" not in client.get(ACCESS).content.decode()


@pytest.mark.parametrize("role", ["senior", "junior"])
def test_seniors_and_juniors_get_404_on_every_url(client, practice, team, role):
    mine, _secret = ApiToken.issue(company=practice.company, name="Ours", role=Role.ADMIN)
    signed_in(client, team[role])
    before = tokens()
    for url in (ACCESS, f"{ACCESS}tokens/{mine.pk}/revoke/"):
        assert client.get(url).status_code == 404, url
        response = client.post(url, {"name": "Mine now", "role": Role.ADMIN})
        assert response.status_code == 404, url
    assert tokens() == before
    # The settings tabs they cannot open are not offered either.
    assert ACCESS not in client.get("/office/customers/").content.decode()


def test_an_expired_token_is_listed_as_expired_without_a_revoke_button(client, practice, team):
    token, _secret = ApiToken.issue(
        company=practice.company,
        name="Old sync",
        role=Role.SENIOR,
        expires_at=NOW - timedelta(days=1),
    )
    signed_in(client, team["admin"])
    page = client.get(ACCESS).content.decode()
    assert "Expired" in page and f"tokens/{token.pk}/revoke/" not in page
