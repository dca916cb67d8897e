"""The admin writes templates, notification settings, outbox rows and feeds through
notifications.domain: it refuses what the domain refuses, shows why on the page, and
leaves the database as it was."""

import pytest
from django.contrib.auth import get_user_model

from rendezvous.core.errors import InvalidState, ValidationFailed
from rendezvous.notifications.domain import (
    outbox_delete,
    staff_feed_issue,
    template_save,
    template_update,
)
from rendezvous.notifications.events import Event
from rendezvous.notifications.models import (
    MessageTemplate,
    NotificationSettings,
    OutboxMessage,
    OutboxState,
    ScheduledReminder,
    StaffCalendarFeed,
)
from tests.admin_pages import admin_url, page_form
from tests.conftest import TOMORROW_10, book

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("frozen_now")]


@pytest.fixture
def root(client, db):
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com"))
    return client


def templates() -> list[tuple]:
    return list(MessageTemplate.objects.order_by("id").values_list())


def errors_of(response) -> dict:
    return response.context["adminform"].form.errors


@pytest.fixture
def reminder(practice) -> MessageTemplate:
    return template_save(
        company=practice.company,
        event=Event.REMINDER,
        language="de",
        subject="Erinnerung an [service_name]",
        body="Hallo [customer_first_name], bis [booking_start].",
    )


# -- templates -----------------------------------------------------------------------------


def test_a_template_edit_with_an_unknown_variable_is_refused_and_changes_nothing(root, reminder):
    change = admin_url(MessageTemplate, "change", reminder.pk)
    data = page_form(root, change)
    before = templates()
    response = root.post(change, {**data, "body": "Hallo [vorname]"})
    assert response.status_code == 200
    assert errors_of(response)["body"] == ["Unknown variables: [vorname]."]
    assert "Unknown variables: [vorname]." in response.content.decode()
    # A customer's email never carries the host's raw link.
    response = root.post(change, {**data, "subject": "[online_meeting_provider_link]"})
    assert errors_of(response)["subject"] == [
        "For emails to staff members only: [online_meeting_provider_link]."
    ]
    assert templates() == before


def test_a_template_is_changed_in_place_through_the_domain(root, practice, reminder):
    change = admin_url(MessageTemplate, "change", reminder.pk)
    data = page_form(root, change)
    ada = practice.staff[0]
    response = root.post(
        change, {**data, "staff": str(ada.pk), "body": "Bis bald, [customer_first_name]."}
    )
    assert response.status_code == 302
    [template] = MessageTemplate.objects.all()
    assert (template.pk, template.staff, template.body) == (
        reminder.pk,
        ada,
        "Bis bald, [customer_first_name].",
    )


def test_a_template_moved_onto_another_ones_scope_is_refused(root, practice, reminder):
    english = template_save(
        company=practice.company,
        event=Event.REMINDER,
        language="en",
        subject="Reminder: [service_name]",
        body="See you, [customer_first_name].",
    )
    change = admin_url(MessageTemplate, "change", english.pk)
    data = page_form(root, change)
    before = templates()
    response = root.post(change, {**data, "language": "de"})
    assert response.status_code == 200
    assert templates() == before
    # The domain refuses it too, for callers without the form's constraint check.
    with pytest.raises(ValidationFailed) as refused:
        template_update(
            template=english,
            event=Event.REMINDER,
            language="de",
            subject=english.subject,
            body=english.body,
        )
    assert refused.value.fields == {
        "event": ["There is already a template for this event, language and scope."]
    }
    assert templates() == before


def test_deleting_a_template(root, reminder):
    response = root.post(admin_url(MessageTemplate, "delete", reminder.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not MessageTemplate.objects.exists()


# -- settings ------------------------------------------------------------------------------


def test_settings_are_saved_and_their_refusals_shown_through_the_domain(root, practice):
    add = {
        "company": practice.company.pk,
        "reminder_offsets_minutes": "[60, 1440, 60]",
        "reply_to": "desk@example.com",
        "notify_staff": "on",
    }
    assert root.post(admin_url(NotificationSettings, "add"), add).status_code == 302
    options = NotificationSettings.objects.get()
    assert options.reminder_offsets_minutes == [1440, 60]

    change = admin_url(NotificationSettings, "change", options.pk)
    data = page_form(root, change)
    before = list(NotificationSettings.objects.values_list())
    response = root.post(change, {**data, "reminder_offsets_minutes": "[10, 20, 30, 40, 50, 60]"})
    assert response.status_code == 200
    assert errors_of(response)["reminder_offsets_minutes"] == ["At most five reminders."]
    response = root.post(change, {**data, "reminder_offsets_minutes": "[0]"})
    assert errors_of(response)["reminder_offsets_minutes"] == [
        "A list of whole minutes between 1 and 43200, e.g. [1440, 60]."
    ]
    assert list(NotificationSettings.objects.values_list()) == before

    data.pop("notify_staff", None)
    assert root.post(change, {**data, "reminder_offsets_minutes": "[]"}).status_code == 302
    options.refresh_from_db()
    assert (options.reminder_offsets_minutes, options.notify_staff, options.reply_to) == (
        [],
        False,
        "desk@example.com",
    )
    response = root.post(admin_url(NotificationSettings, "delete", options.pk), {"post": "yes"})
    assert response.status_code == 302 and not NotificationSettings.objects.exists()


# -- the outbox, reminders, feeds ----------------------------------------------------------


def test_only_messages_done_with_are_deleted(root, practice):
    booking = book(practice, TOMORROW_10).booking
    queued = OutboxMessage.objects.filter(booking=booking).first()
    assert queued.state == OutboxState.QUEUED
    before = list(OutboxMessage.objects.order_by("id").values_list("id", "state"))
    assert (
        root.post(admin_url(OutboxMessage, "delete", queued.pk), {"post": "yes"}).status_code == 403
    )
    with pytest.raises(InvalidState):
        outbox_delete(message=queued)
    assert list(OutboxMessage.objects.order_by("id").values_list("id", "state")) == before

    OutboxMessage.objects.filter(pk=queued.pk).update(state=OutboxState.SENT)
    response = root.post(admin_url(OutboxMessage, "delete", queued.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not OutboxMessage.objects.filter(pk=queued.pk).exists()


def test_reminders_are_not_deleted_in_the_admin(root, practice):
    book(practice, TOMORROW_10)
    reminder = ScheduledReminder.objects.first()
    assert reminder is not None
    response = root.post(admin_url(ScheduledReminder, "delete", reminder.pk), {"post": "yes"})
    assert response.status_code == 403
    assert ScheduledReminder.objects.filter(pk=reminder.pk).exists()


def test_deleting_a_feed_revokes_it(root, practice):
    ada = practice.staff[0]
    staff_feed_issue(staff=ada)
    feed = StaffCalendarFeed.objects.get(staff=ada)
    response = root.post(admin_url(StaffCalendarFeed, "delete", feed.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not StaffCalendarFeed.objects.filter(staff=ada).exists()
