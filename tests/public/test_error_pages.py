"""Error pages: our layout, the visitor's language, a way back; with DEBUG off, as in
production."""

import re
from urllib.parse import urlsplit

import pytest
from django.test import Client

from rendezvous.bookings import domain
from rendezvous.bookings.models import Booking
from rendezvous.meetings.domain import CustomerViewer, meeting_view
from tests.conftest import NOW, TOMORROW_10, book, snapshot
from tests.meetings.conftest import jitsi  # noqa: F401

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("frozen_now")]


@pytest.fixture(autouse=True)
def production(settings):
    settings.DEBUG = False


def heading(response) -> str:
    return re.search(r"<h1[^>]*>(.*?)</h1>", response.content.decode(), re.S).group(1).strip()


def links(response) -> dict[str, str]:
    html = response.content.decode()
    return {
        text.strip(): href
        for href, text in re.findall(r'<a class="button" href="([^"]+)">([^<]+)</a>', html)
    }


def test_unknown_company_in_german(client, db):
    response = client.get("/de/no-such-company/")
    assert response.status_code == 404
    assert heading(response) == "Seite nicht gefunden"
    assert 'lang="de"' in response.content.decode()
    assert links(response) == {"Zur Startseite": "/de/"}
    assert 'href="/static/public/app.css"' in response.content.decode()
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_unknown_staff_member_links_back_to_the_company(client, practice):
    slug = practice.company.slug
    response = client.get(f"/en/{slug}/staff/999999/")
    assert response.status_code == 404
    assert heading(response) == "Page not found"
    assert links(response) == {f"Back to {practice.company.name}": f"/en/{slug}/"}


def test_a_mistyped_step_in_spanish_links_back_to_the_company(client, practice):
    slug = practice.company.slug
    response = client.get(f"/es/{slug}/no/such/step/")
    assert response.status_code == 404
    assert heading(response) == "Página no encontrada"
    assert links(response) == {f"Volver a {practice.company.name}": f"/es/{slug}/"}


def test_an_error_inside_an_embed_stays_in_its_frame(client, practice):
    practice.company.frame_ancestors = "https://shop.example.com"
    practice.company.save()
    slug = practice.company.slug
    response = client.get(f"/da/embed/{slug}/service/999999/")
    assert response.status_code == 404
    assert heading(response) == "Siden blev ikke fundet"
    assert links(response) == {f"Tilbage til {practice.company.name}": f"/da/embed/{slug}/"}
    assert "X-Frame-Options" not in response
    assert "frame-ancestors 'self' https://shop.example.com" in response["Content-Security-Policy"]
    # Its height still reaches the shop's page (app.js checks the listed sites).
    origins = 'data-embed-origins="&#x27;self&#x27; https://shop.example.com"'
    assert origins in response.content.decode()


def test_a_dead_join_link_in_the_browsers_language(client, db):
    response = client.get("/join/" + "x" * 43 + "/", HTTP_ACCEPT_LANGUAGE="ro")
    assert response.status_code == 404
    assert heading(response) == "Pagina nu a fost găsită"
    assert links(response) == {"Mergeți la pagina de start": "/ro/"}


@pytest.mark.usefixtures("jitsi")
def test_a_join_link_after_staff_untick_by_video_is_our_404(client, practice):
    booking = book(
        practice, TOMORROW_10, service=practice.video, staff=practice.staff[0], language="de"
    ).booking
    # The link the customer was given: the one reveal rule's, as on their booking page.
    shown = meeting_view(booking=booking, viewer=CustomerViewer(booking.pk), now=NOW)
    assert shown is not None and shown.join_url
    link = urlsplit(shown.join_url).path
    assert client.get(link).status_code == 200
    domain.booking_set_online(booking=booking, online=False, now=NOW)
    response = client.get(link, HTTP_ACCEPT_LANGUAGE="da")
    assert response.status_code == 404
    assert heading(response) == "Siden blev ikke fundet"
    assert 'lang="da"' in response.content.decode()
    assert links(response) == {"Gå til startsiden": "/da/"}
    assert 'href="/static/public/app.css"' in response.content.decode()


@pytest.mark.urls("tests.public.error_urls")
def test_server_error_in_the_visitors_language(client, db):
    client.raise_request_exception = False
    response = client.get("/de/boom/")
    assert response.status_code == 500
    assert heading(response) == "Etwas ist schiefgelaufen"
    assert links(response) == {"Zur Startseite": "/de/"}
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    response = client.get("/en/practice/boom/")
    assert response.status_code == 500
    assert heading(response) == "Something went wrong"
    assert links(response) == {"Back to the booking page": "/en/practice/"}


def test_a_form_without_its_csrf_token_gets_our_page_and_books_nothing(practice):
    client = Client(enforce_csrf_checks=True)
    before = snapshot()
    response = client.post(f"/de/{practice.company.slug}/book/", {"service": practice.video.pk})
    assert response.status_code == 403
    assert heading(response) == "Bitte versuchen Sie es erneut"
    assert links(response) == {
        f"Zurück zu {practice.company.name}": f"/de/{practice.company.slug}/"
    }
    assert snapshot() == before and not Booking.objects.exists()


def test_a_bad_host_gets_our_400_page(client, db):
    response = client.get("/en/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert heading(response) == "Bad request"


@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v1/companies/practice/nothing/here"])
def test_an_unknown_api_address_answers_in_the_api_error_shape(client, practice, path):
    response = client.get(path, headers={"accept-language": "de"})
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": {"code": "not_found", "message": "Nicht gefunden."}}
