"""Writes to companies, staff, locations, resources, memberships and API tokens leave one
audit entry each, naming who acted and each field's old and new value; a refused
write leaves none, and a token's secret is never in the log."""

import pytest

from rendezvous.companies import domain as companies
from rendezvous.companies.domain import (
    ApiTokenFields,
    CompanyFields,
    LocationFields,
    MembershipFields,
    ResourceFields,
    StaffFields,
)
from rendezvous.companies.models import Company, Role
from rendezvous.core.audit import SECRET_CHANGED
from rendezvous.core.errors import InvalidState, ValidationFailed
from tests.audit import as_staff, entries, everything_logged
from tests.conftest import TOMORROW_10, book
from tests.dashboard.conftest import member
from tests.factories import CompanyFactory, LocationFactory

pytestmark = pytest.mark.integration


def test_a_company_change_names_the_user_and_each_fields_old_and_new_value(practice):
    boss = member(practice.company, "boss", Role.ADMIN)
    with as_staff(boss):
        companies.company_update(
            company=practice.company,
            fields=CompanyFields(name="New name", max_days_ahead=practice.company.max_days_ahead),
        )
    (entry,) = entries()
    assert (entry.entity, entry.entity_id, entry.action) == (
        "company",
        str(practice.company.pk),
        "updated",
    )
    assert entry.changes == {"name": [practice.company.name, "New name"]}
    assert (entry.actor_kind, entry.user, entry.actor_label) == ("staff", boss, "boss")
    assert entry.company_id == practice.company.pk


def test_a_refused_change_records_nothing(practice):
    book(practice, TOMORROW_10, staff=practice.staff[0])
    booked = entries()
    before = list(Company.objects.values())
    with pytest.raises(ValidationFailed):
        companies.company_update(
            company=practice.company, fields=CompanyFields(name="Ok", slug="no spaces")
        )
    with pytest.raises(InvalidState):
        companies.staff_delete(staff=practice.staff[0])
    assert entries() == booked
    assert list(Company.objects.values()) == before


def test_a_staff_change_records_its_locations_and_services_by_id(practice):
    ada = practice.staff[0]
    room = LocationFactory(company=practice.company)
    companies.staff_update(staff=ada, fields=StaffFields(name="Ada L.", locations=[str(room.pk)]))
    (entry,) = entries()
    assert (entry.entity, entry.entity_id, entry.actor_kind) == ("staff", str(ada.pk), "system")
    assert entry.changes == {"name": ["Ada", "Ada L."], "locations": [[], [room.pk]]}
    # Saving the same values again is no change.
    companies.staff_update(staff=ada, fields=StaffFields(name="Ada L."))
    assert len(entries()) == 1


def test_creating_and_deleting_rows_records_each_once(practice):
    location = companies.location_create(
        company=practice.company, fields=LocationFields(name="Annex", timezone="Europe/Berlin")
    )
    resource = companies.resource_create(
        company=practice.company, fields=ResourceFields(name="Room 2", kind="room")
    )
    companies.resource_delete(resource=resource)
    companies.location_delete(location=location)
    assert [(e.entity, e.action) for e in entries()] == [
        ("location", "created"),
        ("resource", "created"),
        ("resource", "deleted"),
        ("location", "deleted"),
    ]
    assert entries()[0].changes == {"name": [None, "Annex"], "timezone": [None, "Europe/Berlin"]}


def test_a_membership_records_the_user_and_role(practice):
    user = member(CompanyFactory(slug="elsewhere"), "ines", Role.ADMIN)
    membership = companies.membership_create(
        company=practice.company, fields=MembershipFields(user=str(user.pk), role=Role.SENIOR)
    )
    companies.membership_update(membership=membership, fields=MembershipFields(role=Role.ADMIN))
    created, updated = entries()
    assert created.changes == {"user": [None, user.pk], "role": [None, Role.SENIOR]}
    assert updated.changes == {"role": [Role.SENIOR, Role.ADMIN]}


def test_an_api_tokens_secret_is_never_logged(practice):
    boss = member(practice.company, "boss", Role.ADMIN)
    with as_staff(boss):
        token, secret = companies.api_token_issue(
            company=practice.company, fields=ApiTokenFields(name="Sync", role=Role.SENIOR)
        )
        companies.api_token_revoke(token=token)
    issued, revoked = entries()
    assert issued.changes["secret"] == SECRET_CHANGED
    assert issued.changes["name"] == [None, "Sync"]
    assert revoked.changes == {"revoked": [False, True]}
    logged = everything_logged()
    assert secret not in logged and secret[4:] not in logged and token.secret_hash not in logged
