"""member_invite: a person made a member of a company by email, with a new account
(no usable password) or the account that email already has; refusals write nothing."""

import pytest
from django.contrib.auth import get_user_model

from rendezvous.companies.domain import member_invite
from rendezvous.companies.models import Membership, Role
from rendezvous.core.errors import ValidationFailed
from tests.factories import CompanyFactory, StaffFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def rows() -> tuple[list, list]:
    users = list(get_user_model().objects.order_by("pk").values_list("pk", "username", "email"))
    return users, list(Membership.objects.order_by("pk").values_list("pk", "user", "role"))


def test_a_new_email_gets_an_account_without_a_usable_password():
    company = CompanyFactory()
    staff = StaffFactory(company=company, hours=[])
    invited = member_invite(company=company, email=" Ann@Example.com ", role="junior", staff=staff)
    user = invited.membership.user
    assert invited.new_user and not user.has_usable_password()
    assert (user.username, user.email) == ("ann@example.com", "Ann@example.com")
    assert (invited.membership.role, invited.membership.staff) == (Role.JUNIOR, staff)


def test_an_existing_account_keeps_its_password():
    company, other = CompanyFactory(), CompanyFactory()
    user = get_user_model().objects.create_user("bea", "bea@example.com", "a-long-password-1")
    Membership.objects.create(company=other, user=user, role=Role.ADMIN)
    invited = member_invite(
        company=company,
        email="BEA@example.com",
        role="senior",
        staff=StaffFactory(company=company, hours=[]),
    )
    assert not invited.new_user and invited.membership.user == user
    user.refresh_from_db()
    assert user.check_password("a-long-password-1")


def test_refusals_write_nothing():
    company = CompanyFactory()
    staff = StaffFactory(company=company, hours=[])
    member_invite(company=company, email="cy@example.com", role="admin", staff=staff)
    get_user_model().objects.create_user("dee@example.com", "other@example.com")
    foreign = StaffFactory(company=CompanyFactory(), hours=[])
    before = rows()
    for kwargs, field, message in (
        ({"email": "nope"}, "email", "Enter a valid email address."),
        ({"email": None}, "email", "This field is required."),
        ({"email": "cy@example.com"}, "email", "This person is already a member of this company."),
        ({"email": "dee@example.com"}, "email", "Another account already uses this email"),
        ({"role": "owner"}, "role", "Choose one of"),
        ({"staff": foreign}, "staff", "Unknown id"),
    ):
        values = {"email": "new@example.com", "role": "junior", "staff": staff, **kwargs}
        with pytest.raises(ValidationFailed) as refused:
            member_invite(company=company, **values)
        assert message in refused.value.fields[field][0], kwargs
    assert rows() == before
