"""Service, class and category texts per language: the fallback rule, its checks, and
every place a customer reads them (booking pages, public API, emails, calendar files)."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from icalendar import Calendar

from rendezvous.catalog import domain as catalog
from rendezvous.catalog.domain import ServiceFields
from rendezvous.catalog.models import Category, Service
from rendezvous.core.errors import ValidationFailed
from rendezvous.notifications.domain import outbox_deliver_due
from tests.conftest import TOMORROW_10, book, snapshot
from tests.factories import ServiceFactory
from tests.notifications.conftest import calendar_part

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("frozen_now")]

GERMAN = {"de": {"name": "Beratung", "description": "Eine Stunde in der Praxis."}}


@pytest.fixture
def german(practice):
    """The practice (default language English) with its consultation in German too, in
    a category that is translated as well."""
    category = Category.objects.create(
        company=practice.company, name="Talks", translations={"de": {"name": "Gespräche"}}
    )
    service = practice.service
    service.description = "An hour at the practice."
    service.category = category
    service.translations = GERMAN
    service.save()
    return practice


def services_page(client, practice, lang: str) -> str:
    response = client.get(f"/{lang}/{practice.company.slug}/")
    assert response.status_code == 200
    return response.content.decode()


# -- the rule -------------------------------------------------------------------------


def test_text_in_the_language_else_the_company_default_else_the_base_field(practice):
    company = practice.company
    company.languages = ["de", "en", "da"]
    company.save()
    service = Service.objects.get(pk=practice.service.pk)
    service.translations = {"de": {"name": "Beratung"}, "en": {"name": "Consultation (en)"}}

    assert service.text_in("name", "en") == "Consultation (en)"
    # Danish is missing: the company's default language (German) stands in.
    assert service.text_in("name", "da") == "Beratung"
    # No text of that field in any language: the base field.
    assert service.text_in("description", "da") == service.description
    service.translations = {}
    assert service.text_in("name", "de") == "Consultation"


def test_text_in_reads_no_company_unless_it_must(practice):
    service = Service.objects.get(pk=practice.service.pk)  # without its company
    service.translations = GERMAN
    with CaptureQueriesContext(connection) as queries:
        assert service.text_in("name", "de") == "Beratung"
        service.translations = {}
        assert service.text_in("name", "da") == "Consultation"
    assert len(queries) == 0


# -- the checks -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "translations, field",
    [
        ({"fr": {"name": "Consultation"}}, "translations.fr"),  # not offered by the company
        ({"de": {"name": "Bera\r\ntung"}}, "translations.de.name"),
        ({"de": {"name": "Bera\u202etung"}}, "translations.de.name"),
        ({"de": {"description": "Eine\x00Stunde"}}, "translations.de.description"),
        ({"de": {"name": "x" * 201}}, "translations.de.name"),
        ({"de": {"price": "10"}}, "translations.de.price"),
    ],
)
def test_bad_translations_are_refused_and_change_nothing(practice, translations, field):
    before = (list(Service.objects.order_by("id").values()), snapshot())
    with pytest.raises(ValidationFailed) as refused:
        catalog.service_update(
            service=practice.service, fields=ServiceFields(translations=translations)
        )
    assert field in refused.value.fields
    assert (list(Service.objects.order_by("id").values()), snapshot()) == before


def test_translations_keep_line_breaks_in_descriptions_and_drop_empty_texts(practice):
    translations = {
        "de": {"name": " Beratung ", "description": "Eine\nStunde"},
        "da": {"name": "", "description": ""},
    }
    service = catalog.service_update(
        service=practice.service, fields=ServiceFields(translations=translations)
    )
    service.refresh_from_db()
    assert service.translations == {"de": {"name": "Beratung", "description": "Eine\nStunde"}}


def test_a_language_the_company_dropped_is_refused(practice):
    practice.company.languages = ["en", "da"]
    practice.company.save()
    with pytest.raises(ValidationFailed) as refused:
        catalog.service_create(
            company=practice.company,
            fields=ServiceFields(name="X", duration_minutes=30, translations=GERMAN),
        )
    assert "translations.de" in refused.value.fields
    assert not Service.objects.filter(name="X").exists()


# -- the booking pages ----------------------------------------------------------------


def test_the_booking_page_in_german_shows_the_german_texts(client, german):
    html = services_page(client, german, "de")
    assert "Beratung" in html and "Eine Stunde in der Praxis." in html and "Gespräche" in html
    assert "An hour at the practice." not in html and "Talks" not in html
    # The service's own page (its title, the summary) in German too.
    page = client.get(f"/de/{german.company.slug}/service/{german.service.pk}/")
    assert page.status_code == 200 and "Beratung" in page.content.decode()


def test_a_language_without_a_translation_shows_the_default_texts(client, german):
    html = services_page(client, german, "es")
    assert "Consultation" in html and "An hour at the practice." in html and "Talks" in html
    assert "Beratung" not in html
    assert "Consultation" in services_page(client, german, "en")


def test_services_page_queries_do_not_grow_with_the_services(client, german):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            services_page(client, german, "da")  # every translation missing: falls back
        return len(captured)

    few = queries()
    category = Category.objects.create(
        company=german.company, name="More", translations={"de": {"name": "Mehr"}}
    )
    for n in range(6):
        ServiceFactory(
            company=german.company,
            name=f"Extra {n}",
            category=category,
            translations={"de": {"name": f"Extra {n} (de)", "description": "Text"}},
            staff=german.staff,
        )
    assert queries() == few


def test_the_booking_summary_and_manage_page_and_ics_are_in_the_visitors_language(client, german):
    created = book(german, TOMORROW_10 + timedelta(days=2), service=german.service, language="de")
    manage = f"/de/manage/{created.booking.id}/{created.manage_token}/"
    assert "Beratung" in client.get(manage).content.decode()
    ics = Calendar.from_ical(client.get(manage + "calendar.ics").content)
    assert str(ics.events[0]["SUMMARY"]).startswith("Beratung – ")
    assert "Consultation" in client.get(manage.replace("/de/", "/es/", 1)).content.decode()
    assert "Beratung" in client.get(manage + "reschedule/").content.decode()


# -- the public API -------------------------------------------------------------------


def api_services(client, practice, headers=None, **query) -> list[dict]:
    url = f"/api/v1/companies/{practice.company.slug}/services"
    response = client.get(url, query, headers=headers or {})
    assert response.status_code == 200, response.content
    return response.json()


def consultation(rows: list[dict]) -> dict:
    return next(r for r in rows if r["name"] in ("Consultation", "Beratung"))


def test_api_services_in_lang_else_accept_language_else_the_default(client, german):
    row = consultation(api_services(client, german, lang="de"))
    assert (row["name"], row["description"], row["category"]) == (
        "Beratung",
        "Eine Stunde in der Praxis.",
        "Gespräche",
    )
    assert consultation(api_services(client, german, {"Accept-Language": "de-AT,de;q=0.9"}))[
        "name"
    ] == ("Beratung")
    # `lang` wins over the header.
    assert (
        consultation(api_services(client, german, {"Accept-Language": "de"}, lang="en"))["name"]
        == "Consultation"
    )
    assert consultation(api_services(client, german))["name"] == "Consultation"
    assert consultation(api_services(client, german, {"Accept-Language": "fr"}))["category"] == (
        "Talks"
    )


def test_api_services_in_no_header_take_the_company_default_not_english(client, german):
    company = german.company
    company.languages = ["de", "en"]
    company.save()
    assert consultation(api_services(client, german))["name"] == "Beratung"


def test_api_refuses_a_lang_the_company_does_not_offer(client, german):
    german.company.languages = ["en", "de"]
    german.company.save()
    response = client.get(f"/api/v1/companies/{german.company.slug}/services", {"lang": "da"})
    assert response.status_code == 400
    assert "lang" in response.json()["error"]["fields"]


def test_staff_api_writes_and_reads_translations(client, german):
    from rendezvous.companies.models import Role
    from tests.api.staff_support import M, send, token_for

    admin = token_for(german.company, Role.ADMIN)
    url = f"{M}/services/{german.service.pk}"
    body = {"translations": {"da": {"name": "Konsultation"}}}
    response = send(client, "patch", url, body, admin)
    assert response.status_code == 200, response.content
    assert response.json()["translations"] == {"da": {"name": "Konsultation"}}

    before = list(Service.objects.order_by("id").values())
    bad = {"translations": {"da": {"name": "Kon\nsultation"}}}
    response = send(client, "patch", url, bad, admin)
    assert response.status_code == 400
    assert "translations.da.name" in response.json()["error"]["fields"]
    assert list(Service.objects.order_by("id").values()) == before


# -- emails ---------------------------------------------------------------------------


def test_the_confirmation_email_in_german_names_the_german_service(german, smtp):
    created = book(german, TOMORROW_10, service=german.service, n="de", language="de")
    assert outbox_deliver_due() == 2
    [received] = smtp.to("customerde@example.com")
    message = received.message
    assert message["Subject"].startswith("Buchung bestätigt: Beratung am ")
    assert "Was: Beratung bei " in message.get_body(("plain",)).get_content()
    _method, calendar = calendar_part(message)
    assert str(calendar.events[0]["SUMMARY"]).startswith("Beratung – ")
    # The staff member reads the company's default language: the base name.
    [to_staff] = smtp.to(created.booking.staff.email)
    assert to_staff.message["Subject"].startswith("New booking: Consultation")


def test_an_email_in_a_language_without_a_translation_names_the_default(german, smtp):
    book(german, TOMORROW_10, service=german.service, n="ro", language="ro")
    outbox_deliver_due()
    [received] = smtp.to("customerro@example.com")
    assert "Consultation" in received.message["Subject"]


# -- the admin ------------------------------------------------------------------------


@pytest.fixture
def operator(client, db):
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com"))
    return client


def category_form(company, **extra) -> dict:
    return {"company": company.pk, "name": "Talks", "position": "0", **extra}


def test_admin_edits_a_categorys_translations(operator, practice):
    practice.company.languages = ["en", "de"]
    practice.company.save()
    add = reverse("admin:catalog_category_add")
    response = operator.post(add, category_form(practice.company, name_de="Gespräche"))
    assert response.status_code == 302
    category = Category.objects.get(name="Talks")
    assert category.translations == {"de": {"name": "Gespräche"}}

    change = reverse("admin:catalog_category_change", args=[category.pk])
    form = operator.get(change).context["adminform"].form
    assert form.initial["name_de"] == "Gespräche"
    response = operator.post(change, category_form(practice.company, name_de=""))
    assert response.status_code == 302
    category.refresh_from_db()
    assert category.translations == {}


@pytest.mark.parametrize(
    "extra, field",
    [({"name_da": "Samtaler"}, "name_da"), ({"name_de": "Ge\u202espräche"}, "name_de")],
)
def test_admin_refuses_bad_translations_and_changes_nothing(operator, practice, extra, field):
    practice.company.languages = ["en", "de"]
    practice.company.save()
    category = Category.objects.create(company=practice.company, name="Talks")
    change = reverse("admin:catalog_category_change", args=[category.pk])
    response = operator.post(change, category_form(practice.company, **extra))
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    category.refresh_from_db()
    assert category.translations == {}


def test_admin_service_form_shows_and_saves_translations(operator, german):
    service = german.service
    change = reverse("admin:catalog_service_change", args=[service.pk])
    form = operator.get(change).context["adminform"].form
    assert (form.initial["name_de"], form.initial["description_de"]) == (
        "Beratung",
        "Eine Stunde in der Praxis.",
    )
    data = {
        "name": service.name,
        "kind": service.kind,
        "category": service.category_id,
        "description": service.description,
        "duration_minutes": "60",
        "buffer_before_minutes": "0",
        "buffer_after_minutes": "0",
        "price": "40",
        "position": "0",
        "staff": [m.pk for m in german.staff],
        "active": "on",
        "name_de": "Beratung",
        "description_de": "",
        "name_es": "Consulta",
        "description_es": "Una hora\nen la consulta.",
    }
    response = operator.post(change, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    service.refresh_from_db()
    assert service.translations == {
        "de": {"name": "Beratung"},
        "es": {"name": "Consulta", "description": "Una hora\nen la consulta."},
    }
