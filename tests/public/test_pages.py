"""The booking site through Django's test client: steps, refusals, escaping, headers."""

import re
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.core import mail
from django.test import override_settings

from rendezvous.bookings import domain
from rendezvous.bookings.models import Booking, BookingStatus
from rendezvous.meetings.models import MeetingAccount
from rendezvous.public import access
from tests.conftest import NOW, TOMORROW_10, book, snapshot

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("frozen_now")]

XSS = "<script>alert(1)</script>"


def start_value(dt) -> str:
    from rendezvous.public.selectors import encode_start

    return encode_start(dt)


def details(**extra) -> dict:
    return {
        "first_name": "Ana",
        "last_name": "Ionescu",
        "email": "ana@example.com",
        "phone": "",
        "notes": "",
        "consent": "on",
        **extra,
    }


def book_url(practice, lang="en", embed=False) -> str:
    prefix = "embed/" if embed else ""
    return f"/{lang}/{prefix}{practice.company.slug}/book/"


def post_booking(client, practice, start=TOMORROW_10, service=None, lang="en", **extra):
    service = service or practice.video
    data = {
        "service": service.pk,
        "staff": "any",
        "start": start_value(start),
        "tz": "Europe/Berlin",
    }
    return client.post(book_url(practice, lang), data | details(**extra))


# -- the steps ------------------------------------------------------------------------


def test_services_are_grouped_with_online_label(client, practice):
    page = client.get(f"/en/{practice.company.slug}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Consultation" in html and "Video call" in html and "Yoga" in html
    assert 'class="badge online"' in html and "Online class" in html


def test_staff_step_offers_any_available(client, practice):
    page = client.get(f"/en/{practice.company.slug}/", {"service": practice.service.pk})
    html = page.content.decode()
    assert "Any available" in html
    assert all(member.name in html for member in practice.staff)


def test_week_view_is_a_radio_group_of_free_times(client, practice):
    book(practice, TOMORROW_10, service=practice.video, staff=practice.staff[0])
    book(practice, TOMORROW_10, service=practice.video, staff=practice.staff[1])
    book(practice, TOMORROW_10, service=practice.video, staff=practice.staff[2])
    page = client.get(
        f"/en/{practice.company.slug}/",
        {"service": practice.video.pk, "staff": "any", "week": "2026-11-30", "tz": "Europe/Berlin"},
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert '<fieldset class="slots">' in html and "<legend>Choose a time</legend>" in html
    assert f'value="{start_value(TOMORROW_10 - timedelta(minutes=30))}"' in html
    # Taken by everyone: simply not offered.
    assert f'value="{start_value(TOMORROW_10)}"' not in html
    assert "Next week" in html


def test_times_in_the_customers_zone_name_the_business_zone(client, practice):
    page = client.get(
        f"/en/{practice.company.slug}/",
        {
            "service": practice.video.pk,
            "staff": "any",
            "week": "2026-11-30",
            "tz": "America/New_York",
        },
    )
    html = page.content.decode()
    assert re.search(r"4:00\sAM", html)  # 10:00 Berlin
    assert "The business is in another time zone" in html and "Europe/Berlin" in html
    assert page.cookies["rendezvous_tz"].value == "America/New_York"


def test_book_end_to_end_confirmed(client, practice):
    # A link typed in by staff (the manual provider): none is known at booking time.
    MeetingAccount.objects.create(company=practice.company, provider="manual")
    response = post_booking(client, practice, lang="de", tz="America/New_York")
    assert response.status_code == 302
    booking = Booking.objects.get()
    assert booking.status == BookingStatus.CONFIRMED and booking.online
    assert booking.language == "de"
    assert booking.timezone == "America/New_York"
    page = client.get(response["Location"])
    html = page.content.decode()
    assert "Ihre Buchung ist bestätigt" in html
    assert "Ihr Video-Link erscheint hier." in html
    assert f"/de/manage/{booking.id}/" in html and "calendar.ics" in html
    assert "calendar.google.com" in html and "outlook.live.com" in html


def test_request_mode_says_request_received(client, practice):
    practice.service.requires_confirmation = True
    practice.service.save()
    response = post_booking(client, practice, service=practice.service)
    booking = Booking.objects.get()
    assert booking.status == BookingStatus.REQUESTED and booking.customer is None
    html = client.get(response["Location"]).content.decode()
    assert "Request received" in html and "confirmation by email" in html


def test_class_seat_and_full_sessions(client, practice):
    page = client.get(
        f"/en/{practice.company.slug}/", {"service": practice.yoga.pk, "week": "2026-11-30"}
    )
    assert "10 seats left" in page.content.decode()
    response = client.post(
        book_url(practice),
        {"service": practice.yoga.pk, "session": practice.session.pk} | details(),
    )
    assert response.status_code == 302
    assert Booking.objects.get().session == practice.session
    practice.session.capacity = 1
    practice.session.save()
    page = client.get(
        f"/en/{practice.company.slug}/", {"service": practice.yoga.pk, "week": "2026-11-30"}
    )
    html = page.content.decode()
    assert "Full" in html and "disabled" in html


def test_class_full_on_submit_is_friendly_and_changes_nothing(client, practice):
    practice.session.capacity = 1
    practice.session.save()
    book(practice, None, service=practice.yoga, session_id=practice.session.pk)
    before = snapshot()
    response = client.post(
        book_url(practice),
        {"service": practice.yoga.pk, "session": practice.session.pk} | details(),
    )
    assert response.status_code == 409
    assert "that time was just taken" in response.content.decode()
    assert snapshot() == before


# -- refusals ---------------------------------------------------------------------------


def test_taken_time_gives_friendly_message_and_changes_nothing(client, practice):
    for member in practice.staff:
        book(practice, TOMORROW_10, service=practice.video, staff=member)
    before = snapshot()
    response = post_booking(client, practice)
    assert response.status_code == 409
    html = response.content.decode()
    assert "Sorry, that time was just taken. Please pick another one." in html
    assert 'role="alert"' in html and '<fieldset class="slots">' in html
    assert snapshot() == before


@pytest.mark.parametrize(
    "extra, field",
    [
        ({"email": "not-an-email"}, "Enter a valid email address."),
        ({"consent": ""}, "Please agree so that we can handle your booking."),
        ({"first_name": ""}, "This field is required."),
        ({"phone": "call me"}, "Enter a valid phone number."),
    ],
)
def test_invalid_details_are_refused(client, practice, extra, field):
    before = snapshot()
    response = post_booking(client, practice, **extra)
    assert response.status_code == 200
    assert field in response.content.decode()
    assert snapshot() == before


def test_honeypot_books_nothing(client, practice):
    before = snapshot()
    response = post_booking(client, practice, website="http://spam.example")
    assert response.status_code == 200
    assert "could not be sent" in response.content.decode()
    assert snapshot() == before


@override_settings(BOOKING_RATE_LIMIT="2/m")
def test_booking_form_is_rate_limited(client, practice):
    post_booking(client, practice, email="bad")
    post_booking(client, practice, email="bad")
    before = snapshot()
    response = post_booking(client, practice)
    assert response.status_code == 429 and response["Retry-After"]
    assert "Too many attempts" in response.content.decode()
    assert snapshot() == before


def test_unknown_company_and_service(client, practice):
    assert client.get("/en/nope/").status_code == 404
    page = client.get(f"/en/{practice.company.slug}/", {"service": "999"})
    assert page.status_code == 200 and "Choose a service" in page.content.decode()
    # A details form without a valid time goes back to the start.
    response = client.get(book_url(practice), {"service": practice.video.pk, "start": "garbage"})
    assert response.status_code == 302


# -- scoped pages -------------------------------------------------------------------------


def test_staff_page_books_with_that_staff_member(client, practice):
    member = practice.staff[2]
    page = client.get(f"/en/{practice.company.slug}/staff/{member.pk}/")
    assert page.status_code == 200
    response = client.post(
        f"/en/{practice.company.slug}/staff/{member.pk}/book/",
        {"service": practice.video.pk, "start": start_value(TOMORROW_10)} | details(),
    )
    assert response.status_code == 302
    assert Booking.objects.get().staff == member


def test_service_page_skips_the_service_step(client, practice):
    page = client.get(f"/en/{practice.company.slug}/service/{practice.video.pk}/")
    assert "Who would you like to see?" in page.content.decode()


# -- manage ---------------------------------------------------------------------------------


def manage_path(created, lang="en"):
    return f"/{lang}/manage/{created.booking.id}/{created.manage_token}/"


def test_manage_link_redirects_into_the_booking_language(client, practice):
    created = book(practice, TOMORROW_10 + timedelta(days=3), language="da")
    response = client.get(f"/manage/{created.booking.id}/{created.manage_token}/")
    assert response.status_code == 302 and response["Location"] == manage_path(created, "da")
    page = client.get(response["Location"])
    assert "Din booking" in page.content.decode()


def test_wrong_token_is_not_found(client, practice):
    created = book(practice, TOMORROW_10)
    assert client.get(f"/en/manage/{created.booking.id}/wrong/").status_code == 404
    assert client.get(f"/manage/{created.booking.id}/wrong/", follow=True).status_code == 404
    before = snapshot()
    assert client.post(f"/en/manage/{created.booking.id}/wrong/cancel/").status_code == 404
    assert snapshot() == before


def test_cancel_from_the_manage_link(client, practice):
    created = book(practice, TOMORROW_10 + timedelta(days=2))
    page = client.get(manage_path(created))
    assert "Cancel booking" in page.content.decode()
    response = client.post(manage_path(created) + "cancel/")
    assert response.status_code == 302
    created.booking.refresh_from_db()
    assert created.booking.status == BookingStatus.CANCELLED
    assert "Your booking is cancelled." in client.get(response["Location"]).content.decode()


def test_cancel_past_the_cutoff_is_refused_with_a_message(client, practice):
    created = book(practice, NOW + timedelta(hours=5))
    page = client.get(manage_path(created)).content.decode()
    assert "can no longer be cancelled online" in page and "24 hours" in page
    before = snapshot()
    response = client.post(manage_path(created) + "cancel/")
    assert response.status_code == 409
    assert "can only be cancelled up to 24 hours" in response.content.decode()
    assert snapshot() == before


def test_reschedule_from_the_manage_link(client, practice):
    created = book(practice, TOMORROW_10 + timedelta(days=2), staff=practice.staff[0])
    new = TOMORROW_10 + timedelta(days=2, hours=3)
    page = client.get(manage_path(created) + "reschedule/", {"week": "2026-11-30"})
    assert page.status_code == 200 and start_value(new) in page.content.decode()
    response = client.post(manage_path(created) + "reschedule/", {"start": start_value(new)})
    assert response.status_code == 302
    created.booking.refresh_from_db()
    assert created.booking.start == new


def test_reschedule_to_a_taken_time_changes_nothing(client, practice):
    created = book(practice, TOMORROW_10 + timedelta(days=2), staff=practice.staff[0])
    taken = TOMORROW_10 + timedelta(days=2, hours=3)
    book(practice, taken, staff=practice.staff[0])
    before = snapshot()
    response = client.post(manage_path(created) + "reschedule/", {"start": start_value(taken)})
    assert response.status_code == 409
    assert "just taken" in response.content.decode()
    assert snapshot() == before


def test_signed_manage_tokens(practice):
    created = book(practice, TOMORROW_10)
    signed = access.signed_manage_token(created.booking)
    assert access.booking_for_manage(created.booking.id, signed) == created.booking
    assert not access.manage_token_valid(created.booking, signed[:-2] + "xx")
    other = book(practice, TOMORROW_10 + timedelta(days=1))
    assert not access.manage_token_valid(other.booking, signed)


def test_ics_download(client, practice):
    created = book(practice, TOMORROW_10)
    response = client.get(manage_path(created) + "calendar.ics")
    assert response["Content-Type"] == "text/calendar"
    body = response.content.decode()
    assert "BEGIN:VEVENT" in body and "DTSTART:20261202T090000Z" in body


def test_join_section_for_online_bookings(client, practice):
    # A link typed in by staff (the manual provider): none is known at booking time.
    MeetingAccount.objects.create(company=practice.company, provider="manual")
    created = book(practice, TOMORROW_10, service=practice.video)
    html = client.get(manage_path(created)).content.decode()
    assert "Your video link will appear here." in html
    assert re.search(r"9:55\sAM", html)  # opens 5 minutes before


# -- My bookings -------------------------------------------------------------------------


def test_my_bookings_same_answer_and_email_only_when_known(
    client, practice, django_capture_on_commit_callbacks
):
    book(practice, TOMORROW_10, n="known")
    mail.outbox.clear()  # the booking's own confirmation
    url = f"/en/{practice.company.slug}/my/"
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post(url, {"email": "customerknown@example.com"})
        unknown = client.post(url, {"email": "stranger@example.com"})
    text = "If we have bookings for this address"
    assert text in known.content.decode() and text in unknown.content.decode()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["customerknown@example.com"]
    link = next(line for line in mail.outbox[0].body.splitlines() if "/my/signin/" in line)
    assert client.get(link.replace("http://testserver", "")).status_code == 200
    response = client.post(link.replace("http://testserver", ""))
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "Signed in as customerknown@example.com" in page and "Consultation" in page


def test_my_bookings_bad_link(client, practice):
    response = client.get(f"/en/{practice.company.slug}/my/signin/not-a-token/")
    assert response.status_code == 400
    assert "invalid or has expired" in response.content.decode()


def test_my_bookings_link_of_another_company_does_not_work(client, practice):
    from tests.factories import CompanyFactory

    other = CompanyFactory()
    token = domain.signin_link_issue(company=other, email="a@example.com")
    response = client.get(f"/en/{practice.company.slug}/my/signin/{token}/")
    assert response.status_code == 400


@override_settings(RATELIMIT_ENABLE=True)
def test_my_bookings_sign_in_is_rate_limited(client, practice):
    url = f"/en/{practice.company.slug}/my/"
    for _ in range(5):
        assert client.post(url, {"email": "x@example.com"}).status_code == 200
    assert client.post(url, {"email": "x@example.com"}).status_code == 429


# -- escaping ----------------------------------------------------------------------------


def test_customer_text_is_escaped_everywhere(client, practice):
    response = post_booking(client, practice, first_name=XSS, last_name=XSS, notes=XSS)
    booking = Booking.objects.get()
    assert booking.first_name == XSS
    token = response["Location"].rstrip("/").rsplit("/", 1)[1]
    pages = [
        response["Location"],
        f"/en/manage/{booking.id}/{token}/",
        f"/en/manage/{booking.id}/{token}/cancel/",
        f"/en/manage/{booking.id}/{token}/reschedule/",
    ]
    session = client.session
    session[access.SESSION_KEY % practice.company.pk] = booking.email
    session.save()
    pages.append(f"/en/{practice.company.slug}/my/")
    for url in pages:
        html = client.get(url).content.decode()
        assert XSS not in html, url
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get(pages[1]).content.decode()


def test_company_and_service_names_are_escaped(client, practice):
    practice.company.name = XSS
    practice.company.save()
    practice.video.name = XSS
    practice.video.save()
    for url in (f"/en/{practice.company.slug}/", f"/en/{practice.company.slug}/share/"):
        assert XSS not in client.get(url).content.decode()


# -- framing and other headers -----------------------------------------------------------


def test_embed_pages_may_be_framed_and_nothing_else(client, practice):
    slug = practice.company.slug
    embed = client.get(f"/en/embed/{slug}/")
    assert embed.status_code == 200
    assert "X-Frame-Options" not in embed
    assert "frame-ancestors 'self'" in embed["Content-Security-Policy"]
    for url in (
        f"/en/{slug}/",
        f"/en/{slug}/my/",
        f"/en/{slug}/share/",
        "/admin/login/",
        f"/api/v1/companies/{slug}",
    ):
        response = client.get(url)
        assert response["X-Frame-Options"] == "DENY", url
    assert "frame-ancestors 'none'" in client.get(f"/en/{slug}/")["Content-Security-Policy"]
    created = book(practice, TOMORROW_10)
    manage = client.get(manage_path(created))
    assert manage["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in manage["Content-Security-Policy"]


def test_frame_ancestors_follow_the_company_setting(client, practice):
    practice.company.frame_ancestors = "https://shop.example.com javascript:alert(1)"
    practice.company.save()
    policy = client.get(f"/en/embed/{practice.company.slug}/")["Content-Security-Policy"]
    # The booking site itself may always frame it (the back office's live preview).
    assert "frame-ancestors 'self' https://shop.example.com;" in policy + ";"
    assert "javascript" not in policy
    for listed, sources in (("*", "*"), ("'self' https://a.example", "'self' https://a.example")):
        practice.company.frame_ancestors = listed
        practice.company.save()
        policy = client.get(f"/en/embed/{practice.company.slug}/")["Content-Security-Policy"]
        assert f"frame-ancestors {sources};" in policy + ";"


def test_embed_booking_works_without_csrf_cookie_and_confirms_in_the_frame(practice):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    data = {"service": practice.video.pk, "staff": "any", "start": start_value(TOMORROW_10)}
    response = client.post(book_url(practice, embed=True), data | details())
    assert response.status_code == 302 and "/embed/" in response["Location"]
    confirmation = client.get(response["Location"])
    assert "X-Frame-Options" not in confirmation
    assert "data-rendezvous-booked" in confirmation.content.decode()


def test_site_booking_form_keeps_csrf(practice):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    data = {"service": practice.video.pk, "staff": "any", "start": start_value(TOMORROW_10)}
    assert client.post(book_url(practice), data | details()).status_code == 403


# -- languages ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "lang, text",
    [
        ("da", "Vælg en ydelse"),
        ("de", "Leistung wählen"),
        ("ro", "Alegeți un serviciu"),
        ("es", "Elija un servicio"),
    ],
)
def test_pages_are_translated(client, practice, lang, text):
    html = client.get(f"/{lang}/{practice.company.slug}/").content.decode()
    assert text in html and f'<html lang="{lang}">' in html


def test_accept_language_chooses_the_prefix(client, practice):
    response = client.get(f"/{practice.company.slug}/", HTTP_ACCEPT_LANGUAGE="da")
    assert response.status_code == 302 and response["Location"] == f"/da/{practice.company.slug}/"


def test_money_and_dates_in_the_locale_format(client, practice):
    practice.video.price = "40.00"
    practice.video.save()
    html = client.get(f"/da/{practice.company.slug}/").content.decode()
    assert "40,00\xa0€" in html
    page = client.get(
        f"/de/{practice.company.slug}/",
        {"service": practice.video.pk, "staff": "any", "week": "2026-11-30"},
    ).content.decode()
    assert "Mittwoch, 2. Dezember 2026" in page


def test_zone_select_keeps_query(client, practice):
    query = urlencode({"service": practice.video.pk, "staff": "any", "tz": "Not/AZone"})
    page = client.get(f"/en/{practice.company.slug}/?{query}")
    assert page.status_code == 200 and "rendezvous_tz" not in page.cookies


@pytest.mark.parametrize("week", ["9999-12-31", "9999-12-27", "0001-01-01"])
def test_week_at_the_edge_of_the_calendar_falls_back_to_the_first_open_week(client, practice, week):
    created = book(practice, TOMORROW_10 + timedelta(days=2), staff=practice.staff[0])
    before = snapshot()
    page = client.get(
        f"/en/{practice.company.slug}/", {"service": practice.service.pk, "week": week}
    )
    assert page.status_code == 200
    moved = client.get(manage_path(created) + "reschedule/", {"week": week})
    assert moved.status_code == 200
    assert snapshot() == before


@pytest.mark.parametrize("start", ["9999-12-31T23:59-12:00", "0001-01-01T00:00+14:00"])
def test_start_at_the_edge_of_the_calendar_is_not_a_500(client, practice, start):
    before = snapshot()
    data = {"service": practice.video.pk, "staff": "any", "start": start, "tz": "Europe/Berlin"}
    response = client.post(book_url(practice), data | details())
    assert response.status_code < 500
    assert snapshot() == before
