"""The companies admin writes through companies.domain: it refuses what the domain
refuses, a refusal leaves every row as it was, and a page whose inline is refused
keeps nothing of what its form wrote."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from rendezvous.availability.models import WorkingHours
from rendezvous.companies.domain import staff_delete
from rendezvous.companies.models import (
    ApiToken,
    Company,
    Location,
    Membership,
    Resource,
    Role,
    StaffMember,
)
from rendezvous.core.errors import InvalidState
from tests.conftest import TOMORROW_10, book
from tests.factories import (
    ClassSessionFactory,
    CompanyFactory,
    LocationFactory,
    ServiceFactory,
    StaffFactory,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

CONTROL = "Main\u202eStreet"  # a right-to-left override: refused by the domain, not by Django
CONTROL_ERROR = ["Control characters such as line breaks are not allowed."]


def url(model, action: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


def texts(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def tables() -> tuple:
    """Every companies row (and the staff's working hours): what a refusal must leave."""
    return (
        list(Company.objects.order_by("pk").values()),
        list(Location.objects.order_by("pk").values()),
        list(Resource.objects.order_by("pk").values()),
        list(StaffMember.objects.order_by("pk").values()),
        list(StaffMember.locations.through.objects.order_by("pk").values()),
        list(Membership.objects.order_by("pk").values()),
        list(ApiToken.objects.order_by("pk").values()),
        list(WorkingHours.objects.order_by("pk").values()),
    )


def errors(response) -> dict:
    assert response.status_code == 200
    return response.context["adminform"].form.errors


def delete(client, model, row):
    return client.post(url(model, "delete", row.pk), {"post": "yes"}, follow=True)


@pytest.fixture
def root(db):
    return get_user_model().objects.create_superuser("root", "root@example.com")


@pytest.fixture
def client(client, root):
    client.force_login(root)
    return client


# -- companies and their locations -----------------------------------------------------


def company_form(**changes) -> dict:
    data = {
        "name": "Studio",
        "slug": "studio",
        "timezone": "Europe/Berlin",
        "default_language": "de",
        "languages": ["en"],
        "currency": "EUR",
        "join_window_minutes": "5",
        "cancel_cutoff_hours": "24",
        "reschedule_cutoff_hours": "24",
        "min_notice_minutes": "60",
        "max_days_ahead": "90",
        "slot_step_minutes": "15",
        "frame_ancestors": "'self'",
        "locations-TOTAL_FORMS": "0",
        "locations-INITIAL_FORMS": "0",
        "_save": "1",
    }
    return {**data, **changes}


def location_rows(*rows) -> dict:
    """The company page's location inline: (id or None, name, address) per row."""
    data = {"locations-TOTAL_FORMS": str(len(rows))}
    data["locations-INITIAL_FORMS"] = str(sum(1 for row in rows if row[0]))
    for i, (pk, name, address, *deleted) in enumerate(rows):
        data.update(
            {
                f"locations-{i}-id": str(pk or ""),
                f"locations-{i}-name": name,
                f"locations-{i}-timezone": "Europe/Berlin",
                f"locations-{i}-address": address,
            }
        )
        if deleted:
            data[f"locations-{i}-DELETE"] = "on"
    return data


def test_company_add_goes_through_the_domain(client):
    CompanyFactory(slug="taken")
    before = tables()
    # The model takes a slot step of 0 minutes; the domain does not.
    response = client.post(url(Company, "add"), company_form(slot_step_minutes="0"))
    assert errors(response) == {"slot_step_minutes": ["Enter a whole number from 1 to 1440."]}
    response = client.post(url(Company, "add"), company_form(name="Studio\u202e"))
    assert errors(response) == {"name": CONTROL_ERROR}
    response = client.post(url(Company, "add"), company_form(slug="taken"))
    assert "slug" in errors(response)
    assert tables() == before

    response = client.post(url(Company, "add"), company_form(**location_rows((None, "Mitte", ""))))
    assert response.status_code == 302
    company = Company.objects.get(slug="studio")
    assert company.languages == ["de", "en"]
    assert [location.name for location in company.locations.all()] == ["Mitte"]


def test_company_change_goes_through_the_domain(client):
    company = CompanyFactory(slug="studio", name="Studio", languages=["de", "en"])
    CompanyFactory(slug="taken")
    before = tables()
    response = client.post(url(Company, "change", company.pk), company_form(max_days_ahead="99999"))
    assert errors(response) == {"max_days_ahead": ["Enter a whole number from 0 to 3660."]}
    response = client.post(url(Company, "change", company.pk), company_form(slug="taken"))
    assert "slug" in errors(response)
    assert tables() == before

    data = company_form(name="Studio Mitte", default_language="en", languages=["de", "es"])
    assert client.post(url(Company, "change", company.pk), data).status_code == 302
    company.refresh_from_db()
    assert (company.name, company.languages) == ("Studio Mitte", ["en", "de", "es"])


def test_a_refused_location_row_rolls_back_the_new_company(client):
    before = tables()
    data = company_form(**location_rows((None, "Mitte", CONTROL)))
    response = client.post(url(Company, "add"), data)
    assert response.status_code == 200
    inline = response.context["inline_admin_formsets"][0].formset
    # The domain's refusal at its row (Django takes any address)...
    assert inline.errors == [{"address": ["Control characters are not allowed."]}]
    # ... and the company the form had written is gone with the rest.
    assert tables() == before


def test_location_rows_on_the_company_page_change_and_delete_through_the_domain(client):
    company = CompanyFactory(slug="studio", name="Studio", languages=["de", "en"])
    used = LocationFactory(company=company, name="Used")
    ServiceFactory(company=company, location=used)
    spare = LocationFactory(company=company, name="Spare")
    before = tables()
    rows = location_rows((used.pk, "Used", "", "delete"), (spare.pk, "Spare 2", ""))
    response = client.post(url(Company, "change", company.pk), company_form(**rows))
    assert response.status_code == 200
    inline = response.context["inline_admin_formsets"][0].formset
    assert inline.non_form_errors() == [
        "Used: Services, class sessions or bookings use this location; move or remove them first."
    ]
    # The rename of the other row is rolled back with the refused deletion.
    assert tables() == before

    rows = location_rows((used.pk, "Used", "Hauptstraße 1"), (spare.pk, "Spare", "", "delete"))
    assert client.post(url(Company, "change", company.pk), company_form(**rows)).status_code == 302
    assert list(company.locations.values_list("name", "address")) == [("Used", "Hauptstraße 1")]


def test_company_delete(client, practice):
    book(practice, TOMORROW_10)
    before = tables()
    response = delete(client, Company, practice.company)
    assert "Cannot delete company" in response.content.decode()
    assert tables() == before
    empty = CompanyFactory()
    response = delete(client, Company, empty)
    assert response.redirect_chain[-1][0] == url(Company, "changelist")
    assert not Company.objects.filter(pk=empty.pk).exists()


def test_location_admin_goes_through_the_domain(client):
    company = CompanyFactory()
    data = {"company": company.pk, "name": "Mitte", "timezone": "Europe/Berlin", "_save": "1"}
    before = tables()
    response = client.post(url(Location, "add"), {**data, "address": CONTROL})
    assert errors(response) == {"address": ["Control characters are not allowed."]}
    assert tables() == before
    assert client.post(url(Location, "add"), {**data, "address": "Main St 1"}).status_code == 302
    location = Location.objects.get()
    assert (location.company, location.address) == (company, "Main St 1")

    response = client.post(url(Location, "change", location.pk), {**data, "name": CONTROL})
    assert errors(response) == {"name": CONTROL_ERROR}
    ClassSessionFactory(
        service=ServiceFactory(company=company, kind="class"),
        location=location,
        start=TOMORROW_10,
    )
    before = tables()
    response = delete(client, Location, location)
    assert response.redirect_chain[-1][0] == url(Location, "change", location.pk)
    assert texts(response) == [
        "Services, class sessions or bookings use this location; move or remove them first."
    ]
    assert tables() == before


# -- resources -------------------------------------------------------------------------


def test_resource_admin_goes_through_the_domain(client, practice):
    company = practice.company
    data = {"company": company.pk, "name": "Cabin 2", "kind": "cabin", "_save": "1"}
    before = tables()
    response = client.post(url(Resource, "add"), {**data, "name": CONTROL})
    assert errors(response) == {"name": CONTROL_ERROR}
    assert tables() == before
    response = client.post(url(Resource, "add"), {**data, "active": "on"}, follow=True)
    assert response.status_code == 200
    added = Resource.objects.get(name="Cabin 2")
    assert added.active and not added.online_bookable

    # A resource a class session uses is kept, with the domain's reason.
    ClassSessionFactory(service=practice.yoga, resource=added, start=TOMORROW_10)
    before = tables()
    response = delete(client, Resource, added)
    assert texts(response) == [
        "This resource has bookings or class sessions; deactivate it instead."
    ]
    assert tables() == before
    spare = Resource.objects.create(company=company, name="Spare", kind="cabin")
    assert delete(client, Resource, spare).status_code == 200
    assert not Resource.objects.filter(pk=spare.pk).exists()


# -- staff -----------------------------------------------------------------------------


def staff_form(company, **changes) -> dict:
    data = {"company": company.pk, "name": "Dora", "email": "dora@example.com", "_save": "1"}
    for prefix in ("working_hours", "date_exceptions", "time_off"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    return {**data, **changes}


def test_staff_add_and_change_go_through_the_domain(client, root):
    company = CompanyFactory()
    taken = StaffFactory(company=company, user=root, hours=[])
    before = tables()
    response = client.post(url(StaffMember, "add"), staff_form(company, name=CONTROL))
    assert errors(response) == {"name": CONTROL_ERROR}
    assert tables() == before

    response = client.post(url(StaffMember, "add"), staff_form(company, active="on"))
    assert response.status_code == 302
    dora = StaffMember.objects.get(name="Dora")
    assert dora.active and dora.email == "dora@example.com"

    data = staff_form(company, name="Dora B", email="")
    response = client.post(url(StaffMember, "change", dora.pk), {**data, "name": CONTROL})
    assert errors(response) == {"name": CONTROL_ERROR}
    assert client.post(url(StaffMember, "change", dora.pk), data).status_code == 302
    dora.refresh_from_db()
    assert (dora.name, dora.email, dora.active) == ("Dora B", "", False)
    assert taken.user == root


def test_a_refused_working_hours_row_rolls_back_the_staff_members_change(client):
    # The hours inline takes rows once the staff member exists (availability.admin), so
    # the rollback is seen on the change page: the new name was written by staff_update
    # while the form was validated, and the refused week undoes it.
    company = CompanyFactory()
    dora = StaffFactory(company=company, name="Dora", email="dora@example.com", hours=[])
    before = tables()
    data = staff_form(
        company,
        name="Dora Renamed",
        **{
            "working_hours-TOTAL_FORMS": "1",
            "working_hours-0-weekday": "0",
            "working_hours-0-start": "17:00",
            "working_hours-0-end": "09:00",
        },
    )
    response = client.post(url(StaffMember, "change", dora.pk), data)
    assert response.status_code == 200
    assert any(response.context["inline_admin_formsets"][0].formset.errors)
    assert tables() == before


def test_staff_with_bookings_sessions_or_a_junior_are_not_deleted(client, practice, root):
    created = book(practice, TOMORROW_10)
    booked = created.booking.staff
    with pytest.raises(InvalidState, match="deactivate them instead"):
        staff_delete(staff=booked)
    before = tables()
    assert "Cannot delete staff member" in delete(client, StaffMember, booked).content.decode()
    assert tables() == before

    teacher = practice.staff[0] if booked != practice.staff[0] else practice.staff[1]
    ClassSessionFactory(service=practice.yoga, staff=teacher, start=TOMORROW_10 + timedelta(1))
    before = tables()
    response = delete(client, StaffMember, teacher)
    assert response.redirect_chain[-1][0] == url(StaffMember, "change", teacher.pk)
    assert texts(response) == [
        "This staff member has bookings or class sessions; deactivate them instead."
    ]
    assert tables() == before

    junior = StaffFactory(company=practice.company, hours=[])
    Membership.objects.create(company=practice.company, user=root, role=Role.JUNIOR, staff=junior)
    before = tables()
    response = delete(client, StaffMember, junior)
    assert texts(response) == [
        "A junior membership or API token sees the bookings of this staff member; change it first."
    ]
    assert tables() == before

    free = StaffFactory(company=practice.company)
    assert delete(client, StaffMember, free).status_code == 200
    assert not StaffMember.objects.filter(pk=free.pk).exists()
    assert not WorkingHours.objects.filter(staff_id=free.pk).exists()


def test_deactivate_staff_action(client, practice):
    book(practice, TOMORROW_10)
    response = client.post(
        url(StaffMember, "changelist"),
        {"action": "deactivate", "_selected_action": [s.pk for s in practice.staff]},
        follow=True,
    )
    assert texts(response) == ["3 staff members deactivated."]
    assert not StaffMember.objects.filter(active=True).exists()


# -- memberships and API tokens --------------------------------------------------------


def test_membership_admin_goes_through_the_domain(client, root):
    company = CompanyFactory()
    staff = StaffFactory(company=company, hours=[])
    other = StaffFactory(company=CompanyFactory(), hours=[])
    user = get_user_model().objects.create_user("ines")
    data = {"company": company.pk, "user": user.pk, "role": "junior", "_save": "1"}
    before = tables()
    # A junior sees one staff profile's bookings: without one, the domain refuses.
    response = client.post(url(Membership, "add"), data)
    assert errors(response) == {"staff": ["A junior employee must be tied to a staff member."]}
    response = client.post(url(Membership, "add"), {**data, "staff": other.pk})
    assert "staff" in errors(response)
    assert tables() == before
    assert client.post(url(Membership, "add"), {**data, "staff": staff.pk}).status_code == 302
    membership = Membership.objects.get()
    assert (membership.user, membership.role, membership.staff) == (user, "junior", staff)

    before = tables()
    changed = {"user": user.pk, "role": "junior", "staff": "", "_save": "1"}
    response = client.post(url(Membership, "change", membership.pk), changed)
    assert errors(response) == {"staff": ["A junior employee must be tied to a staff member."]}
    assert tables() == before
    changed["role"] = "senior"
    assert client.post(url(Membership, "change", membership.pk), changed).status_code == 302
    membership.refresh_from_db()
    assert (membership.role, membership.staff) == ("senior", None)

    assert delete(client, Membership, membership).status_code == 200
    assert not Membership.objects.exists()


def test_api_token_admin_goes_through_the_domain(client):
    company = CompanyFactory()
    staff = StaffFactory(company=company, hours=[])
    data = {"company": company.pk, "name": "Zapier", "role": "junior", "_save": "1"}
    before = tables()
    response = client.post(url(ApiToken, "add"), data)
    assert errors(response) == {"staff": ["A junior employee must be tied to a staff member."]}
    response = client.post(url(ApiToken, "add"), {**data, "name": CONTROL})
    assert errors(response)["name"] == CONTROL_ERROR
    assert tables() == before
    response = client.post(url(ApiToken, "add"), {**data, "staff": staff.pk}, follow=True)
    assert any("Copy the secret" in text for text in texts(response))
    token = ApiToken.objects.get()
    assert (token.role, token.staff) == ("junior", staff)

    response = client.post(
        url(ApiToken, "changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
        follow=True,
    )
    assert texts(response) == ["1 token(s) revoked."]
    token.refresh_from_db()
    assert token.revoked
    # A revoked token's secret may have leaked: it is never brought back.
    before = tables()
    changed = {"name": "Zapier", "role": "junior", "staff": staff.pk, "_save": "1"}
    response = client.post(url(ApiToken, "change", token.pk), changed)
    assert errors(response) == {"revoked": ["A revoked token stays revoked; issue a new one."]}
    assert tables() == before
