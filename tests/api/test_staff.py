"""Staff endpoints: bearer tokens, roles through the access_* helpers, pagination."""

import json
from datetime import timedelta

import pytest

from rendezvous.api import staff as staff_api
from rendezvous.bookings.models import BookingStatus, PaymentStatus
from rendezvous.companies.models import ApiToken, Role
from rendezvous.core.tokens import hash_token
from tests.conftest import TOMORROW_10, book, snapshot
from tests.factories import CompanyFactory

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("frozen_now")]


def token_for(practice, role, staff=None, company=None):
    _row, secret = ApiToken.issue(
        company=company or practice.company, name=role, role=role, staff=staff
    )
    return {"Authorization": f"Bearer {secret}"}


def patch(client, url, body, headers):
    return client.patch(
        url, data=json.dumps(body), content_type="application/json", headers=headers
    )


def test_no_token_or_bad_token_is_401(client, practice):
    url = "/api/v1/companies/practice/bookings"
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}):
        r = client.get(url, headers=headers)
        assert r.status_code == 401 and r.json()["error"]["code"] == "unauthenticated"


def test_revoked_token_is_401_and_secret_is_only_stored_hashed(client, practice):
    row, secret = ApiToken.issue(company=practice.company, name="t", role=Role.ADMIN)
    assert secret not in row.secret_hash and row.secret_hash == hash_token(secret)
    row.revoked = True
    row.save()
    r = client.get(
        "/api/v1/companies/practice/bookings", headers={"Authorization": f"Bearer {secret}"}
    )
    assert r.status_code == 401


def test_other_company_token_is_403(client, practice):
    other = CompanyFactory(slug="other")
    r = client.get(
        "/api/v1/companies/practice/bookings",
        headers=token_for(practice, Role.ADMIN, company=other),
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"


def test_junior_sees_only_own_bookings(client, practice):
    ada, ben, _ = practice.staff
    own = book(practice, TOMORROW_10, staff=ada).booking
    theirs = book(practice, TOMORROW_10, staff=ben).booking
    junior = token_for(practice, Role.JUNIOR, staff=ada)
    senior = token_for(practice, Role.SENIOR)
    listed = client.get("/api/v1/companies/practice/bookings", headers=junior).json()["results"]
    assert [b["id"] for b in listed] == [str(own.id)]
    assert (
        len(client.get("/api/v1/companies/practice/bookings", headers=senior).json()["results"])
        == 2
    )
    url = f"/api/v1/companies/practice/bookings/{theirs.id}"
    assert client.get(url, headers=junior).status_code == 403
    before = snapshot()
    assert patch(client, url, {"status": "cancelled"}, junior).status_code == 403
    assert snapshot() == before
    assert client.get(url, headers=senior).json()["email"] == theirs.email


def test_list_filters_and_pagination(client, practice, monkeypatch):
    monkeypatch.setattr(staff_api, "PAGE_SIZE", 2)
    for day in range(3):
        book(practice, TOMORROW_10 + timedelta(days=day), staff=practice.staff[0])
    headers = token_for(practice, Role.ADMIN)
    page = client.get(
        "/api/v1/companies/practice/bookings?from=2026-12-02&to=2026-12-31", headers=headers
    ).json()
    assert len(page["results"]) == 2 and page["next"]
    rest = client.get(page["next"], headers=headers).json()
    assert len(rest["results"]) == 1 and rest["next"] is None
    one_day = client.get(
        "/api/v1/companies/practice/bookings?from=2026-12-03&to=2026-12-03", headers=headers
    )
    assert [b["start"] for b in one_day.json()["results"]] == ["2026-12-03T10:00:00+01:00"]
    bad = client.get("/api/v1/companies/practice/bookings?status=weird", headers=headers)
    assert bad.status_code == 400 and "status" in bad.json()["error"]["fields"]


def test_confirm_request_and_record_payment(client, practice):
    practice.service.requires_confirmation = True
    practice.service.requires_payment = True
    practice.service.save()
    booking = book(practice, TOMORROW_10).booking
    headers = token_for(practice, Role.SENIOR)
    url = f"/api/v1/companies/practice/bookings/{booking.id}"
    r = client.post(url + "/confirm", data="{}", content_type="application/json", headers=headers)
    assert (
        r.status_code == 200
        and r.json()["status"] == BookingStatus.CONFIRMED
        and r.json()["customer"]
    )
    again = client.post(
        url + "/confirm", data="{}", content_type="application/json", headers=headers
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_state"
    paid = patch(client, url, {"payment_status": "paid", "notes": "Paid by bank transfer"}, headers)
    assert (
        paid.json()["payment_status"] == PaymentStatus.PAID
        and paid.json()["notes"] == "Paid by bank transfer"
    )
    before = snapshot()
    bad = patch(client, url, {"payment_status": "pending"}, headers)
    assert bad.status_code == 409 and snapshot() == before


def test_staff_cancel_ignores_customer_cutoff(client, practice, frozen_now):
    booking = book(practice, TOMORROW_10).booking
    frozen_now.shift(timedelta(hours=20))  # 6 h before the start, past the 24 h cut-off
    r = patch(
        client,
        f"/api/v1/companies/practice/bookings/{booking.id}",
        {"status": "cancelled"},
        token_for(practice, Role.SENIOR),
    )
    assert r.status_code == 200 and r.json()["status"] == "cancelled"


@pytest.mark.parametrize(
    "path",
    [
        "bookings",
        "manage/services",
        "manage/sessions",
        "manage/staff",
        "manage/staff/{staff}/time-off",
        "manage/staff/{staff}/exceptions",
    ],
)
@pytest.mark.parametrize("cursor", [str(10**30), str(2**63), "-1"])
def test_out_of_range_cursor_is_400_on_every_list(client, practice, path, cursor):
    book(practice, TOMORROW_10, staff=practice.staff[0])
    headers = token_for(practice, Role.ADMIN)
    url = "/api/v1/companies/practice/" + path.format(staff=practice.staff[0].id)
    before = snapshot()
    r = client.get(f"{url}?cursor={cursor}", headers=headers)
    assert r.status_code == 400, r.content
    assert r.json()["error"]["code"] == "validation_error"
    assert "cursor" in r.json()["error"]["fields"]
    assert snapshot() == before


def test_body_over_the_upload_limit_is_413_with_the_error_shape(client, practice):
    headers = token_for(practice, Role.ADMIN)
    before = snapshot()
    body = json.dumps({"name": "x" * (3 * 1024 * 1024)})
    r = client.post(
        "/api/v1/companies/practice/manage/services",
        data=body,
        content_type="application/json",
        headers=headers,
    )
    assert r.status_code == 413, r.content
    assert r.json()["error"]["code"] == "payload_too_large" and r.json()["error"]["message"]
    assert snapshot() == before


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("get", "bookings?from=9999-12-31", None, "from"),
        ("get", "manage/sessions?to=0001-01-01", None, "to"),
        ("get", "manage/staff/{staff}/time-off?from=9999-12-31", None, "from"),
        ("get", "manage/staff/{staff}/exceptions?to=9999-12-31", None, "to"),
        (
            "post",
            "manage/staff/{staff}/time-off",
            {"start": "9999-12-31T23:59-12:00", "end": "9999-12-31T23:59-12:00"},
            "start",
        ),
        (
            "post",
            "manage/staff/{staff}/exceptions",
            {"date": "9999-12-31", "closed": True},
            "date",
        ),
    ],
)
def test_dates_at_the_edge_of_the_calendar_are_400_on_staff_endpoints(
    client, practice, method, path, body, field
):
    book(practice, TOMORROW_10, staff=practice.staff[0])
    headers = token_for(practice, Role.ADMIN)
    url = "/api/v1/companies/practice/" + path.format(staff=practice.staff[0].id)
    before = snapshot()
    if method == "get":
        r = client.get(url, headers=headers)
    else:
        r = client.post(
            url, data=json.dumps(body), content_type="application/json", headers=headers
        )
    assert r.status_code == 400, r.content
    assert r.json()["error"]["code"] == "validation_error"
    assert field in r.json()["error"]["fields"], r.json()
    assert snapshot() == before
