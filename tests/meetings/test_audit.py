"""Writes to meeting accounts, a staff member's provider and the company's default leave
one audit entry each; an account's secret and OAuth tokens never appear in the log."""

import pytest

from rendezvous.companies.models import Role
from rendezvous.core.audit import SECRET_CHANGED
from rendezvous.core.errors import ValidationFailed
from rendezvous.meetings.domain import (
    MeetingAccountFields,
    StaffMeetingFields,
    meeting_account_create,
    meeting_account_update,
    meeting_default_set,
    meeting_staff_assign,
)
from rendezvous.meetings.models import MeetingAccount
from tests.audit import as_staff, entries, everything_logged
from tests.dashboard.conftest import member

pytestmark = pytest.mark.integration

SECRET = "bbb-shared-secret-0123456789"
NEW_SECRET = "bbb-shared-secret-rotated-42"


def test_an_accounts_secret_is_recorded_as_changed_never_with_its_value(practice):
    boss = member(practice.company, "boss", Role.ADMIN)
    with as_staff(boss):
        account = meeting_account_create(
            company=practice.company,
            fields=MeetingAccountFields(
                provider="bigbluebutton", url="https://bbb.example.com/", secret=SECRET
            ),
        )
        MeetingAccount.objects.filter(pk=account.pk).update(
            access_token="oauth-access-123", refresh_token="oauth-refresh-456"
        )
        meeting_account_update(
            account=account, fields=MeetingAccountFields(secret=NEW_SECRET, active=False)
        )
    created, updated = entries()
    assert (created.entity, created.entity_id, created.action) == (
        "meeting_account",
        str(account.pk),
        "created",
    )
    assert created.changes["secret"] == SECRET_CHANGED
    assert created.changes["url"] == [None, "https://bbb.example.com/"]
    assert updated.changes == {"secret": SECRET_CHANGED, "active": [True, False]}
    assert updated.user == boss
    logged = everything_logged()
    for value in (SECRET, NEW_SECRET, "oauth-access-123", "oauth-refresh-456"):
        assert value not in logged


def test_a_staff_members_provider_is_one_entry_on_the_staff_member(practice):
    ada = practice.staff[0]
    meeting_staff_assign(
        staff=ada, fields=StaffMeetingFields(provider="static_link", url="https://r.example/a")
    )
    (entry,) = entries()
    assert (entry.entity, entry.entity_id, entry.action) == (
        "staff",
        str(ada.pk),
        "meeting_provider_set",
    )
    assert entry.changes == {
        "provider": [None, "static_link"],
        "url": [None, "https://r.example/a"],
    }
    meeting_staff_assign(staff=ada, fields=StaffMeetingFields(provider=""))
    assert entries()[-1].changes == {
        "provider": ["static_link", None],
        "url": ["https://r.example/a", None],
    }


def test_the_default_provider_is_recorded_on_the_company(practice):
    jitsi = MeetingAccount.objects.create(
        company=practice.company, provider="jitsi", url="https://meet.example/", active=False
    )
    meeting_default_set(company=practice.company, account=jitsi)
    (entry,) = entries()
    assert (entry.entity, entry.entity_id, entry.changes) == (
        "company",
        str(practice.company.pk),
        {"default": [None, "jitsi"]},
    )


def test_a_refused_write_records_nothing(practice):
    before = list(MeetingAccount.objects.values())
    with pytest.raises(ValidationFailed):
        meeting_account_create(
            company=practice.company,
            fields=MeetingAccountFields(provider="jitsi", url="ftp://x", secret=SECRET),
        )
    with pytest.raises(ValidationFailed):
        meeting_staff_assign(staff=practice.staff[0], fields=StaffMeetingFields(provider="zoom"))
    assert entries() == [] and list(MeetingAccount.objects.values()) == before
