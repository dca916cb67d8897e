"""`rendezvous issue_token USERNAME`: a token that works on the staff API with the
user's role, printed once; refusals say why and write nothing."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from rendezvous.companies.models import ApiToken, Membership, Role
from tests.conftest import TOMORROW_10, book
from tests.dashboard.conftest import member
from tests.factories import CompanyFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def issue(*args) -> str:
    out = io.StringIO()
    call_command("issue_token", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue().strip()


def test_the_printed_token_works_with_the_users_role(client, practice):
    member(practice.company, "ada-user", Role.JUNIOR, staff=practice.staff[0])
    mine = book(practice, TOMORROW_10, staff=practice.staff[0]).booking
    book(practice, TOMORROW_10, staff=practice.staff[1])
    secret = issue("ada-user")
    token = ApiToken.objects.get()
    assert token.role == Role.JUNIOR and token.staff == practice.staff[0]
    assert token.secret_hash not in secret and len(secret) > 30
    response = client.get(
        f"/api/v1/companies/{practice.company.slug}/bookings",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 200
    assert [b["id"] for b in response.json()["results"]] == [str(mine.pk)]


def test_unknown_users_and_several_companies_are_refused(practice):
    user = member(practice.company, "twice", Role.ADMIN)
    other = CompanyFactory(slug="other")
    Membership.objects.create(company=other, user=user, role=Role.SENIOR)
    for args, message in (
        (("nobody",), "No active user"),
        (("twice",), "several companies"),
        (("twice", "--company", "nowhere"), "is not a member"),
    ):
        with pytest.raises(CommandError, match=message):
            issue(*args)
    assert not ApiToken.objects.exists()
    issue("twice", "--company", "other")
    assert ApiToken.objects.get().role == Role.SENIOR
