"""The service, staff member and company settings pages show their entries of the audit
log in a collapsed "History": who, when, and what changed, in the page's language."""

from decimal import Decimal

import pytest

from rendezvous.availability.domain import TimeOffFields, time_off_create
from rendezvous.catalog.domain import ServiceFields, service_update
from rendezvous.companies.domain import (
    ApiTokenFields,
    CompanyFields,
    StaffFields,
    api_token_issue,
    company_update,
    staff_update,
)
from rendezvous.companies.models import Role
from rendezvous.meetings.domain import MeetingAccountFields, meeting_account_create
from tests.audit import as_staff
from tests.conftest import NOW, TOMORROW_10

from .conftest import member
from .test_office_bookings import signed_in

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

SETTINGS = "/office/settings/"


def history_of(page: str) -> str:
    start = page.index('<details class="history">')
    return page[start : page.index("</details>", start)]


def test_the_service_page_shows_who_changed_the_price(client, practice):
    boss = member(practice.company, "boss", Role.ADMIN)
    with as_staff(boss):
        service_update(service=practice.service, fields=ServiceFields(price=Decimal("35.50")))
    page = (
        signed_in(client, boss).get(f"{SETTINGS}services/{practice.service.pk}/").content.decode()
    )
    shown = history_of(page)
    assert "staff: boss" in shown and "changed" in shown and "0.00 → 35.50" in shown


def test_the_staff_page_shows_profile_and_schedule_changes_in_german(client, practice):
    boss = member(practice.company, "boss", Role.ADMIN)
    ada = practice.staff[0]
    with as_staff(boss):
        staff_update(
            staff=ada, fields=StaffFields(name="Ada L.", services=[str(practice.video.pk)])
        )
        time_off_create(
            staff=ada, fields=TimeOffFields(start=NOW, end=TOMORROW_10, reason="Urlaub")
        )
    client.cookies["django_language"] = "de"
    page = signed_in(client, boss).get(f"{SETTINGS}team/{ada.pk}/").content.decode()
    shown = history_of(page)
    assert "<summary>Verlauf</summary>" in shown
    assert "Abwesenheit eingetragen" in shown and "Urlaub" in shown
    assert "2026-12-01T" not in shown  # moments in the page's format, not ISO
    assert "geändert" in shown and "Ada → Ada L." in shown


def test_the_company_page_shows_settings_changes_and_no_secret(client, practice):
    boss = member(practice.company, "boss", Role.ADMIN)
    with as_staff(boss):
        company_update(company=practice.company, fields=CompanyFields(name="Praxis Nord"))
        meeting_account_create(
            company=practice.company,
            fields=MeetingAccountFields(
                provider="jitsi", url="https://meet.example/", secret="s3cret-value"
            ),
        )
        _token, secret = api_token_issue(
            company=practice.company, fields=ApiTokenFields(name="Sync", role=Role.SENIOR)
        )
    page = signed_in(client, boss).get(SETTINGS).content.decode()
    shown = history_of(page)
    assert "staff: boss" in shown and "Praxis Nord" in shown
    assert "s3cret-value" not in page and secret not in page


def test_a_page_without_changes_has_no_history(client, practice):
    boss = member(practice.company, "boss", Role.ADMIN)
    page = (
        signed_in(client, boss).get(f"{SETTINGS}services/{practice.service.pk}/").content.decode()
    )
    assert 'class="history"' not in page
