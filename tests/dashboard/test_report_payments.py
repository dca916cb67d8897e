"""The back office's payments report at /office/reports/payments/: the summary per
method, the transfers awaited (the overdue one flagged, linked to its booking), the
balances, empty states, the CSV read back, a junior refused, bad dates refused, and a
constant number of queries between 1 and 20 payments."""

import csv
import io
import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rendezvous.bookings import domain as bookings
from rendezvous.payments.domain.bank import mark_received, transfer_start
from rendezvous.payments.domain.checkout import payment_record
from rendezvous.payments.domain.settings import PaymentSettingsFields, payment_settings_update
from rendezvous.payments.domain.wallet import wallet_grant
from rendezvous.payments.models import Method, Payment, Unit
from tests.conftest import NOW, TOMORROW_10, book
from tests.dashboard.test_office_bookings import signed_in
from tests.payments.core_rows import customer_of
from tests.payments.test_bank_transfer import take_transfers

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

PAGE = "/office/reports/payments/"
URL = PAGE + "?date_from=2026-12-01&date_to=2026-12-07"
NEXT_WEEK = TOMORROW_10 + timedelta(days=7)


@pytest.fixture
def shop(practice):
    take_transfers(practice.company)
    payment_settings_update(company=practice.company, fields=PaymentSettingsFields(credits=True))
    practice.video.requires_payment = True
    practice.video.price = Decimal("40.00")
    practice.video.save()
    return practice


def video(practice, k: int, n):
    start = NEXT_WEEK + timedelta(days=k // 18, hours=(k // 3) % 6)
    return book(practice, start, service=practice.video, n=n).booking


def rows_of(response) -> list[list[str]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_the_page_sums_per_method_and_lists_transfers_and_balances(client, shop, team):
    received = transfer_start(booking=video(shop, 0, "t"), now=NOW)
    mark_received(payment=received, actor=None, now=NOW)
    payment_record(booking=video(shop, 1, "s"), method=Method.ON_SITE, actor=None, now=NOW)
    payment_record(booking=video(shop, 2, "s2"), method=Method.ON_SITE, actor=None, now=NOW)
    late = video(shop, 3, "late")
    overdue = transfer_start(booking=late, now=NOW - timedelta(days=5))
    wallet_grant(
        customer=customer_of(shop.company), unit=Unit.MONEY, amount=Decimal("12.50"), note="Gift"
    )
    signed_in(client, team["senior"])

    response = client.get(URL)

    assert response.status_code == 200
    html = response.content.decode()
    summary = response.context["summary"]
    lines = {line.method: (line.payments, line.received) for line in summary.lines}
    assert lines == {
        Method.BANK_TRANSFER: (1, Decimal("40.00")),
        Method.ON_SITE: (2, Decimal("80.00")),
    }
    assert "<td>€80.00</td>" in html and "<td>€120.00</td>" in html  # the total
    assert "<td>€0.00</td>" in html  # nothing refunded: zero, not "Free"
    assert f'href="/office/bookings/{late.pk}/"' in html
    assert f'<code class="reference">{overdue.reference}</code>' in html
    assert 'class="has-problem"' in html and "Overdue" in html
    assert "<p>1 transfer, €40.00</p>" in html
    assert "Pia Payer 1" in html and "€12.50" in html
    # The reports' tabs offer it.
    assert f'href="{PAGE}" aria-current="page"' in html
    assert f'href="{PAGE}"' in client.get("/office/reports/").content.decode()


def test_an_empty_period_says_so(client, shop, team):
    signed_in(client, team["admin"])
    html = client.get(URL).content.decode()
    for heading in (
        "No payments in these dates",
        "No bank transfer awaited",
        "No pass in use",
        "No credits held",
    ):
        assert heading in html


def test_the_default_period_is_the_last_30_days(client, shop, team):
    signed_in(client, team["admin"])
    form = client.get(PAGE).context["form"]
    assert (str(form.cleaned_data["date_from"]), str(form.cleaned_data["date_to"])) == (
        "2026-11-02",
        "2026-12-01",
    )


def test_the_csv_rows_read_back_and_never_run_as_formulas(client, shop, team):
    evil = bookings.booking_create(
        company=shop.company,
        service=shop.video,
        start=NEXT_WEEK,
        details=bookings.CustomerDetails("+cmd", "@sum", "evil@example.com"),
        now=NOW,
    ).booking
    transfer = transfer_start(booking=evil, now=NOW)
    mark_received(payment=transfer, actor=None, now=NOW)
    payment_record(booking=video(shop, 1, "s"), method=Method.ON_SITE, actor=None, now=NOW)
    transfer_start(booking=video(shop, 2, "p"), now=NOW)  # awaited: not a payment row yet
    signed_in(client, team["admin"])

    response = client.get(URL + "&format=csv")

    assert response["Content-Disposition"] == (
        'attachment; filename="payments-practice-2026-12-01-2026-12-07.csv"'
    )
    table = rows_of(response)
    assert table[0][:3] == ["date", "booking", "customer"] and len(table) == 3
    assert table[1] == [
        "2026-12-01",
        str(evil.pk),
        "'+cmd @sum",
        "Video call",
        "Bank transfer",
        "Paid",
        "40.00",
        "EUR",
        "0.00",
        transfer.reference,
    ]
    assert table[2][4:9] == ["Pay on site", "Paid", "40.00", "EUR", "0.00"]
    # Another period: none of them.
    later = client.get(PAGE + "?date_from=2026-12-02&date_to=2026-12-07&format=csv")
    assert rows_of(later)[1:] == []


def test_a_junior_is_refused_and_not_offered_the_tab(client, shop, team):
    mark_received(payment=transfer_start(booking=video(shop, 0, "t"), now=NOW), actor=None, now=NOW)
    signed_in(client, team["junior"])
    assert client.get(URL).status_code == 404
    assert client.get(URL + "&format=csv").status_code == 404
    assert PAGE not in client.get("/office/reports/").content.decode()


def test_bad_dates_are_refused_on_their_field(client, shop, team):
    signed_in(client, team["admin"])
    before = list(Payment.objects.values())
    for query, message in (
        ("?date_from=2026-12-07&date_to=2026-12-01", "The end date is before the start date."),
        ("?date_from=2026-01-01&date_to=2027-12-31", "At most 366 days at once."),
        ("?date_from=yesterday&date_to=2026-12-01", "Enter a valid date."),
    ):
        response = client.get(PAGE + query)
        assert response.status_code == 422 and message in response.content.decode()
        assert response.context["summary"] is None
        assert client.get(PAGE + query + "&format=csv")["Content-Type"].startswith("text/html")
    assert list(Payment.objects.values()) == before


def test_the_query_count_does_not_grow_with_rows(client, shop, team):
    signed_in(client, team["admin"])
    slots = itertools.count()

    def count(query: str = "") -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL + query).status_code == 200
        return len(queries)

    def payments(n: int) -> None:
        for _ in range(n):
            i = next(slots)
            transfer = transfer_start(booking=video(shop, i, f"r{i}"), now=NOW)
            mark_received(payment=transfer, actor=None, now=NOW)
            k = next(slots)
            transfer_start(booking=video(shop, k, f"a{k}"), now=NOW)
            wallet_grant(
                customer=customer_of(shop.company, i), unit=Unit.CREDIT, amount=Decimal(2), note="x"
            )

    count()  # the first request stores the company picked in the session
    payments(1)
    few, few_csv = count(), count("&format=csv")
    payments(19)
    assert Payment.objects.filter(paid_at__isnull=False).count() == 20
    assert (count(), count("&format=csv")) == (few, few_csv)
