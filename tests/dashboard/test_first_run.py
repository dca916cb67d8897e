"""A fresh installation's setup page, the sign-up page (RENDEZVOUS_SIGNUP) and
`rendezvous create_company`: one domain function (companies.domain.company_setup)
makes the company, its admin user and the admin membership, or refuses and writes
nothing."""

import io
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client, override_settings

from rendezvous.companies.models import Company, Membership, Role
from tests.factories import CompanyFactory

from .conftest import PASSWORD, member

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

SETUP = "/office/setup/"
SIGNUP = "/office/signup/"
BARRIER_TIMEOUT = 60


def form(**changes) -> dict:
    values = {
        "name": "Nordic Physio",
        "slug": "nordic",
        "timezone": "Europe/Copenhagen",
        "default_language": "da",
        "languages": ["da", "en"],
        "currency": "dkk",
        "username": "mette",
        "email": "mette@nordic.example",
        "password": "bright-harbour-42",
        "password_again": "bright-harbour-42",
    }
    values.update(changes)
    return values


def nothing_written():
    assert not Company.objects.exists()
    assert not get_user_model().objects.exists()
    assert not Membership.objects.exists()


def test_a_fresh_installation_shows_the_setup_page_signed_out(client):
    for path in ("/office/", SETUP):
        response = client.get(path)
        assert response.status_code == 200
        page = response.content.decode()
        assert "Set up Rendezvous" in page
        assert f'action="{SETUP}"' in page and "csrfmiddlewaretoken" in page
        for name in ("name", "slug", "timezone", "currency", "username", "email"):
            assert f'name="{name}"' in page
        assert 'name="password_again"' in page


def test_setting_up_makes_the_company_and_its_admin_and_signs_them_in(client):
    response = client.post(SETUP, form())
    assert response.status_code == 302 and response["Location"] == "/office/settings/"
    company = Company.objects.get()
    assert (company.name, company.slug, company.timezone) == (
        "Nordic Physio",
        "nordic",
        "Europe/Copenhagen",
    )
    assert company.languages == ["da", "en"] and company.currency == "DKK"
    user = get_user_model().objects.get()
    assert (user.username, user.email) == ("mette", "mette@nordic.example")
    assert user.check_password("bright-harbour-42") and not user.is_superuser
    membership = Membership.objects.get()
    assert (membership.company, membership.user, membership.role) == (company, user, Role.ADMIN)
    assert client.session["_auth_user_id"] == str(user.pk)
    page = client.get("/office/settings/").content.decode()
    assert "Nordic Physio is set up" in page
    assert client.get("/office/", follow=True).redirect_chain[-1][0] == "/office/calendar/"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"slug": "nordic physio!"}, "slug", "Letters, digits, - and _ only"),
        ({"timezone": "Mars/Olympus"}, "timezone", "Choose a time zone from the list."),
        ({"password": "123", "password_again": "123"}, "password", "too short"),
        ({"password": "password", "password_again": "password"}, "password", "too common"),
        ({"password_again": "bright-harbour-43"}, "password_again", "The two passwords differ."),
        ({"username": "mette nordic"}, "username", "Enter a valid username"),
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        ({"name": ""}, "name", "This field is required."),
        ({"currency": "kroner"}, "currency", "three-letter currency code"),
        ({"languages": [], "default_language": "xx"}, "languages", "Choose one or more of"),
    ],
)
def test_a_refused_form_shows_its_error_and_writes_nothing(client, changes, field, message):
    response = client.post(SETUP, form(**changes))
    assert response.status_code == 422
    page = response.content.decode()
    assert message in page
    assert "has-error" in page
    nothing_written()
    assert "_auth_user_id" not in client.session
    # What was typed stays in the form, the passwords excepted.
    if field != "name":
        assert 'value="Nordic Physio"' in page
    assert "bright-harbour" not in page


def test_every_bad_field_is_shown_at_once(client):
    response = client.post(
        SETUP, form(slug="", timezone="Nowhere", password="short", password_again="shorter")
    )
    assert response.status_code == 422
    page = response.content.decode()
    for message in (
        "Letters, digits, - and _ only",
        "Choose a time zone from the list.",
        "The two passwords differ.",
        "too short",
    ):
        assert message in page
    nothing_written()


def test_a_password_like_the_username_is_refused(client):
    response = client.post(
        SETUP,
        form(username="harbourmaster", password="harbourmaster", password_again="harbourmaster"),
    )
    assert response.status_code == 422
    assert "too similar" in response.content.decode()
    nothing_written()


def test_the_setup_page_refuses_a_post_without_its_csrf_token():
    response = Client(enforce_csrf_checks=True).post(SETUP, form())
    assert response.status_code == 403
    nothing_written()


def test_once_set_up_the_setup_page_is_gone(client):
    assert client.post(SETUP, form()).status_code == 302
    client.logout()
    assert client.get(SETUP).status_code == 404
    response = client.post(SETUP, form(slug="again", username="again", email="again@x.example"))
    assert response.status_code == 404
    assert Company.objects.count() == 1 and get_user_model().objects.count() == 1
    # /office/ is the sign-in again.
    response = client.get("/office/")
    assert response.status_code == 302 and response["Location"].startswith("/office/account/login/")


def test_any_company_or_any_user_closes_the_setup_page(client):
    CompanyFactory(slug="made-in-the-admin")
    assert client.get(SETUP).status_code == 404
    assert client.get("/office/").status_code == 302
    Company.objects.all().delete()
    get_user_model().objects.create_superuser("operator", "op@x.example", PASSWORD)
    assert client.get(SETUP).status_code == 404
    response = client.post(SETUP, form())
    assert response.status_code == 404
    assert not Company.objects.exists() and get_user_model().objects.count() == 1


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_two_people_racing_for_the_setup_page_make_one_company(transactional_db):
    barrier = threading.Barrier(2)

    def post(i: int) -> int:
        try:
            visitor = Client()
            connection.ensure_connection()
            barrier.wait(timeout=BARRIER_TIMEOUT)
            response = visitor.post(
                SETUP, form(slug=f"racer-{i}", username=f"racer{i}", email=f"r{i}@x.example")
            )
            return response.status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        statuses = sorted(pool.map(post, range(2)))
    assert statuses == [302, 404]
    company = Company.objects.get()
    user = get_user_model().objects.get()
    assert company.slug == f"racer-{user.username[-1]}"
    assert Membership.objects.get().user == user


# -- sign-up ---------------------------------------------------------------------------


def test_sign_up_is_closed_by_default(client, practice):
    assert client.get(SIGNUP).status_code == 404
    assert client.post(SIGNUP, form()).status_code == 404
    assert list(Company.objects.all()) == [practice.company]
    assert not get_user_model().objects.exists()


@override_settings(SIGNUP="open")
def test_open_sign_up_starts_another_company_and_signs_its_admin_in(client, practice):
    page = client.get(SIGNUP).content.decode()
    assert "Start your company" in page and f'action="{SIGNUP}"' in page
    response = client.post(SIGNUP, form())
    assert response.status_code == 302 and response["Location"] == "/office/settings/"
    company = Company.objects.get(slug="nordic")
    user = get_user_model().objects.get(username="mette")
    assert Membership.objects.get(user=user).company == company
    assert client.session["_auth_user_id"] == str(user.pk)
    page = client.get("/office/settings/").content.decode()
    assert "Nordic Physio" in page
    # Signed in, the page sends them to the office instead.
    assert client.get(SIGNUP)["Location"] == "/office/"


@override_settings(SIGNUP="open")
def test_open_sign_up_refuses_a_taken_slug_username_or_email(client, practice):
    member(practice.company, "boss", Role.ADMIN)
    before = (Company.objects.count(), get_user_model().objects.count(), Membership.objects.count())
    for changes, message in (
        ({"slug": practice.company.slug}, "Another company has this slug."),
        ({"username": "BOSS"}, "Another account already has this name."),
        ({"email": "boss@staff.example"}, "Another account already uses this email."),
        ({"username": "boss@staff.example"}, "Another account already has this name."),
    ):
        response = client.post(SIGNUP, form(**changes))
        assert response.status_code == 422
        assert message in response.content.decode()
        assert "_auth_user_id" not in client.session
    after = (Company.objects.count(), get_user_model().objects.count(), Membership.objects.count())
    assert after == before


@override_settings(SIGNUP="open")
def test_open_sign_up_checks_the_csrf_token(practice):
    response = Client(enforce_csrf_checks=True).post(SIGNUP, form())
    assert response.status_code == 403
    assert not Company.objects.filter(slug="nordic").exists()


# -- rendezvous create_company ---------------------------------------------------------


def create(*args) -> str:
    out = io.StringIO()
    call_command("create_company", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


ARGS = [
    "--name",
    "Bucharest Dental",
    "--slug",
    "buc",
    "--timezone",
    "Europe/Bucharest",
    "--languages",
    "ro,en",
    "--currency",
    "RON",
    "--admin-username",
    "ioana",
    "--admin-email",
    "ioana@buc.example",
]


def test_the_command_makes_a_company_and_its_admin(practice):
    out = create(*ARGS, "--admin-password", "quiet-forest-77")
    company = Company.objects.get(slug="buc")
    assert (company.name, company.timezone, company.languages, company.currency) == (
        "Bucharest Dental",
        "Europe/Bucharest",
        ["ro", "en"],
        "RON",
    )
    user = get_user_model().objects.get(username="ioana")
    assert user.email == "ioana@buc.example" and user.check_password("quiet-forest-77")
    assert Membership.objects.get(user=user).role == Role.ADMIN
    assert "Created company Bucharest Dental (buc" in out and "ioana" in out
    assert "/office/" in out and "quiet-forest-77" not in out


def test_the_command_reads_the_password_from_the_environment(monkeypatch):
    monkeypatch.setenv("RENDEZVOUS_ADMIN_PASSWORD", "quiet-forest-77")
    create(*ARGS)
    assert get_user_model().objects.get(username="ioana").check_password("quiet-forest-77")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--slug", "b u c", "--admin-password", "quiet-forest-77"], "--slug: Letters, digits"),
        (["--timezone", "Europe/Nowhere", "--admin-password", "quiet-forest-77"], "--timezone"),
        (["--languages", "ro,xx", "--admin-password", "quiet-forest-77"], "--languages"),
        (["--admin-password", "123"], "the password: This password is too short"),
        (["--admin-email", "nope", "--admin-password", "quiet-forest-77"], "--admin-email"),
        ([], "Give the admin's password"),
    ],
)
def test_the_command_refuses_bad_input_and_writes_nothing(practice, monkeypatch, extra, message):
    monkeypatch.delenv("RENDEZVOUS_ADMIN_PASSWORD", raising=False)
    # Later options win: each case overrides one of ARGS.
    with pytest.raises(CommandError) as refused:
        create(*ARGS, *extra)
    assert message in str(refused.value)
    assert list(Company.objects.all()) == [practice.company]
    assert not get_user_model().objects.exists()
    assert not Membership.objects.exists()


def test_the_command_refuses_a_taken_slug(practice):
    with pytest.raises(CommandError, match="--slug: Another company has this slug"):
        create(*ARGS, "--slug", practice.company.slug, "--admin-password", "quiet-forest-77")
    assert Company.objects.count() == 1 and not get_user_model().objects.exists()
