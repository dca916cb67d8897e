"""Writes to message templates and notification settings leave one audit entry each,
with who acted and the old and new values; a refused write leaves none."""

import pytest

from rendezvous.companies.models import Role
from rendezvous.core.errors import ValidationFailed
from rendezvous.notifications.domain import (
    NotificationSettingsFields,
    notification_settings_delete,
    notification_settings_save,
    template_delete,
    template_save,
)
from rendezvous.notifications.events import Event
from rendezvous.notifications.models import MessageTemplate, NotificationSettings
from tests.audit import as_staff, entries
from tests.dashboard.conftest import member

pytestmark = pytest.mark.integration


def test_saving_a_template_twice_records_its_creation_then_the_change(practice):
    boss = member(practice.company, "boss", Role.ADMIN)
    with as_staff(boss):
        first = template_save(
            company=practice.company, event=Event.REMINDER, language="en", subject="S", body="B"
        )
        template_save(
            company=practice.company, event=Event.REMINDER, language="en", subject="S2", body="B"
        )
        first_id = first.pk
        template_delete(template=first)
    created, changed, deleted = entries()
    assert (created.entity, created.entity_id, created.action) == (
        "template",
        str(first_id),
        "created",
    )
    assert created.changes["subject"] == [None, "S"]
    assert (changed.action, changed.changes) == ("updated", {"subject": ["S", "S2"]})
    assert deleted.action == "deleted" and {e.user for e in entries()} == {boss}


def test_notification_settings_are_recorded_on_the_company(practice):
    notification_settings_save(
        company=practice.company,
        fields=NotificationSettingsFields(reply_to="desk@example.com", notify_staff=False),
    )
    notification_settings_delete(settings=NotificationSettings.objects.get())
    changed, reset = entries()
    assert (changed.entity, changed.entity_id, changed.action) == (
        "company",
        str(practice.company.pk),
        "notifications_changed",
    )
    assert changed.changes["reply_to"] == ["", "desk@example.com"]
    assert reset.action == "notifications_reset"


def test_a_refused_write_records_nothing(practice):
    with pytest.raises(ValidationFailed):
        template_save(
            company=practice.company,
            event=Event.REMINDER,
            language="en",
            subject="S",
            body="Join [sign_in_link]",
        )
    with pytest.raises(ValidationFailed):
        notification_settings_save(
            company=practice.company, fields=NotificationSettingsFields(reply_to="not an email")
        )
    assert entries() == []
    assert not MessageTemplate.objects.exists() and not NotificationSettings.objects.exists()
