"""Who may frame which page, and the other security headers (CSP, HSTS, HTTPS redirect)."""

import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings

from rendezvous.companies.models import Company
from rendezvous.public.selectors import encode_start
from tests.conftest import TOMORROW_10, book

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("frozen_now")]


def frame_ancestors(response) -> str:
    policy = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )
    return policy["frame-ancestors"]


def embed_pages(practice) -> list[str]:
    slug = practice.company.slug
    created = book(practice, TOMORROW_10)
    return [
        f"/en/embed/{slug}/",
        f"/en/embed/{slug}/service/{practice.video.pk}/",
        f"/en/embed/{slug}/book/?service={practice.video.pk}&staff=any"
        f"&start={encode_start(TOMORROW_10 + timedelta(hours=2))}",
        f"/en/embed/{slug}/booked/{created.booking.id}/{created.manage_token}/",
    ]


def test_embeds_are_framed_only_by_this_site_by_default(client, practice):
    assert Company._meta.get_field("frame_ancestors").default == "'self'"
    practice.company.refresh_from_db()
    for url in embed_pages(practice):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "X-Frame-Options" not in response, url
        assert frame_ancestors(response) == "'self'", url


def test_embeds_are_framed_by_the_sites_the_company_lists(client, practice):
    practice.company.frame_ancestors = "https://shop.example.com https://*.example.org:8443"
    practice.company.save()
    for url in embed_pages(practice):
        response = client.get(url)
        assert frame_ancestors(response) == (
            "'self' https://shop.example.com https://*.example.org:8443"
        )


def test_the_booked_page_outside_the_embed_is_never_framed(client, practice):
    practice.company.frame_ancestors = "*"
    practice.company.save()
    created = book(practice, TOMORROW_10)
    slug = practice.company.slug
    response = client.get(f"/en/{slug}/booked/{created.booking.id}/{created.manage_token}/")
    assert response["X-Frame-Options"] == "DENY"
    assert frame_ancestors(response) == "'none'"


@pytest.mark.parametrize("url", ["/admin/login/", "/api/v1/docs", "/api/v1/openapi.json"])
def test_admin_and_api_docs_have_a_strict_policy(client, db, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    policy = response["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "style-src 'self';" in policy
    assert "unsafe-inline" not in policy
    assert frame_ancestors(response) == "'none'"


def test_the_admin_pages_of_an_operator_have_the_policy(client, db):
    client.force_login(get_user_model().objects.create_superuser("op", "op@example.com"))
    for url in ("/admin/", "/admin/companies/company/add/"):
        response = client.get(url)
        assert response.status_code == 200
        assert frame_ancestors(response) == "'none'"


# -- the company's list, edited in the admin -------------------------------------------


@pytest.fixture
def operator(client, db):
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com"))
    return client


def company_form(company: Company, frame_ancestors: str) -> dict:
    return {
        "name": company.name,
        "slug": company.slug,
        "timezone": company.timezone,
        "default_language": "en",
        "currency": "EUR",
        "join_window_minutes": "5",
        "cancel_cutoff_hours": "24",
        "reschedule_cutoff_hours": "24",
        "min_notice_minutes": "60",
        "max_days_ahead": "90",
        "slot_step_minutes": "15",
        "frame_ancestors": frame_ancestors,
        "locations-TOTAL_FORMS": "0",
        "locations-INITIAL_FORMS": "0",
        "_save": "1",
    }


def test_the_admin_edits_the_sites_that_may_embed(operator, practice):
    company = practice.company
    url = f"/admin/companies/company/{company.pk}/change/"
    assert "frame_ancestors" in operator.get(url).context["adminform"].form.fields
    allowed = "https://www.example.com http://localhost:8080 https://*.example.org 'self'"
    response = operator.post(url, company_form(company, allowed))
    assert response.status_code == 302, response.context["adminform"].form.errors
    company.refresh_from_db()
    assert company.frame_ancestors == allowed
    embed = operator.get(f"/en/embed/{company.slug}/")
    assert frame_ancestors(embed) == allowed


@pytest.mark.parametrize(
    "value",
    [
        "https://www.example.com/shop",
        "javascript:alert(1)",
        "www.example.com",
        "https://www.example.com;script-src *",
        "'none' https://www.example.com",
        "'unsafe-inline'",
        "data:",
    ],
)
def test_the_admin_refuses_what_is_not_an_origin(operator, practice, value):
    company = practice.company
    before = list(Company.objects.values_list("pk", "frame_ancestors", "name"))
    url = f"/admin/companies/company/{company.pk}/change/"
    response = operator.post(url, company_form(company, value))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "frame_ancestors" in errors
    assert list(Company.objects.values_list("pk", "frame_ancestors", "name")) == before


def test_rows_stored_without_the_check_still_give_a_valid_policy(client, practice):
    practice.company.frame_ancestors = "https://shop.example.com/ javascript:alert(1) ;x"
    practice.company.save()
    policy = client.get(f"/en/embed/{practice.company.slug}/")["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://shop.example.com;" in policy + ";"
    assert "javascript" not in policy and ";x" not in policy


# -- HTTPS in production ---------------------------------------------------------------


def production_settings(**env) -> dict:
    """The settings a process started with `env` reads (settings come from the
    environment at start-up, so a fresh interpreter is the only honest reader)."""
    code = (
        "import json; from rendezvous import settings as s; print(json.dumps({k: getattr(s, k)"
        " for k in ('SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS',"
        " 'SECURE_HSTS_PRELOAD', 'SECURE_SSL_REDIRECT')}))"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SECURE_")}
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=clean | env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.unit
def test_hsts_and_the_https_redirect_come_from_the_environment():
    assert production_settings() == {
        "SECURE_HSTS_SECONDS": 0,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": False,
        "SECURE_HSTS_PRELOAD": False,
        "SECURE_SSL_REDIRECT": False,
    }
    assert production_settings(
        SECURE_HSTS_SECONDS="31536000",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="1",
        SECURE_SSL_REDIRECT="1",
    ) == {
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": False,
        "SECURE_SSL_REDIRECT": True,
    }


@override_settings(SECURE_HSTS_SECONDS=31536000, SECURE_SSL_REDIRECT=True)
def test_with_them_set_plain_http_is_redirected_and_https_gets_hsts(client, practice):
    url = f"/en/{practice.company.slug}/"
    plain = client.get(url)
    assert plain.status_code == 301 and plain["Location"] == f"https://testserver{url}"
    secure = client.get(url, secure=True)
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"] == "max-age=31536000"


# -- the migration ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_companies_that_kept_the_old_default_are_framed_only_by_this_site():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("companies", "0005_plural_names")]
    after = [("companies", "0006_company_frame_ancestors_self_default")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps.get_model("companies", "Company")
    old.objects.create(slug="kept", name="Kept", frame_ancestors="*")
    old.objects.create(slug="chose", name="Chose", frame_ancestors="https://shop.example.com")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    new = executor.loader.project_state(after).apps.get_model("companies", "Company")
    assert dict(new.objects.values_list("slug", "frame_ancestors")) == {
        "kept": "'self'",
        "chose": "https://shop.example.com",
    }
    # Back to the newest state for the tests that follow.
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
