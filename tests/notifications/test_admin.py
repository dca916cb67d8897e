"""The admin: outbox with state, attempts, error and resend; the template editor."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from rendezvous.notifications.domain import outbox_deliver_due, template_save
from rendezvous.notifications.events import Event
from rendezvous.notifications.models import (
    MessageTemplate,
    NotificationSettings,
    OutboxMessage,
    OutboxState,
    StaffCalendarFeed,
)
from tests.conftest import TOMORROW_10, book

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("frozen_now")]


@pytest.fixture
def admin_client(client, db):
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com"))
    return client


def url(model, action: str, *args) -> str:
    return reverse(f"admin:notifications_{model._meta.model_name}_{action}", args=args)


def test_outbox_shows_state_attempts_error_and_resends(admin_client, practice, smtp):
    smtp.refuse.add("customer9@example.com")
    booking = book(practice, TOMORROW_10, n=9).booking
    outbox_deliver_due()
    failed = OutboxMessage.objects.get(booking=booking, event=Event.BOOKING_CONFIRMED)
    assert failed.state == OutboxState.FAILED

    page = admin_client.get(url(OutboxMessage, "changelist"), {"state": "failed"})
    assert page.status_code == 200
    assert list(page.context["cl"].result_list) == [failed]
    assert "550 5.1.1 No such user" in page.content.decode()
    detail = admin_client.get(url(OutboxMessage, "change", failed.pk)).content.decode()
    assert url(OutboxMessage, "resend", failed.pk) in detail
    assert admin_client.get(url(OutboxMessage, "add")).status_code == 403

    smtp.refuse.clear()
    assert admin_client.get(url(OutboxMessage, "resend", failed.pk)).status_code == 405
    response = admin_client.post(url(OutboxMessage, "resend", failed.pk))
    assert response.status_code == 302
    failed.refresh_from_db()
    assert (failed.state, failed.attempts) == (OutboxState.QUEUED, 0)
    outbox_deliver_due()
    assert len(smtp.to("customer9@example.com")) == 1

    sent = OutboxMessage.objects.get(pk=failed.pk)
    admin_client.post(
        url(OutboxMessage, "changelist"),
        {"action": "resend", "_selected_action": [str(sent.pk)]},
    )
    copies = OutboxMessage.objects.filter(booking=booking, event=Event.BOOKING_CONFIRMED)
    assert copies.count() == 2
    assert len({c.message_id for c in copies}) == 2  # a copy of a sent email is a new message


def form_data(practice, **overrides) -> dict:
    data = {
        "company": practice.company.pk,
        "event": Event.REMINDER,
        "language": "de",
        "service": "",
        "staff": "",
        "subject": "Erinnerung an [service_name]",
        "body": "Hallo [customer_first_name], bis [booking_start].",
    }
    return data | overrides


def test_template_editor_refuses_unknown_variables_and_saves_nothing(admin_client, practice):
    response = admin_client.post(
        url(MessageTemplate, "add"), form_data(practice, body="Hallo [vorname]")
    )
    assert response.status_code == 200
    assert "Unknown variables: [vorname]." in response.context["adminform"].form.errors["body"]
    assert MessageTemplate.objects.count() == 0


def test_template_editor_refuses_the_hosts_link_for_customers_and_saves_nothing(
    admin_client, practice
):
    response = admin_client.post(
        url(MessageTemplate, "add"),
        form_data(practice, language="en", body="Join: [online_meeting_provider_link]"),
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["body"] == [
        "For emails to staff members only: [online_meeting_provider_link]."
    ]
    assert MessageTemplate.objects.count() == 0


def test_template_editor_saves_and_previews(admin_client, practice):
    response = admin_client.post(url(MessageTemplate, "add"), form_data(practice))
    assert response.status_code == 302
    template = MessageTemplate.objects.get()
    page = admin_client.get(url(MessageTemplate, "change", template.pk)).content.decode()
    assert "Erinnerung an" in page and "Hallo Ana," in page  # the sample data
    # The variable list: a reminder goes to the customer, so not the host's link.
    assert "[online_meeting_link]" in page and "[online_meeting_provider_link]" not in page


def test_another_companys_staff_member_is_refused(admin_client, practice):
    from tests.factories import StaffFactory

    stranger = StaffFactory()
    response = admin_client.post(
        url(MessageTemplate, "add"), form_data(practice, staff=stranger.pk)
    )
    assert response.status_code == 200 and MessageTemplate.objects.count() == 0


def test_settings_offsets_are_validated(admin_client, practice):
    bad = {"company": practice.company.pk, "reminder_offsets_minutes": '["soon"]', "reply_to": ""}
    response = admin_client.post(url(NotificationSettings, "add"), bad)
    assert response.status_code == 200 and NotificationSettings.objects.count() == 0
    good = bad | {"reminder_offsets_minutes": "[60, 1440]", "notify_staff": "on"}
    assert admin_client.post(url(NotificationSettings, "add"), good).status_code == 302
    assert NotificationSettings.objects.get().reminder_offsets_minutes == [1440, 60]


def test_feed_url_is_shown_once_when_issued(admin_client, practice):
    ada = practice.staff[0]
    response = admin_client.post(url(StaffCalendarFeed, "add"), {"staff": ada.pk}, follow=True)
    shown = [str(m) for m in response.context["messages"] if "/calendar/" in str(m)]
    assert len(shown) == 1
    token = shown[0].rsplit("/calendar/", 1)[1].removesuffix(".ics")
    assert admin_client.get(f"/calendar/{token}.ics").status_code == 200
    assert StaffCalendarFeed.objects.count() == 1


def test_company_templates_are_listed(admin_client, practice):
    template_save(
        company=practice.company, event=Event.REMINDER, language="en", subject="S", body="B"
    )
    page = admin_client.get(url(MessageTemplate, "changelist"))
    assert page.status_code == 200 and len(page.context["cl"].result_list) == 1
