"""Staff API tokens answer to their user: a deactivated user, a removed or lowered
membership, an expiry, and the "last used" time the admin shows."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model

from rendezvous.companies.models import ApiToken, Membership, Role
from tests.conftest import NOW, snapshot
from tests.factories import CompanyFactory

from .staff_support import M, assert_error, send, state

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("frozen_now")]

SERVICE = {"name": "Massage", "duration_minutes": 60}


@pytest.fixture
def ines(practice):
    """An admin of the practice with an admin token of her own."""
    user = get_user_model().objects.create_user("ines")
    Membership.objects.create(company=practice.company, user=user, role=Role.ADMIN)
    row, secret = ApiToken.issue(company=practice.company, name="ines", role=Role.ADMIN, user=user)
    return user, row, {"Authorization": f"Bearer {secret}"}


def refused_to_create(client, headers, status: int, code: str) -> None:
    """The token is refused on a write, with the API's error shape, and nothing moved."""
    before, bookings = state(), snapshot()
    r = send(client, "post", f"{M}/services", SERVICE, headers)
    assert_error(r, status, code)
    assert state() == before and snapshot() == bookings


def test_a_members_token_works_and_records_its_last_use(client, practice, ines):
    _user, row, headers = ines
    r = send(client, "post", f"{M}/services", SERVICE, headers)
    assert r.status_code == 201, r.content
    row.refresh_from_db()
    assert row.last_used_at == NOW


def test_a_deactivated_users_token_is_401_and_creates_nothing(client, practice, ines):
    user, row, headers = ines
    user.is_active = False
    user.save()
    refused_to_create(client, headers, 401, "unauthenticated")
    assert_error(client.get(f"{M}/services", headers=headers), 401, "unauthenticated")
    row.refresh_from_db()
    assert row.last_used_at is None


def test_a_token_whose_membership_was_removed_is_401(client, practice, ines):
    user, _row, headers = ines
    Membership.objects.filter(user=user).delete()
    refused_to_create(client, headers, 401, "unauthenticated")


def test_a_membership_in_another_company_does_not_keep_the_token(client, practice, ines):
    user, _row, headers = ines
    membership = Membership.objects.get(user=user)
    membership.company = CompanyFactory(slug="other")
    membership.save()
    refused_to_create(client, headers, 401, "unauthenticated")


def test_a_token_reaches_no_further_than_its_users_membership(client, practice, ines):
    user, _row, headers = ines
    ada = practice.staff[0]
    Membership.objects.filter(user=user).update(role=Role.JUNIOR, staff=ada)
    refused_to_create(client, headers, 403, "forbidden")
    url = f"{M}/staff/{practice.staff[1].id}/hours"
    assert_error(client.get(url, headers=headers), 403, "forbidden")
    assert client.get(f"{M}/staff/{ada.id}/hours", headers=headers).status_code == 200


def test_a_token_expires(client, practice, frozen_now, ines):
    _user, row, headers = ines
    row.expires_at = NOW + timedelta(hours=1)
    row.save()
    assert client.get(f"{M}/services", headers=headers).status_code == 200
    frozen_now.move_to(NOW + timedelta(hours=1))
    refused_to_create(client, headers, 401, "unauthenticated")
    assert_error(client.get(f"{M}/services", headers=headers), 401, "unauthenticated")


def test_last_used_is_written_at_most_once_a_minute(client, practice, frozen_now, ines):
    _user, row, headers = ines
    assert client.get(f"{M}/services", headers=headers).status_code == 200
    frozen_now.move_to(NOW + timedelta(seconds=59))
    assert client.get(f"{M}/services", headers=headers).status_code == 200
    row.refresh_from_db()
    assert row.last_used_at == NOW
    frozen_now.move_to(NOW + timedelta(seconds=61))
    assert client.get(f"{M}/services", headers=headers).status_code == 200
    row.refresh_from_db()
    assert row.last_used_at == NOW + timedelta(seconds=61)


def test_a_technical_token_without_a_user_answers_to_its_own_role(client, practice):
    _row, secret = ApiToken.issue(company=practice.company, name="ci", role=Role.ADMIN)
    r = send(client, "post", f"{M}/services", SERVICE, {"Authorization": f"Bearer {secret}"})
    assert r.status_code == 201, r.content
