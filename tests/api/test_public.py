"""The public endpoints of docs/api.md, through real HTTP handling (Django test client)."""

import json
from datetime import date, datetime, timedelta, timezone

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from rendezvous.bookings.models import Booking, BookingStatus, Customer
from rendezvous.meetings.models import MeetingAccount
from tests.conftest import TOMORROW_10, snapshot
from tests.factories import StaffFactory

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("frozen_now")]


def post(client, url, body, **headers):
    return client.post(url, data=json.dumps(body), content_type="application/json", headers=headers)


def booking_body(practice, start=TOMORROW_10, **extra):
    body = {
        "service": str(practice.service.id),
        "start": start if isinstance(start, str) else start.isoformat(),
        "staff": str(practice.staff[0].id),
        "customer": {"first_name": "Ana", "last_name": "Ionescu", "email": "ana@example.com"},
    }
    body.update(extra)
    return body


def assert_error(response, status, code, field=None):
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    if field:
        assert field in error["fields"], error


def test_company_and_services(client, practice):
    r = client.get("/api/v1/companies/practice")
    assert r.status_code == 200
    assert r.json() | {"id": None} == {
        "id": None,
        "slug": "practice",
        "name": practice.company.name,
        "timezone": "Europe/Berlin",
        "languages": ["en", "de", "da", "ro", "es"],
        "currency": "EUR",
    }
    services = {s["name"]: s for s in client.get("/api/v1/companies/practice/services").json()}
    assert services["Video call"]["online_meeting"] is True
    assert services["Consultation"]["online_meeting"] is False
    assert services["Yoga"]["kind"] == "class"
    assert set(services["Consultation"]) == {
        "id",
        "name",
        "description",
        "category",
        "kind",
        "duration_minutes",
        "price",
        "currency",
        "online_meeting",
        "requires_confirmation",
        "requires_payment",
    }
    assert_error(client.get("/api/v1/companies/nope"), 404, "not_found")


def test_staff_filtered_by_service(client, practice):
    other = StaffFactory(company=practice.company, name="Dora")
    r = client.get(f"/api/v1/companies/practice/staff?service={practice.service.id}")
    names = {s["name"] for s in r.json()}
    assert names == {"Ada", "Ben", "Cleo"} and other.name not in names
    assert str(practice.service.id) in r.json()[0]["services"]


def test_slots_list_bookable_starts_in_requested_zone(client, practice):
    url = f"/api/v1/companies/practice/slots?service={practice.service.id}&from=2026-12-02&to=2026-12-02"
    body = client.get(url).json()
    assert body["timezone"] == "Europe/Berlin"
    starts = [s["start"] for s in body["slots"]]
    assert starts[0] == "2026-12-02T09:00:00+01:00" and starts[-1] == "2026-12-02T16:00:00+01:00"
    assert len(starts) == 29  # 09:00..16:00 every 15 minutes
    assert len(body["slots"][0]["staff"]) == 3
    ny = client.get(url + "&tz=America/New_York").json()
    assert ny["timezone"] == "America/New_York"
    # The New York day starts at 06:00 Berlin time: the same 29 instants, shown at -05:00.
    assert ny["slots"][0]["start"] == "2026-12-02T03:00:00-05:00"
    assert [s["end"][11:16] for s in ny["slots"]][-1] == "11:00" and len(ny["slots"]) == 29


def test_slots_exclude_booked_time_and_honour_staff_filter(client, practice):
    ada = practice.staff[0]
    assert (
        post(client, "/api/v1/companies/practice/bookings", booking_body(practice)).status_code
        == 201
    )
    url = f"/api/v1/companies/practice/slots?service={practice.service.id}&from=2026-12-02&to=2026-12-02"
    only_ada = client.get(url + f"&staff={ada.id}").json()["slots"]
    ada_starts = {s["start"][11:16] for s in only_ada}
    assert not ada_starts & {"09:15", "09:30", "09:45", "10:00", "10:15", "10:30", "10:45"}
    assert {"09:00", "11:00"} <= ada_starts
    at_ten = next(
        s for s in client.get(url).json()["slots"] if s["start"].endswith("10:00:00+01:00")
    )
    assert str(ada.id) not in at_ten["staff"] and len(at_ten["staff"]) == 2


def test_class_slots_show_sessions_with_seats_left(client, practice):
    url = (
        f"/api/v1/companies/practice/slots?service={practice.yoga.id}&from=2026-12-01&to=2026-12-07"
    )
    slots = client.get(url).json()["slots"]
    assert slots == [
        {
            "start": "2026-12-02T18:00:00+01:00",
            "end": "2026-12-02T19:00:00+01:00",
            "staff": [str(practice.staff[0].id)],
            "session": str(practice.session.id),
            "seats_left": 10,
        }
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-12-01&to=2027-03-01", "to"),  # over 62 days
        ("from=2026-12-05&to=2026-12-01", "to"),
        ("from=2026-13-01&to=2026-12-01", "from"),
        ("from=2026-12-01&to=2026-12-02&tz=Mars/Olympus", "tz"),
        ("to=2026-12-02", "from"),
    ],
)
def test_slots_bad_queries_are_400(client, practice, query, field):
    r = client.get(f"/api/v1/companies/practice/slots?service={practice.service.id}&{query}")
    assert_error(r, 400, "validation_error", field)


def test_slots_query_count_is_constant_in_staff_and_days(client, practice):
    def count(days):
        last = date(2026, 12, 2) + timedelta(days=days - 1)
        url = f"/api/v1/companies/practice/slots?service={practice.cabin_service.id}&from=2026-12-02&to={last}"
        cache.clear()  # measure the computed answer, not the cached one
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    small = count(1)
    for _ in range(5):
        member = StaffFactory(company=practice.company)
        practice.cabin_service.staff.add(member)
    assert count(30) == small


def test_cached_slots_are_invalidated_by_a_booking(
    client, practice, django_capture_on_commit_callbacks
):
    ada = practice.staff[0]
    url = f"/api/v1/companies/practice/slots?service={practice.service.id}&from=2026-12-02&to=2026-12-02&staff={ada.id}"
    first = client.get(url).json()["slots"]
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).json()["slots"] == first
    # The company (with its availability version) and, on the database cache, the answer.
    assert len(ctx.captured_queries) <= 2
    assert "2026-12-02T10:00:00+01:00" in [s["start"] for s in first]
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            post(client, "/api/v1/companies/practice/bookings", booking_body(practice)).status_code
            == 201
        )
    after = [s["start"] for s in client.get(url).json()["slots"]]
    assert "2026-12-02T10:00:00+01:00" not in after and len(after) < len(first)


def test_book_twice_gives_201_then_409_and_nothing_changes(client, practice):
    url = "/api/v1/companies/practice/bookings"
    r = post(client, url, booking_body(practice))
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["status"] == "confirmed" and body["start"] == "2026-12-02T10:00:00+01:00"
    assert body["end"] == "2026-12-02T11:00:00+01:00" and body["staff"] == str(practice.staff[0].id)
    assert body["meeting"] is None and body["payment_status"] == "not_required"
    assert body["manage_url"].endswith(f"/manage/{body['id']}/{body['manage_token']}/")
    before = snapshot()
    assert_error(post(client, url, booking_body(practice)), 409, "slot_unavailable")
    assert snapshot() == before


def test_booking_get_cancel_reschedule_with_token(client, practice):
    created = post(
        client,
        "/api/v1/companies/practice/bookings",
        booking_body(practice, TOMORROW_10 + timedelta(days=2)),
    ).json()
    url = f"/api/v1/bookings/{created['id']}"
    token = {"X-Booking-Token": created["manage_token"]}
    assert client.get(url, headers=token).json()["id"] == created["id"]
    assert_error(client.get(url), 404, "not_found")
    assert_error(client.get(url, headers={"X-Booking-Token": "wrong"}), 404, "not_found")
    assert_error(client.get("/api/v1/bookings/not-a-uuid", headers=token), 404, "not_found")

    new_start = (TOMORROW_10 + timedelta(days=3)).isoformat()
    moved = post(client, url + "/reschedule", {"start": new_start}, **token)
    assert moved.status_code == 200 and moved.json()["start"] == new_start
    before = snapshot()
    assert_error(
        post(client, url + "/reschedule", {"start": "2026-12-05T10:07:00+01:00"}, **token),
        409,
        "slot_unavailable",
    )
    assert_error(
        post(client, url + "/reschedule", {"start": "soon"}, **token),
        400,
        "validation_error",
        "start",
    )
    assert snapshot() == before

    cancelled = post(client, url + "/cancel", {}, **token)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    before = snapshot()
    assert_error(post(client, url + "/cancel", {}, **token), 409, "invalid_state")
    assert snapshot() == before


def test_online_booking_has_pending_meeting_without_link(client, practice):
    MeetingAccount.objects.create(company=practice.company, provider="manual")
    body = booking_body(practice, service=str(practice.video.id))
    meeting = post(client, "/api/v1/companies/practice/bookings", body).json()["meeting"]
    assert (
        meeting["state"] == "pending"
        and meeting["join_url"] is None
        and meeting["password"] is None
    )
    assert (
        meeting["opens_at"] == "2026-12-02T09:55:00+01:00"
        and meeting["closes_at"] == "2026-12-02T10:30:00+01:00"
    )


def test_online_booking_gets_the_builtin_room_by_default(client, practice):
    body = booking_body(practice, service=str(practice.video.id))
    meeting = post(client, "/api/v1/companies/practice/bookings", body).json()["meeting"]
    # No account configured: the built-in room, ready at once, reached through our join page.
    assert meeting["state"] == "ready" and meeting["provider"] == "builtin"
    assert meeting["join_url"].startswith("http://testserver/join/")


def test_request_mode_gives_requested(client, practice):
    practice.service.requires_confirmation = True
    practice.service.save()
    r = post(client, "/api/v1/companies/practice/bookings", booking_body(practice))
    assert r.json()["status"] == "requested"
    assert Customer.objects.count() == 0


def test_class_booking_through_api(client, practice):
    body = booking_body(
        practice,
        service=str(practice.yoga.id),
        session=str(practice.session.id),
        start=practice.session.start.isoformat(),
        staff=None,
        participants=2,
    )
    r = post(client, "/api/v1/companies/practice/bookings", body)
    assert r.status_code == 201 and r.json()["participants"] == 2 and r.json()["online"] is True


BAD_BODIES = [
    ({"customer": {"first_name": "A", "last_name": "B", "email": "nope"}}, "customer.email"),
    (
        {
            "customer": {
                "first_name": "Bob\r\nBcc: x@evil.example",
                "last_name": "B",
                "email": "a@b.co",
            }
        },
        "customer.first_name",
    ),
    (
        {"customer": {"first_name": "A" * 300, "last_name": "B", "email": "a@b.co"}},
        "customer.first_name",
    ),
    (
        {"customer": {"first_name": "A", "last_name": "B", "email": "a@b.co", "phone": "x" * 100}},
        "customer.phone",
    ),
    ({"start": "2026-12-02T10:00:00"}, "start"),  # no offset
    ({"start": "tomorrow"}, "start"),
    ({"online": True}, "online"),  # the consultation is not online
    ({"notes": "n" * 5000}, "notes"),
    ({"language": "fr"}, "language"),
    ({"customer": None}, "customer.email"),
    ({"participants": 0}, "participants"),
]


@pytest.mark.parametrize(("change", "field"), BAD_BODIES)
def test_bad_bodies_are_400_with_field_errors_and_change_nothing(client, practice, change, field):
    before = snapshot()
    r = post(client, "/api/v1/companies/practice/bookings", booking_body(practice, **change))
    assert_error(r, 400, "validation_error", field)
    assert snapshot() == before and Customer.objects.count() == 0


@pytest.mark.parametrize(
    ("start", "code"),
    [
        ("2026-11-30T10:00:00+01:00", "slot_unavailable"),
        ("2026-12-02T10:07:00+01:00", "slot_unavailable"),
        ("2026-12-02T22:00:00+01:00", "slot_unavailable"),
    ],
)
def test_past_off_grid_and_out_of_hours_starts_are_409(client, practice, start, code):
    r = post(client, "/api/v1/companies/practice/bookings", booking_body(practice, start=start))
    assert_error(r, 409, code)
    assert Booking.objects.count() == 0


def test_body_that_is_not_json_is_400(client, practice):
    r = client.post(
        "/api/v1/companies/practice/bookings", data="{nope", content_type="application/json"
    )
    assert_error(r, 400, "validation_error")
    assert Booking.objects.count() == 0


def test_unknown_service_and_staff_are_404(client, practice):
    assert_error(
        post(
            client, "/api/v1/companies/practice/bookings", booking_body(practice, service="999999")
        ),
        404,
        "not_found",
    )
    other = StaffFactory()  # another company's staff member
    assert_error(
        post(
            client,
            "/api/v1/companies/practice/bookings",
            booking_body(practice, staff=str(other.id)),
        ),
        404,
        "not_found",
    )
    assert Booking.objects.count() == 0


def test_rate_limit_on_booking_creation(client, practice, settings):
    settings.BOOKING_RATE_LIMIT = "3/m"
    url = "/api/v1/companies/practice/bookings"
    codes = [
        post(
            client,
            url,
            booking_body(practice, start=(TOMORROW_10 + timedelta(hours=i)).isoformat()),
        ).status_code
        for i in range(4)
    ]
    assert codes == [201, 201, 201, 429]
    r = post(
        client, url, booking_body(practice, start=(TOMORROW_10 + timedelta(hours=5)).isoformat())
    )
    assert_error(r, 429, "rate_limited")
    assert 1 <= int(r["Retry-After"]) <= 60
    assert Booking.objects.filter(status=BookingStatus.CONFIRMED).count() == 3


def test_openapi_document_lists_the_contract(client):
    doc = client.get("/api/v1/openapi.json").json()
    paths = doc["paths"]
    for path in [
        "/api/v1/companies/{company}",
        "/api/v1/companies/{company}/services",
        "/api/v1/companies/{company}/staff",
        "/api/v1/companies/{company}/slots",
        "/api/v1/companies/{company}/bookings",
        "/api/v1/bookings/{booking_id}",
        "/api/v1/bookings/{booking_id}/cancel",
        "/api/v1/bookings/{booking_id}/reschedule",
    ]:
        assert path in paths, path
    assert doc["openapi"].startswith("3.")


def test_spam_check_of_the_booking_site_holds_for_the_api(client, practice):
    import altcha

    practice.company.altcha_enabled = True
    practice.company.save(update_fields=["altcha_enabled"])
    url = "/api/v1/companies/practice/bookings"
    before = snapshot()
    assert_error(post(client, url, booking_body(practice)), 400, "validation_error", "altcha")
    assert_error(
        post(client, url, booking_body(practice, altcha="junk")), 400, "validation_error", "altcha"
    )
    assert snapshot() == before
    challenge = altcha.Challenge.from_dict(client.get("/en/practice/altcha/challenge/").json())
    payload = altcha.Payload(challenge, altcha.solve_challenge(challenge, timeout=30)).to_base64()
    assert post(client, url, booking_body(practice, altcha=payload)).status_code == 201
    later = booking_body(practice, start=TOMORROW_10 + timedelta(hours=2), altcha=payload)
    assert_error(post(client, url, later), 400, "validation_error", "altcha")  # spent


def test_names_with_joiners_are_accepted_and_overrides_refused(client, practice):
    url = "/api/v1/companies/practice/bookings"
    before = snapshot()
    bad = {"customer": {"first_name": "evil\u202etxt", "last_name": "B", "email": "a@b.co"}}
    assert_error(post(client, url, booking_body(practice, **bad)), 400, "validation_error")
    assert snapshot() == before and Customer.objects.count() == 0
    persian = {"first_name": "می\u200cخواهم", "last_name": "क्\u200dष", "email": "a@b.co"}
    r = post(client, url, booking_body(practice, customer=persian))
    assert r.status_code == 201, r.content
    assert Customer.objects.get().first_name == "می\u200cخواهم"


EDGE_STARTS = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59-12:00", "1999-12-31T10:00:00+01:00"]


@pytest.mark.parametrize("start", EDGE_STARTS)
def test_dates_at_the_edge_of_the_calendar_are_400(client, practice, start):
    before = snapshot()
    url = "/api/v1/companies/practice/bookings"
    assert_error(post(client, url, booking_body(practice, start=start)), 400, "validation_error")
    slots = "/api/v1/companies/practice/slots"
    r = client.get(
        slots, {"service": practice.service.id, "from": "9999-12-30", "to": "9999-12-31"}
    )
    assert_error(r, 400, "validation_error", "from")
    assert snapshot() == before and Customer.objects.count() == 0


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(start=st.datetimes(timezones=st.timezones()))
@example(start=datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))))
@example(start=datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-12))))
def test_any_datetime_on_booking_and_slots_is_never_a_5xx(client, practice, start):
    url = "/api/v1/companies/practice/bookings"
    body = booking_body(practice, start=start.isoformat())
    assert post(client, url, body).status_code < 500
    day = start.date().isoformat()
    query = {"service": practice.service.id, "from": day, "to": day}
    assert client.get("/api/v1/companies/practice/slots", query).status_code < 500
