"""The email settings (/office/settings/emails/) and the outbox (/office/settings/outbox/):
a template per event, language and scope saved through template_save and used for the
next booking's email; the domain's refusals shown beside the field with nothing
written; reset to default (template_delete); the live preview; "send me a test"
through the outbox to a real SMTP server; the outbox's states and resend. Admins
only: 404 for seniors and juniors on every URL."""

import re
from datetime import timedelta

import pytest

from rendezvous.notifications.defaults import default_template
from rendezvous.notifications.domain import outbox_deliver_due
from rendezvous.notifications.events import Event
from rendezvous.notifications.models import MessageTemplate, OutboxMessage, OutboxState
from tests.conftest import TOMORROW_10, book
from tests.factories import CompanyFactory, ServiceFactory

from .test_office_bookings import signed_in

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

EMAILS = "/office/settings/emails/"
OUTBOX = "/office/settings/outbox/"
CONFIRMED_DA = f"{EMAILS}booking_confirmed/da/"


def templates() -> list[tuple]:
    return list(
        MessageTemplate.objects.order_by("pk").values_list(
            "pk", "event", "language", "service", "staff", "subject", "body"
        )
    )


def outbox_rows() -> list[tuple]:
    return list(
        OutboxMessage.objects.order_by("pk").values_list("pk", "state", "attempts", "message_id")
    )


def failed_email(company, to_email: str) -> OutboxMessage:
    """An email given up on, written as the outbox writes one."""
    return OutboxMessage.objects.create(
        company=company,
        event=Event.REMINDER,
        to_email=to_email,
        language="en",
        subject="Your reminder",
        body_text="x",
        body_html="x",
        message_id=f"<{to_email}>",
        state=OutboxState.FAILED,
        next_attempt_at=TOMORROW_10,
    )


def plain(received) -> str:
    return received.message.get_body(("plain",)).get_content()


def test_a_danish_confirmation_with_the_join_link_is_used_for_the_next_booking(
    client, practice, team, smtp
):
    signed_in(client, team["admin"])
    page = client.get(CONFIRMED_DA).content.decode()
    subject, body = default_template(Event.BOOKING_CONFIRMED, "da")
    assert subject in page and "The built-in wording is used" in page
    response = client.post(
        CONFIRMED_DA,
        {
            "subject": "Tak, [customer_first_name]",
            "body": "Din videokonsultation [booking_start].\nMødelink: [online_meeting_link]",
        },
    )
    assert response.status_code == 302 and response["Location"] == CONFIRMED_DA
    saved = MessageTemplate.objects.get()
    assert (saved.event, saved.language, saved.service, saved.staff) == (
        "booking_confirmed",
        "da",
        None,
        None,
    )
    listing = client.get(EMAILS).content.decode()
    assert "(your wording)" in listing
    booking = book(practice, TOMORROW_10, service=practice.video, language="da", n="dk").booking
    outbox_deliver_due()
    (received,) = smtp.to(booking.email)
    assert received.message["Subject"] == f"Tak, {booking.first_name}"
    text = plain(received)
    assert "Din videokonsultation onsdag den 2. december 2026" in text
    assert re.search(r"Mødelink:\s+http://testserver/join/\S+", text), text


def test_a_staff_only_variable_in_a_customer_email_is_refused_and_nothing_is_saved(
    client, practice, team
):
    signed_in(client, team["admin"])
    page = client.get(CONFIRMED_DA).content.decode()
    # The picker offers only the customer's variables.
    assert 'data-variable="[online_meeting_link]"' in page
    assert "[online_meeting_provider_link]" not in page
    staff_page = client.get(f"{EMAILS}booking_confirmed_staff/da/").content.decode()
    assert 'data-variable="[online_meeting_provider_link]"' in staff_page
    before = templates()
    response = client.post(
        CONFIRMED_DA,
        {"subject": "Bekræftet", "body": "Vært: [online_meeting_provider_link]"},
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "For emails to staff members only: [online_meeting_provider_link]." in page
    # The text stays in the form to be mended.
    assert "Vært: [online_meeting_provider_link]</textarea>" in page
    assert templates() == before


def test_unknown_variables_and_empty_fields_are_refused_in_the_users_language(
    client, practice, team
):
    signed_in(client, team["admin"])
    before = templates()
    response = client.post(CONFIRMED_DA, {"subject": "Hej [first_name]", "body": ""})
    assert response.status_code == 422
    page = response.content.decode()
    assert "Unknown variables: [first_name]." in page
    assert "This field is required." in page
    client.cookies.load({"django_language": "da"})
    response = client.post(CONFIRMED_DA, {"subject": "Hej [first_name]", "body": "x"})
    assert response.status_code == 422
    assert "Ukendte variabler: [first_name]." in response.content.decode()
    assert templates() == before


def test_reset_to_default_deletes_the_companys_version(client, practice, team):
    signed_in(client, team["admin"])
    client.post(CONFIRMED_DA, {"subject": "Eget emne", "body": "Egen tekst"})
    page = client.get(CONFIRMED_DA).content.decode()
    assert "Eget emne" in page and "Reset to default" in page
    response = client.post(f"{CONFIRMED_DA}reset/")
    assert response.status_code == 302 and response["Location"] == CONFIRMED_DA
    assert templates() == []
    page = client.get(CONFIRMED_DA).content.decode()
    assert default_template(Event.BOOKING_CONFIRMED, "da")[0] in page
    assert "Reset to default" not in page


def test_a_version_for_one_service_is_used_for_its_bookings_only(client, practice, team, smtp):
    signed_in(client, team["admin"])
    video = practice.video.pk
    page = client.get(f"{CONFIRMED_DA}?service={video}").content.decode()
    assert f'<option value="{video}" selected>' in page
    # The preview's sample booking is of that service.
    preview = client.post(
        f"{CONFIRMED_DA}preview/", {"service": str(video), "subject": "[service_name]", "body": "x"}
    ).content.decode()
    assert '<span class="preview-subject">Video call</span>' in preview
    response = client.post(
        CONFIRMED_DA, {"service": str(video), "subject": "Video: [service_name]", "body": "Hej"}
    )
    assert response["Location"] == f"{CONFIRMED_DA}?service={video}"
    saved = MessageTemplate.objects.get()
    assert (saved.service, saved.staff) == (practice.video, None)
    assert "Video call" in client.get(EMAILS).content.decode()
    by_video = book(practice, TOMORROW_10, service=practice.video, language="da", n="v").booking
    visit = book(practice, TOMORROW_10, service=practice.service, language="da", n="c").booking
    outbox_deliver_due()
    assert smtp.to(by_video.email)[0].message["Subject"] == "Video: Video call"
    assert smtp.to(visit.email)[0].message["Subject"].startswith("Booking bekræftet")
    # Resetting the service's version leaves the company's emails alone.
    client.post(f"{CONFIRMED_DA}reset/", {"service": str(video)})
    assert templates() == []
    # One staff member's own version, for every service they give.
    ben = practice.staff[1]
    response = client.post(
        CONFIRMED_DA, {"staff": str(ben.pk), "subject": "Hos [staff_name]", "body": "Hej"}
    )
    assert response["Location"] == f"{CONFIRMED_DA}?staff={ben.pk}"
    with_ben = book(
        practice, TOMORROW_10 + timedelta(hours=3), staff=ben, language="da", n="ben"
    ).booking
    outbox_deliver_due()
    assert smtp.to(with_ben.email)[0].message["Subject"] == "Hos Ben"


def test_another_companys_service_as_the_scope_is_404(client, practice, team):
    stranger = ServiceFactory(company=CompanyFactory(slug="elsewhere"))
    signed_in(client, team["admin"])
    assert client.get(f"{CONFIRMED_DA}?service={stranger.pk}").status_code == 404
    response = client.post(CONFIRMED_DA, {"service": str(stranger.pk), "subject": "S", "body": "B"})
    assert response.status_code == 404
    assert client.get(f"{EMAILS}no_such_event/da/").status_code == 404
    assert client.get(f"{EMAILS}booking_confirmed/xx/").status_code == 404
    assert templates() == []


def test_the_preview_renders_the_posted_text_with_sample_data_and_writes_nothing(
    client, practice, team
):
    signed_in(client, team["admin"])
    response = client.post(
        f"{CONFIRMED_DA}preview/",
        {"subject": "Hej [customer_first_name]", "body": "Link: [online_meeting_link]"},
    )
    assert response.status_code == 200
    fragment = response.content.decode()
    assert "Hej Ana" in fragment
    # The editor's policy allows the email's own style attributes, and no other.
    policy = client.get(CONFIRMED_DA)["Content-Security-Policy"]
    assert "style-src 'self' 'unsafe-hashes' 'sha256-" in policy
    assert "unsafe-inline" not in policy and "script-src 'self';" in policy
    assert "http://testserver/join/sample/" in fragment
    assert "Saving this text would be refused" not in fragment
    refused = client.post(
        f"{CONFIRMED_DA}preview/", {"subject": "Hej", "body": "[online_meeting_provider_link]"}
    ).content.decode()
    assert "For emails to staff members only: [online_meeting_provider_link]." in refused
    assert templates() == [] and outbox_rows() == []


def test_send_me_a_test_reaches_the_signed_in_user_and_saves_nothing(client, practice, team, smtp):
    signed_in(client, team["admin"])
    response = client.post(
        f"{CONFIRMED_DA}test/",
        {"subject": "Prøve [customer_first_name]", "body": "Mødelink: [online_meeting_link]"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "A test with sample data is on its way to boss@staff.example" in page
    assert "Mødelink: [online_meeting_link]</textarea>" in page
    assert templates() == []
    outbox_deliver_due()
    (received,) = smtp.to("boss@staff.example")
    assert received.message["Subject"] == "Prøve Ana"
    assert "http://testserver/join/sample/" in plain(received)
    # A text that could not be saved is not sent either.
    before = outbox_rows()
    response = client.post(f"{CONFIRMED_DA}test/", {"subject": "Prøve", "body": "[nope]"})
    assert response.status_code == 422
    assert "Unknown variables: [nope]." in response.content.decode()
    assert outbox_rows() == before


def test_the_outbox_lists_states_and_resends(client, practice, team, smtp, frozen_now):
    smtp.refuse.add("customerbounce@example.com")
    failed = book(practice, TOMORROW_10, n="bounce").booking
    sent = book(practice, TOMORROW_10 + timedelta(hours=2), n="fine").booking
    outbox_deliver_due()
    signed_in(client, team["admin"])
    page = client.get(OUTBOX).content.decode()
    assert "customerbounce@example.com" in page and "customerfine@example.com" in page
    assert "Failed" in page and "Sent" in page and "550" in page
    only_failed = client.get(f"{OUTBOX}?state=failed").content.decode()
    assert "customerbounce@example.com" in only_failed
    assert "customerfine@example.com" not in only_failed
    bounce = OutboxMessage.objects.get(booking=failed, event=Event.BOOKING_CONFIRMED)
    smtp.refuse.clear()
    response = client.post(f"{OUTBOX}{bounce.pk}/resend/", follow=True)
    assert "Queued again" in response.content.decode()
    bounce.refresh_from_db()
    assert (bounce.state, bounce.attempts) == (OutboxState.QUEUED, 0)
    outbox_deliver_due()
    assert len(smtp.to("customerbounce@example.com")) == 1
    # A sent email is sent once more as a new one.
    done = OutboxMessage.objects.get(booking=sent, event=Event.BOOKING_CONFIRMED)
    client.post(f"{OUTBOX}{done.pk}/resend/")
    assert OutboxMessage.objects.filter(booking=sent, event=Event.BOOKING_CONFIRMED).count() == 2
    outbox_deliver_due()
    assert len(smtp.to("customerfine@example.com")) == 2


def test_another_companys_email_is_404_in_the_outbox(client, practice, team):
    other = CompanyFactory(slug="elsewhere")
    theirs = failed_email(other, "them@example.com")
    signed_in(client, team["admin"])
    assert "them@example.com" not in client.get(OUTBOX).content.decode()
    before = outbox_rows()
    assert client.post(f"{OUTBOX}{theirs.pk}/resend/").status_code == 404
    assert outbox_rows() == before


@pytest.mark.parametrize("role", ["senior", "junior"])
def test_seniors_and_juniors_get_404_for_every_email_url(client, practice, team, role):
    row = failed_email(practice.company, "x@example.com")
    signed_in(client, team[role])
    before = (templates(), outbox_rows())
    for url in (
        EMAILS,
        CONFIRMED_DA,
        f"{CONFIRMED_DA}preview/",
        f"{CONFIRMED_DA}test/",
        f"{CONFIRMED_DA}reset/",
        OUTBOX,
        f"{OUTBOX}{row.pk}/resend/",
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"subject": "S", "body": "B"}).status_code == 404, url
    assert (templates(), outbox_rows()) == before


def test_the_danish_editor_names_the_body_apart_from_its_section(client, practice, team):
    # Both were "Tekst": a screen reader announced the section and the field alike.
    signed_in(client, team["admin"])
    client.post("/office/language/", {"language": "da", "next": CONFIRMED_DA})
    page = client.get(CONFIRMED_DA).content.decode()
    assert '<h2 id="text-head">Tekst</h2>' in page
    assert '<label for="em-body">Brødtekst</label>' in page
