"""The "Online meetings" report (meetings.domain.report and its admin page): rows,
problems, filters, who sees what, a constant number of queries, and a CSV that no
spreadsheet runs as a formula."""

import csv
import io
from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rendezvous.bookings import domain
from rendezvous.bookings.models import PaymentStatus
from rendezvous.companies.access import Actor
from rendezvous.companies.models import Membership, Role
from rendezvous.core.errors import ValidationFailed
from rendezvous.meetings.domain.report import (
    ReportFilters,
    meeting_report,
    report_csv,
    safe_cell,
)
from rendezvous.meetings.models import Meeting, MeetingAccount, MeetingState
from tests.conftest import NOW, TOMORROW_10

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("frozen_now")]

URL = "/admin/meetings/meeting/report/"
ROOM = "https://rooms.example/ada-secret-room"
EVIL = '=HYPERLINK("http://evil.example","click")'


def video(practice, start, staff, first="Test", last="Customer", **kw):
    return domain.booking_create(
        company=practice.company,
        service=practice.video,
        start=start,
        details=domain.CustomerDetails(first, last, f"{last.lower()}@example.com", ""),
        staff_id=staff.id,
        now=NOW,
        **kw,
    ).booking


@pytest.fixture
def setup(practice):
    """Ada has a static room (ready at once); Ben and Cleo type links by hand (pending)."""
    ada, ben, cleo = practice.staff
    MeetingAccount.objects.create(
        company=practice.company, staff=ada, provider="static_link", url=ROOM
    )
    MeetingAccount.objects.create(company=practice.company, provider="manual")
    ready = video(practice, TOMORROW_10, ada, first=EVIL, last="Mallory")
    pending = video(practice, NOW + timedelta(hours=5), ben, last="Soon")
    later = video(practice, TOMORROW_10 + timedelta(days=5), cleo, last="Later")
    return practice, ready, pending, later


def admin_actor(practice) -> Actor:
    return Actor(practice.company, Role.ADMIN, None)


def test_rows_say_what_staff_must_act_on(setup):
    practice, ready, pending, later = setup
    rows = meeting_report(actor=admin_actor(practice), filters=ReportFilters(), now=NOW)
    by_customer = {row.customers[0].split()[-1]: row for row in rows}
    assert list(by_customer) == ["Soon", "Mallory", "Later"]  # by start
    assert by_customer["Mallory"].provider == "static_link"
    assert by_customer["Mallory"].state == MeetingState.READY
    assert by_customer["Mallory"].problems == []
    assert by_customer["Soon"].problems == ["no_link"]  # pending, starts within 24 h
    assert by_customer["Later"].problems == []  # pending, but days ahead
    assert by_customer["Soon"].staff == "Ben" and by_customer["Soon"].service == "Video call"
    assert by_customer["Mallory"].customers == [f"{EVIL} Mallory"]

    # Each kind of trouble the lifecycle leaves behind shows up.
    meeting = Meeting.objects.get(booking=later)
    cases = {
        "create_failed": dict(state=MeetingState.FAILED, last_error="x: HTTP 500"),
        "create_retrying": dict(attempts=2, next_attempt_at=NOW, last_error="x"),
        "update_due": dict(state=MeetingState.READY, external_id="1", next_attempt_at=NOW),
        "update_failed": dict(state=MeetingState.READY, external_id="1", last_error="HTTP 404"),
        "delete_due": dict(state=MeetingState.REVOKED, external_id="1", next_attempt_at=NOW),
        "delete_failed": dict(state=MeetingState.REVOKED, external_id="1", last_error="x"),
    }
    for problem, fields in cases.items():
        reset = dict(state=MeetingState.PENDING, attempts=0, next_attempt_at=None, last_error="")
        Meeting.objects.filter(pk=meeting.pk).update(**{**reset, "external_id": "", **fields})
        rows = meeting_report(actor=admin_actor(practice), filters=ReportFilters(), now=NOW)
        (row,) = [r for r in rows if r.meeting_id == str(meeting.pk)]
        assert row.problems == [problem], problem

    # After its end a ready meeting reads "ended".
    end = ready.end + timedelta(minutes=1)
    rows = meeting_report(actor=admin_actor(practice), filters=ReportFilters(), now=end)
    assert {r.customers[0]: r.state for r in rows}[f"{EVIL} Mallory"] == "ended"


def test_unpaid_and_refund_due_are_problems(practice):
    practice.video.requires_payment = True
    practice.video.save(update_fields=["requires_payment"])
    MeetingAccount.objects.create(company=practice.company, provider="static_link", url=ROOM)
    unpaid = video(practice, TOMORROW_10, practice.staff[0], last="Unpaid")
    paid = video(practice, TOMORROW_10, practice.staff[1], last="Paid")
    domain.booking_record_payment(booking=paid, status=PaymentStatus.PAID)
    domain.booking_cancel(booking=paid, actor=domain.STAFF, now=NOW)
    rows = meeting_report(actor=admin_actor(practice), filters=ReportFilters(), now=NOW)
    problems = {r.customers[0]: r.problems for r in rows}
    assert problems == {"Test Unpaid": ["unpaid"], "Test Paid": ["refund_due"]}
    assert unpaid.pk  # (the unpaid one stays active)


def test_filters(setup):
    practice, ready, pending, later = setup
    actor = admin_actor(practice)
    ada, ben, _cleo = practice.staff

    def names(**kw):
        rows = meeting_report(actor=actor, filters=ReportFilters(**kw), now=NOW)
        return [r.customers[0].split()[-1] for r in rows]

    assert names(staff_id=ada.id) == ["Mallory"]
    assert names(provider="manual") == ["Soon", "Later"]
    assert names(state=MeetingState.PENDING) == ["Soon", "Later"]
    assert names(state=MeetingState.READY) == ["Mallory"]
    assert names(problems_only=True) == ["Soon"]
    day = TOMORROW_10.date()
    assert names(date_from=day, date_to=day) == ["Mallory"]
    assert names(date_from=day + timedelta(days=1)) == ["Later"]


def test_a_junior_sees_only_their_own_rows_and_class_sessions(practice):
    ada, ben, _cleo = practice.staff
    MeetingAccount.objects.create(company=practice.company, provider="static_link", url=ROOM)
    video(practice, TOMORROW_10, ada, last="Ada")
    video(practice, TOMORROW_10, ben, last="Ben")
    domain.seat_reserve(
        company=practice.company,
        service=practice.yoga,
        session_id=practice.session.id,
        start=None,
        details=domain.CustomerDetails("Yogi", "One", "yogi@example.com", ""),
        now=NOW,
    )
    everyone = meeting_report(actor=admin_actor(practice), filters=ReportFilters(), now=NOW)
    assert sorted(r.customers[0] for r in everyone) == ["Test Ada", "Test Ben", "Yogi One"]
    as_ada = meeting_report(
        actor=Actor(practice.company, Role.JUNIOR, ada.id), filters=ReportFilters(), now=NOW
    )
    assert sorted(r.customers[0] for r in as_ada) == ["Test Ada", "Yogi One"]  # Ada's class
    as_ben = meeting_report(
        actor=Actor(practice.company, Role.JUNIOR, ben.id), filters=ReportFilters(), now=NOW
    )
    assert [r.customers[0] for r in as_ben] == ["Test Ben"]
    nobody = meeting_report(
        actor=Actor(practice.company, Role.JUNIOR, None), filters=ReportFilters(), now=NOW
    )
    assert nobody == []


def test_the_query_count_does_not_grow_with_the_rows(practice):
    MeetingAccount.objects.create(company=practice.company, provider="static_link", url=ROOM)
    actor = admin_actor(practice)

    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            rows = meeting_report(actor=actor, filters=ReportFilters(), now=NOW)
            report_csv(rows)
        return len(rows), len(queries)

    for n in range(2):
        video(practice, TOMORROW_10 + timedelta(hours=n), practice.staff[n], last=f"A{n}")
    domain.seat_reserve(
        company=practice.company,
        service=practice.yoga,
        session_id=practice.session.id,
        start=None,
        details=domain.CustomerDetails("Yogi", "One", "yogi1@example.com", ""),
        now=NOW,
    )
    few_rows, few_queries = count()
    for n in range(2, 8):
        staff = practice.staff[n % 3]
        video(practice, TOMORROW_10 + timedelta(days=n), staff, last=f"B{n}")
    for n in range(2, 5):
        domain.seat_reserve(
            company=practice.company,
            service=practice.yoga,
            session_id=practice.session.id,
            start=None,
            details=domain.CustomerDetails("Yogi", f"N{n}", f"yogi{n}@example.com", ""),
            now=NOW,
        )
    many_rows, many_queries = count()
    assert (few_rows, many_rows) == (3, 9)
    assert many_queries == few_queries <= 3


def test_safe_cell():
    for dangerous in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert safe_cell(dangerous) == "'" + dangerous
    assert safe_cell("Ana") == "Ana" and safe_cell("") == "" and safe_cell(None) == ""


# -- the admin page and its CSV --------------------------------------------------------


def login(client, practice, role, staff=None, superuser=False):
    user = get_user_model().objects.create_user(
        f"{role}-{staff.id if staff else 0}", password="pw", is_staff=True, is_superuser=superuser
    )
    if not superuser:
        Membership.objects.create(company=practice.company, user=user, role=role, staff=staff)
    client.force_login(user)
    return user


def test_the_page_and_csv_show_no_provider_url_and_defuse_formulas(client, setup):
    practice, *_ = setup
    login(client, practice, Role.ADMIN, superuser=True)
    page = client.get(URL, {"date_from": "2026-12-01", "date_to": "2026-12-31"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Mallory" in html and "Soon" in html and "Later" in html
    assert ROOM not in html and "rooms.example" not in html
    assert "<td>Test Soon</td>" in html and "no link yet" in html
    assert "=HYPERLINK(&quot;" in html  # escaped on the page

    download = client.get(
        URL, {"date_from": "2026-12-01", "date_to": "2026-12-31", "format": "csv"}
    )
    assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")
    assert "attachment" in download["Content-Disposition"]
    text = download.content.decode()
    assert "rooms.example" not in text
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == ["Date", "Service", "Staff", "Customers", "Provider", "State", "Problems"]
    assert len(table) == 4
    evil_row = next(r for r in table if "Mallory" in r[3])
    assert evil_row[3] == "'" + EVIL + " Mallory"
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in table for cell in row)


def test_the_page_speaks_the_users_language(client, setup):
    practice, *_ = setup
    login(client, practice, Role.ADMIN, superuser=True)
    page = client.get(URL, headers={"accept-language": "de"})
    assert page.status_code == 200
    assert "Online-Termine" in page.content.decode()


@pytest.mark.parametrize("role", [Role.JUNIOR, Role.ADMIN])
def test_company_staff_get_no_report_page_in_the_admin(client, setup, role):
    # The admin is for operators (core.admin_site); staff get the report elsewhere,
    # scoped by meeting_report (test_a_junior_sees_only_their_own_rows_...).
    practice, *_ = setup
    login(client, practice, role, staff=practice.staff[1])
    for params in ({}, {"date_from": "2026-12-01", "format": "csv"}):
        page = client.get(URL, params)
        assert page.status_code == 302 and "/admin/login/" in page["Location"]


def test_refusals(client, setup):
    practice, *_ = setup
    assert client.get(URL).status_code == 302  # not logged in: the admin's login
    login(client, practice, Role.ADMIN, superuser=True)
    page = client.get(URL, {"date_from": "2026-12-10", "date_to": "2026-12-01"})
    assert page.status_code == 200
    assert "The end date is before the start date." in page.content.decode()
    assert "Mallory" not in page.content.decode()
    bad = client.get(URL, {"date_from": "2026-12-10", "date_to": "2026-12-01", "format": "csv"})
    assert not bad["Content-Type"].startswith("text/csv")


def test_the_meetings_list_links_to_the_report(client, practice):
    login(client, practice, Role.ADMIN, superuser=True)
    page = client.get("/admin/meetings/meeting/")
    assert page.status_code == 200 and URL in page.content.decode()


def test_the_admin_index_links_to_the_report_for_whoever_sees_meetings(client, practice):
    stranger = get_user_model().objects.create_user("nobody", password="pw", is_staff=True)
    client.force_login(stranger)
    assert URL not in client.get("/admin/").content.decode()  # no meetings app for them
    login(client, practice, Role.ADMIN, superuser=True)
    page = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="de")
    assert page.status_code == 200 and URL in page.content.decode()


def test_dates_outside_the_calendar_are_refused_on_their_field(client, setup):
    practice, *_ = setup
    with pytest.raises(ValidationFailed) as refused:
        ReportFilters(date_from=date(1, 1, 1), date_to=date(9999, 12, 31))
    assert set(refused.value.fields or {}) == {"date_from", "date_to"}
    login(client, practice, Role.ADMIN, superuser=True)
    for first, last in (("9999-12-01", "9999-12-31"), ("0001-01-01", "0001-01-31")):
        for extra in ({}, {"format": "csv"}):
            page = client.get(URL, {"date_from": first, "date_to": last, **extra})
            assert page.status_code == 200 and not page["Content-Type"].startswith("text/csv")
            assert "Dates must lie between 2000-01-01 and 2200-12-31." in page.content.decode()
