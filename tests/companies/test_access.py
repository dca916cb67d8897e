"""The role table of companies/access.py, one row per check: each access_* helper lets
through exactly the roles its docstring names, and access_allows answers what the
check enforces (the pages show an action only to those the action admits)."""

import pytest

from rendezvous.companies.access import (
    Actor,
    access_allows,
    access_book_outside_hours,
    access_manage_catalog,
    access_manage_customers,
    access_manage_sessions,
    access_read_team,
    access_reassign_bookings,
    access_record_payments,
    access_sees_staff,
    access_sees_time_off_reason,
    access_staff_scope,
)
from rendezvous.companies.models import Company, Role
from rendezvous.core.errors import Forbidden

pytestmark = pytest.mark.unit

COMPANY = Company(slug="c", name="C")
ADMIN = Actor(COMPANY, Role.ADMIN, None)
SENIOR = Actor(COMPANY, Role.SENIOR, 7)
JUNIOR = Actor(COMPANY, Role.JUNIOR, 7)
UNTIED_JUNIOR = Actor(COMPANY, Role.JUNIOR, None)

CHECKS = {
    access_manage_catalog: {Role.ADMIN},
    access_read_team: {Role.ADMIN, Role.SENIOR},
    access_manage_sessions: {Role.ADMIN, Role.SENIOR},
    access_book_outside_hours: {Role.ADMIN, Role.SENIOR},
    access_manage_customers: {Role.ADMIN, Role.SENIOR},
    access_record_payments: {Role.ADMIN, Role.SENIOR},
}


@pytest.mark.parametrize("check", list(CHECKS), ids=lambda c: c.__name__)
@pytest.mark.parametrize("actor", [ADMIN, SENIOR, JUNIOR], ids=lambda a: a.role)
def test_each_check_admits_exactly_its_roles_and_access_allows_says_the_same(check, actor):
    admitted = actor.role in CHECKS[check]
    if admitted:
        check(actor)
    else:
        with pytest.raises(Forbidden):
            check(actor)
    assert access_allows(check, actor) is admitted


def test_reassigning_bookings_is_for_admins_and_seniors():
    assert [access_reassign_bookings(a) for a in (ADMIN, SENIOR, JUNIOR)] == [True, True, False]


def test_a_junior_sees_only_their_own_column():
    assert access_sees_staff(JUNIOR, 7) and not access_sees_staff(JUNIOR, 8)
    assert not access_sees_staff(UNTIED_JUNIOR, None)
    assert access_sees_staff(SENIOR, 8) and access_sees_staff(ADMIN, 8)
    assert not access_staff_scope(ADMIN, "staff_id") and not access_staff_scope(SENIOR, "x")
    assert access_staff_scope(JUNIOR, "staff_id").children == [("staff_id", 7)]
    assert access_staff_scope(UNTIED_JUNIOR, "staff_id").children == [("pk__in", [])]


def test_time_off_reasons_are_for_admins_and_the_person_themselves():
    assert access_sees_time_off_reason(ADMIN, 8)
    assert access_sees_time_off_reason(SENIOR, 7) and not access_sees_time_off_reason(SENIOR, 8)
    assert access_sees_time_off_reason(JUNIOR, 7) and not access_sees_time_off_reason(JUNIOR, 8)
