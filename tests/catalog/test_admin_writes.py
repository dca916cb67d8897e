"""The catalog admin writes through catalog.domain: it refuses what the staff API
refuses, and a refusal leaves every row as it was."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from rendezvous.catalog.domain import service_delete
from rendezvous.catalog.models import Category, ClassSession, Service, ServiceKind
from rendezvous.core.errors import InvalidState
from tests.conftest import TOMORROW_10, book
from tests.factories import ClassSessionFactory, CompanyFactory, ServiceFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

CONTROL = "Hair\u202ecut"  # a right-to-left override: refused by the domain, not by Django


def url(model, action: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


def texts(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def tables() -> tuple:
    """Every catalog row, with the services' staff: what a refusal must leave alone."""
    return (
        list(Category.objects.order_by("pk").values()),
        list(Service.objects.order_by("pk").values()),
        list(Service.staff.through.objects.order_by("pk").values()),
        list(ClassSession.objects.order_by("pk").values()),
    )


def errors(response) -> dict:
    assert response.status_code == 200
    return response.context["adminform"].form.errors


@pytest.fixture
def client(client, db):
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com"))
    return client


# -- categories ------------------------------------------------------------------------


def category_form(company, **changes) -> dict:
    return {"company": company.pk, "name": "Hair", "position": "0", "_save": "1", **changes}


def test_category_add_goes_through_the_domain(client):
    company = CompanyFactory(languages=["en", "de"])
    before = tables()
    response = client.post(url(Category, "add"), category_form(company, name=CONTROL))
    assert errors(response) == {"name": ["Control characters such as line breaks are not allowed."]}
    # A language the company does not offer: the domain's error, at that language's field.
    response = client.post(url(Category, "add"), category_form(company, name_da="Hår"))
    assert errors(response) == {"name_da": ["This company does not offer that language."]}
    assert tables() == before

    response = client.post(url(Category, "add"), category_form(company, name_de=" Haare "))
    assert response.status_code == 302
    category = Category.objects.get()
    assert (category.company, category.name) == (company, "Hair")
    assert category.translations == {"de": {"name": "Haare"}}  # trimmed by clean_text


def test_category_change_goes_through_the_domain(client):
    company = CompanyFactory(languages=["en", "de"])
    category = Category.objects.create(
        company=company, name="Hair", translations={"de": {"name": "Haare"}}
    )
    before = tables()
    response = client.post(
        url(Category, "change", category.pk), category_form(company, name=CONTROL, name_de="Haare")
    )
    assert errors(response) == {"name": ["Control characters such as line breaks are not allowed."]}
    assert tables() == before

    data = category_form(company, name="Hair & beard", position="3", name_de="")
    response = client.post(url(Category, "change", category.pk), data)
    assert response.status_code == 302
    category.refresh_from_db()
    assert (category.name, category.position, category.translations) == ("Hair & beard", 3, {})


def test_category_positions_in_the_list_are_saved_through_the_domain_all_or_none(client):
    company = CompanyFactory()
    first = Category.objects.create(company=company, name="A", position=1)
    second = Category.objects.create(company=company, name="B", position=2)

    def save_positions(a: str, b: str):
        return client.post(
            url(Category, "changelist"),
            {
                "form-TOTAL_FORMS": "2",
                "form-INITIAL_FORMS": "2",
                "form-0-id": str(first.pk),
                "form-0-position": a,
                "form-1-id": str(second.pk),
                "form-1-position": b,
                "_save": "Save",
            },
        )

    before = tables()
    # The model takes any positive integer; the domain (as over the API) at most a million.
    response = save_positions("5", "2000000")
    assert response.status_code == 200
    formset = response.context["cl"].formset
    assert formset.errors[1] == {"position": ["Enter a whole number from 0 to 1000000."]}
    # The valid row was written while the list was validated, and rolled back with it.
    assert tables() == before

    assert save_positions("5", "6").status_code == 302
    assert list(Category.objects.order_by("pk").values_list("position", flat=True)) == [5, 6]


def test_category_delete_keeps_its_services(client):
    company = CompanyFactory()
    category = Category.objects.create(company=company, name="Hair")
    service = ServiceFactory(company=company, category=category)
    response = client.post(url(Category, "delete", category.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not Category.objects.exists()
    service.refresh_from_db()
    assert service.category is None


# -- services --------------------------------------------------------------------------


def service_form(service_or_company, **changes) -> dict:
    company = getattr(service_or_company, "company", service_or_company)
    data = {
        "company": company.pk,
        "name": "Colour",
        "kind": "appointment",
        "duration_minutes": "60",
        "buffer_before_minutes": "0",
        "buffer_after_minutes": "0",
        "price": "40",
        "position": "0",
        "active": "on",
        "_save": "1",
    }
    if isinstance(service_or_company, Service):
        service = service_or_company
        data.update(
            name=service.name,
            duration_minutes=str(service.duration_minutes),
            price=str(service.price),
            staff=[s.pk for s in service.staff.all()],
        )
        if not service.active:
            del data["active"]
    return {**data, **changes}


def test_service_add_goes_through_the_domain(client, practice):
    company = practice.company
    before = tables()
    # Django's field takes any positive number of minutes; the domain a day at most.
    response = client.post(url(Service, "add"), service_form(company, duration_minutes="2000"))
    assert errors(response) == {"duration_minutes": ["Enter a whole number from 5 to 1440."]}
    response = client.post(url(Service, "add"), service_form(company, name=CONTROL))
    assert errors(response) == {"name": ["Control characters such as line breaks are not allowed."]}
    assert tables() == before

    ada, ben = practice.staff[:2]
    data = service_form(company, staff=[ada.pk, ben.pk], description_de="Färben")
    response = client.post(url(Service, "add"), data)
    assert response.status_code == 302
    service = Service.objects.get(name="Colour")
    assert set(service.staff.all()) == {ada, ben}
    assert service.translations == {"de": {"description": "Färben"}}
    assert service.duration_minutes == 60 and service.active


def test_service_change_goes_through_the_domain(client, practice):
    service = practice.service
    before = tables()
    data = service_form(service, buffer_after_minutes="5000")
    response = client.post(url(Service, "change", service.pk), data)
    assert errors(response) == {"buffer_after_minutes": ["Enter a whole number from 0 to 1440."]}
    assert tables() == before

    data = service_form(service, buffer_after_minutes="15", staff=[practice.staff[0].pk])
    assert client.post(url(Service, "change", service.pk), data).status_code == 302
    service.refresh_from_db()
    assert service.buffer_after_minutes == 15
    assert list(service.staff.all()) == [practice.staff[0]]


def test_service_with_sessions_is_refused_deletion_with_the_reason(client, practice):
    yoga = practice.yoga  # a class with a session and no booking yet
    before = tables()
    response = client.post(url(Service, "delete", yoga.pk), {"post": "yes"}, follow=True)
    # Back on the service's page with the domain's reason, not a 403; the session stays.
    assert response.redirect_chain[-1][0] == url(Service, "change", yoga.pk)
    assert texts(response) == [
        "This service has bookings or class sessions; deactivate it instead."
    ]
    assert tables() == before


def test_service_with_bookings_is_not_deleted(client, practice):
    book(practice, TOMORROW_10)
    service = practice.service
    with pytest.raises(InvalidState, match="deactivate it instead"):
        service_delete(service=service)
    before = tables()
    # The admin's confirmation page names the bookings that keep it, and offers no delete.
    page = client.get(url(Service, "delete", service.pk))
    assert "Cannot delete service" in page.content.decode()
    response = client.post(url(Service, "delete", service.pk), {"post": "yes"})
    assert response.status_code == 200
    assert "Cannot delete service" in response.content.decode()
    assert tables() == before


def test_bulk_delete_reports_each_refusal_and_deletes_the_rest(client, practice):
    spare = ServiceFactory(company=practice.company, name="Spare")
    pilates = ServiceFactory(company=practice.company, name="Pilates", kind=ServiceKind.CLASS)
    ClassSessionFactory(service=pilates, start=TOMORROW_10 + timedelta(days=1))
    response = client.post(
        url(Service, "changelist"),
        {"action": "delete_selected", "_selected_action": [spare.pk, pilates.pk], "post": "yes"},
        follow=True,
    )
    assert response.status_code == 200
    assert texts(response) == [
        "Pilates: This service has bookings or class sessions; deactivate it instead.",
        "Successfully deleted 1 service.",
    ]
    assert not Service.objects.filter(pk=spare.pk).exists()
    assert Service.objects.filter(pk=pilates.pk).exists()
    assert pilates.sessions.count() == 1


def test_deactivate_action(client, practice):
    book(practice, TOMORROW_10)
    services = [practice.service, practice.video]
    response = client.post(
        url(Service, "changelist"),
        {"action": "deactivate", "_selected_action": [s.pk for s in services]},
        follow=True,
    )
    assert texts(response) == ["2 services deactivated."]
    assert not Service.objects.filter(pk__in=[s.pk for s in services], active=True).exists()
    # Its bookings stay.
    assert practice.service.bookings.count() == 1
