"""Writes to categories and services leave one audit entry each, with who acted and each
field's old and new value; a refused write leaves none."""

from decimal import Decimal

import pytest

from rendezvous.catalog import domain as catalog
from rendezvous.catalog.domain import CategoryFields, ServiceFields
from rendezvous.catalog.models import Service, ServiceKind
from rendezvous.companies.models import Role
from rendezvous.core.errors import InvalidState, ValidationFailed
from tests.audit import as_staff, entries
from tests.conftest import TOMORROW_10, book
from tests.dashboard.conftest import member

pytestmark = pytest.mark.integration


def test_a_service_change_records_the_user_the_price_and_the_staff(practice):
    boss = member(practice.company, "boss", Role.ADMIN)
    service, ada = practice.service, practice.staff[0]
    with as_staff(boss):
        catalog.service_update(
            service=service, fields=ServiceFields(price=Decimal("35.50"), staff=[str(ada.pk)])
        )
    (entry,) = entries()
    assert (entry.entity, entry.entity_id, entry.action) == ("service", str(service.pk), "updated")
    assert entry.changes["price"] == ["0.00", "35.50"]
    assert entry.changes["staff"] == [sorted(s.pk for s in practice.staff), [ada.pk]]
    assert (entry.user, entry.actor_kind) == (boss, "staff")


def test_a_refused_service_change_records_nothing(practice):
    book(practice, TOMORROW_10)
    booked = entries()
    before = list(Service.objects.values())
    with pytest.raises(ValidationFailed):
        catalog.service_update(service=practice.service, fields=ServiceFields(price=Decimal("-1")))
    with pytest.raises(InvalidState):
        catalog.service_update(
            service=practice.service, fields=ServiceFields(kind=ServiceKind.CLASS)
        )
    with pytest.raises(InvalidState):
        catalog.service_delete(service=practice.service)
    assert entries() == booked
    assert list(Service.objects.values()) == before


def test_categories_and_new_services_are_recorded_from_empty(practice):
    category = catalog.category_create(company=practice.company, fields=CategoryFields(name="Hair"))
    service = catalog.service_create(
        company=practice.company,
        fields=ServiceFields(
            name="Cut", duration_minutes=30, price=Decimal("20"), category=str(category.pk)
        ),
    )
    catalog.category_delete(category=category)
    made, created, gone = entries()
    assert (made.entity, made.changes) == ("category", {"name": [None, "Hair"]})
    assert (created.entity, created.entity_id, created.action) == (
        "service",
        str(service.pk),
        "created",
    )
    assert created.changes["price"] == [None, str(Decimal("20.00"))]
    assert created.changes["category"] == [None, category.pk]
    assert (gone.action, gone.changes) == ("deleted", {"name": ["Hair", None]})
