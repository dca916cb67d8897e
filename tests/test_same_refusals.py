"""The Django admin and the staff API refuse the same bad input with the same words:
both call the same domain function, whose refusal names the field and says why. Each
pair sends one bad value both ways and compares the messages, and the rows after."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from rendezvous.catalog.models import Service
from rendezvous.companies.models import Role, StaffMember
from tests.api.staff_support import M, send, state, token_for
from tests.catalog.test_admin_writes import service_form
from tests.companies.test_admin_writes import staff_form

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

CONTROL = "Hair\u202ecut"


@pytest.fixture
def operator(client):
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com"))
    return client


def admin_refusal(client, model, form: dict, field: str) -> list[str]:
    meta = model._meta
    response = client.post(reverse(f"admin:{meta.app_label}_{meta.model_name}_add"), form)
    assert response.status_code == 200, "the admin accepted it"
    return [str(m) for m in response.context["adminform"].form.errors[field]]


def api_refusal(client, url: str, body: dict, headers: dict, field: str) -> list[str]:
    response = send(client, "post", url, body, headers)
    assert response.status_code == 400, response.content
    return [str(m) for m in response.json()["error"]["fields"][field]]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("duration_minutes", 2000),
        ("buffer_after_minutes", 5000),
        ("name", CONTROL),
        ("price", "-3"),
    ],
)
def test_a_bad_service_is_refused_alike(operator, practice, field, value):
    company = practice.company
    before = state()
    form = service_form(company, **{field: str(value)})
    body = {"name": "Colour", "duration_minutes": 60, field: value}
    by_admin = admin_refusal(operator, Service, form, field)
    by_api = api_refusal(operator, f"{M}/services", body, token_for(company, Role.ADMIN), field)
    assert by_admin == by_api and by_admin
    assert state() == before


@pytest.mark.parametrize(
    ("field", "value"), [("name", CONTROL), ("name", "x" * 201), ("email", "not-an-email")]
)
def test_a_bad_staff_member_is_refused_alike(operator, practice, field, value):
    company = practice.company
    before = state()
    form = staff_form(company, **{field: value})
    body = {"name": "Dora", field: value}
    by_admin = admin_refusal(operator, StaffMember, form, field)
    by_api = api_refusal(operator, f"{M}/staff", body, token_for(company, Role.ADMIN), field)
    assert by_admin == by_api and by_admin
    assert state() == before
