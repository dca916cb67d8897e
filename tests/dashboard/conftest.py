import pytest
from django.contrib.auth import get_user_model

from rendezvous.companies.models import Membership, Role

PASSWORD = "a-long-staff-password"


def member(company, username: str, role: str, staff=None):
    user = get_user_model().objects.create_user(username, f"{username}@staff.example", PASSWORD)
    Membership.objects.create(company=company, user=user, role=role, staff=staff)
    return user


@pytest.fixture
def team(practice):
    """An admin, a senior and a junior (tied to Ada) of the practice."""
    return {
        "admin": member(practice.company, "boss", Role.ADMIN),
        "senior": member(practice.company, "senior", Role.SENIOR),
        "junior": member(practice.company, "junior", Role.JUNIOR, staff=practice.staff[0]),
    }
