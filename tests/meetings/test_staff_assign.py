"""Who hosts a staff member's meetings (meeting_staff_assign), the company's default
provider (meeting_default_set) and the test meeting (meeting_account_test), called as
the back office calls them; the test meeting against the local BigBlueButton fake over
real HTTP."""

import pytest

from rendezvous.core.errors import ValidationFailed
from rendezvous.meetings.domain import (
    MeetingAccountFields,
    StaffMeetingFields,
    account_for,
    meeting_account_test,
    meeting_account_update,
    meeting_default_set,
    meeting_staff_assign,
)
from rendezvous.meetings.models import Meeting, MeetingAccount
from tests.factories import CompanyFactory, StaffFactory
from tests.fakes.bigbluebutton import SECRET, FakeBBB

pytestmark = pytest.mark.integration


def rows() -> list[dict]:
    return list(MeetingAccount.objects.order_by("pk").values())


def test_a_teams_choice_copies_the_companys_app_and_keeps_the_connection(practice):
    MeetingAccount.objects.create(
        company=practice.company, provider="teams", app_id="client", secret="s", tenant="t.example"
    )
    ada = practice.staff[0]
    own = meeting_staff_assign(staff=ada, fields=StaffMeetingFields(provider="teams"))
    assert (own.staff, own.app_id, own.secret, own.tenant) == (ada, "client", "s", "t.example")
    MeetingAccount.objects.filter(pk=own.pk).update(refresh_token="kept")
    # Choosing it again changes nothing: the same row, its connection kept.
    again = meeting_staff_assign(staff=ada, fields=StaffMeetingFields(provider="teams"))
    assert again.pk == own.pk and MeetingAccount.objects.get(pk=own.pk).refresh_token == "kept"
    # Another provider: the Teams account is kept, inactive, and comes back when chosen.
    room = meeting_staff_assign(
        staff=ada,
        fields=StaffMeetingFields(provider="static_link", url="https://room.example.com/ada"),
    )
    assert account_for(practice.company, ada.pk) == room
    assert not MeetingAccount.objects.get(pk=own.pk).active
    back = meeting_staff_assign(staff=ada, fields=StaffMeetingFields(provider="teams"))
    assert back.pk == own.pk and back.active and not MeetingAccount.objects.get(pk=room.pk).active


def test_the_company_default_leaves_no_own_account_active(practice):
    ada = practice.staff[0]
    meeting_staff_assign(staff=ada, fields=StaffMeetingFields(provider="builtin"))
    assert meeting_staff_assign(staff=ada, fields=StaffMeetingFields(provider="")) is None
    assert account_for(practice.company, ada.pk) is None
    assert MeetingAccount.objects.filter(staff=ada).count() == 1


def test_a_refusal_writes_nothing(practice):
    before = rows()
    with pytest.raises(ValidationFailed) as info:
        meeting_staff_assign(
            staff=practice.staff[0], fields=StaffMeetingFields(provider="google_meet")
        )
    assert "provider" in info.value.fields
    with pytest.raises(ValidationFailed) as info:
        meeting_staff_assign(
            staff=practice.staff[0],
            fields=StaffMeetingFields(provider="static_link", url="javascript:x"),
        )
    assert info.value.fields == {"url": ["Enter a link that starts with https://."]}
    assert rows() == before


def test_the_arguments_are_keyword_only(practice):
    with pytest.raises(TypeError):
        meeting_staff_assign(practice.staff[0], {"provider": ""})  # type: ignore[misc]


def test_the_default_is_the_only_active_company_account(practice):
    MeetingAccount.objects.create(company=practice.company, provider="builtin")
    second = MeetingAccount.objects.create(company=practice.company, provider="manual")
    own = MeetingAccount.objects.create(
        company=practice.company, staff=practice.staff[0], provider="builtin"
    )
    meeting_default_set(company=practice.company, account=second)
    assert account_for(practice.company, None) == second
    assert MeetingAccount.objects.get(pk=own.pk).active  # staff accounts are not touched
    meeting_default_set(company=practice.company, account=None)
    assert not MeetingAccount.objects.filter(company=practice.company, staff=None, active=True)
    other = MeetingAccount.objects.create(company=CompanyFactory(), provider="manual")
    before = rows()
    for refused in (own, other):
        with pytest.raises(ValidationFailed):
            meeting_default_set(company=practice.company, account=refused)
    assert rows() == before


def test_the_test_meeting_is_created_and_deleted_at_bigbluebutton(practice):
    with FakeBBB() as fake:
        account = MeetingAccount.objects.create(
            company=practice.company,
            staff=StaffFactory(company=practice.company),
            provider="bigbluebutton",
            url=fake.api_url,
            secret=SECRET,
        )
        result = meeting_account_test(account=account)
        assert result.ok, result.message
        calls = [call for call, _params in fake.requests]
        assert "create" in calls and "end" in calls
        fake.fail(1, status=500)
        failed = meeting_account_test(account=account)
    assert not failed.ok and "did not create the test meeting" in failed.message
    assert SECRET not in failed.message
    assert not Meeting.objects.exists()  # nothing of ours is written


def test_a_provider_without_meetings_of_its_own_says_so(practice):
    account = MeetingAccount.objects.create(company=practice.company, provider="manual")
    result = meeting_account_test(account=account)
    assert result.ok and "staff type each meeting's link" in result.message


def test_a_new_client_secret_on_the_companys_app_reaches_the_staff_members_copies(practice):
    teams = MeetingAccount.objects.create(
        company=practice.company, provider="teams", app_id="client", secret="old-secret"
    )
    zoom = MeetingAccount.objects.create(
        company=practice.company, provider="zoom", app_id="acc:client:host@x.example", secret="z1"
    )
    ada, ben, cleo = practice.staff
    copy = meeting_staff_assign(staff=ada, fields=StaffMeetingFields(provider="teams"))
    MeetingAccount.objects.filter(pk=copy.pk).update(refresh_token="kept")
    own_app = MeetingAccount.objects.create(
        company=practice.company, staff=ben, provider="teams", app_id="bens-app", secret="b"
    )
    zoom_copy = meeting_staff_assign(
        staff=cleo, fields=StaffMeetingFields(provider="zoom", zoom_user="cleo@x.example")
    )
    meeting_account_update(account=teams, fields=MeetingAccountFields(secret="new-secret"))
    meeting_account_update(
        account=zoom, fields=MeetingAccountFields(app_id="acc:client2", secret="z2")
    )
    copy, own_app, zoom_copy = (
        MeetingAccount.objects.get(pk=row.pk) for row in (copy, own_app, zoom_copy)
    )
    assert (copy.secret, copy.refresh_token) == ("new-secret", "kept")
    assert (own_app.app_id, own_app.secret) == ("bens-app", "b")
    assert (zoom_copy.app_id, zoom_copy.secret) == ("acc:client2:cleo@x.example", "z2")
