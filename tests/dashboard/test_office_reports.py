"""The back office's reports: booking details (filters, totals, CSV without formula
injection, roles, a constant number of queries) and online meetings."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rendezvous.bookings import domain
from rendezvous.bookings.models import PaymentStatus
from rendezvous.meetings.models import Meeting, MeetingState
from tests.conftest import NOW, TOMORROW_10, book

from .test_office_bookings import signed_in

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

URL = "/office/reports/?date_from=2026-12-01&date_to=2026-12-07"


def rows_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_csv_rows_match_the_filters_and_never_run_as_formulas(client, practice, team):
    practice.video.requires_payment = True
    practice.video.save()
    book(practice, TOMORROW_10, staff=practice.staff[0], service=practice.video)
    evil = domain.booking_create(
        company=practice.company,
        service=practice.service,
        start=TOMORROW_10 + timedelta(hours=2),
        details=domain.CustomerDetails('=HYPERLINK("http://x")', "@sum", "evil@example.com"),
        staff_id=practice.staff[1].pk,
    ).booking
    signed_in(client, team["senior"])
    table = rows_of(client.get(URL + "&format=csv"))
    assert table[0][:3] == ["date", "start", "end"] and len(table) == 3
    customer = next(r for r in table if r[6] == "evil@example.com")[5]
    assert customer.startswith("'=HYPERLINK")
    online = rows_of(client.get(URL + "&online=yes&format=csv"))
    assert len(online) == 2 and online[1][9] == "1"
    by_staff = rows_of(client.get(URL + f"&staff={practice.staff[1].pk}&format=csv"))
    assert [r[6] for r in by_staff[1:]] == [evil.email]


def test_totals_count_statuses_and_money(client, practice, team):
    practice.video.requires_payment = True
    practice.video.price = 40
    practice.video.save()
    paid = book(practice, TOMORROW_10, staff=practice.staff[0], service=practice.video).booking
    domain.booking_record_payment(booking=paid, status=PaymentStatus.PAID)
    book(practice, TOMORROW_10, staff=practice.staff[1], service=practice.video)
    cancelled = book(practice, TOMORROW_10, staff=practice.staff[2]).booking
    domain.booking_cancel(booking=cancelled, actor=domain.STAFF)
    signed_in(client, team["admin"])
    totals = client.get(URL).context["totals"]
    assert totals.bookings == 3 and totals.online == 2
    assert totals.by_status == {"confirmed": 2, "cancelled": 1}
    assert (totals.paid, totals.unpaid) == (40, 40)


def test_a_junior_reports_only_their_own_column(client, practice, team):
    book(practice, TOMORROW_10, staff=practice.staff[0], n="mine")
    book(practice, TOMORROW_10, staff=practice.staff[1], n="theirs")
    signed_in(client, team["junior"])
    table = rows_of(client.get(URL + "&format=csv"))
    assert [r[6] for r in table[1:]] == ["customermine@example.com"]
    # Asking for a colleague's column gives nothing (the choice is not even offered).
    response = client.get(URL + f"&staff={practice.staff[1].pk}")
    assert response.status_code == 422 and not response.context["rows"]


def test_bad_dates_are_refused_on_their_field(client, practice, team):
    signed_in(client, team["admin"])
    for query, message in (
        ("?date_from=2026-12-07&date_to=2026-12-01", "The end date is before the start date."),
        ("?date_from=2026-01-01&date_to=2027-12-31", "At most 366 days at once."),
        ("?date_from=yesterday&date_to=2026-12-01", "Enter a valid date."),
    ):
        response = client.get("/office/reports/" + query)
        assert response.status_code == 422 and message in response.content.decode()


def test_the_report_query_count_does_not_grow_with_rows(client, practice, team):
    signed_in(client, team["admin"])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL).status_code == 200
        return len(queries)

    count()  # the first request stores the company picked in the session
    book(practice, TOMORROW_10, staff=practice.staff[0])
    few = count()
    for hour in range(1, 6):
        for member in practice.staff:
            book(practice, TOMORROW_10 + timedelta(hours=hour), staff=member)
    assert count() == few


def test_the_meetings_report_lists_online_bookings_for_the_role(client, practice, team):
    practice.company.online_meetings_enabled = True
    practice.company.save()
    book(practice, TOMORROW_10, staff=practice.staff[0], service=practice.video, n="mine")
    book(practice, TOMORROW_10, staff=practice.staff[1], service=practice.video, n="theirs")
    signed_in(client, team["junior"])
    page = client.get("/office/reports/meetings/?date_from=2026-12-01&date_to=2026-12-07")
    names = [", ".join(r.customers) for r in page.context["rows"]]
    assert names == ["Test Customer mine"]
    table = rows_of(
        client.get("/office/reports/meetings/?date_from=2026-12-01&date_to=2026-12-07&format=csv")
    )
    assert len(table) == 2


@pytest.mark.parametrize(
    ("language", "provider", "state", "ended", "service"),
    [
        ("en", "Rendezvous video room", "Pending", "Ended", "Video call"),
        ("da", "Rendezvous&#x27; videorum", "Afventer", "Afsluttet", "Videosamtale"),
    ],
)
def test_the_meetings_report_names_providers_and_states_in_the_pages_language(
    client, practice, team, language, provider, state, ended, service
):
    practice.company.online_meetings_enabled = True
    practice.company.save()
    practice.video.translations = {"da": {"name": "Videosamtale"}}
    practice.video.save()
    waiting = book(practice, TOMORROW_10, service=practice.video, n="waiting").booking
    over = book(practice, TOMORROW_10 + timedelta(hours=2), service=practice.video, n="over")
    Meeting.objects.filter(booking=waiting).update(state=MeetingState.PENDING, provider="builtin")
    Meeting.objects.filter(booking=over.booking).update(
        state=MeetingState.READY,
        provider="builtin",
        start=NOW - timedelta(minutes=31),
        end=NOW - timedelta(minutes=1),
    )  # a meeting that took place: "ready" reads "ended" once it is over
    signed_in(client, team["admin"])
    client.cookies["django_language"] = language
    page = client.get("/office/reports/meetings/?date_from=2026-11-01&date_to=2026-12-07")
    cells = re.findall(r"<td>([^<]*)</td>", page.content.decode())
    assert provider in cells and state in cells and ended in cells and service in cells
    assert not {"builtin", "pending", "ready", "ended"} & set(cells)
    # Each state once in the filter, "All" rather than dashes.
    html = page.content.decode()
    assert html.count('<option value="ended"') == 1 and "---------" not in html
    # The pop-up names the provider the same way.
    assert f"{provider} ·" in client.get(f"/office/bookings/{waiting.pk}/").content.decode()
