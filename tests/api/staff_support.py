"""Helpers for the staff API tests: tokens, JSON calls, and a snapshot of every table the
back-office endpoints write, to prove a refusal changed nothing."""

import json

from rendezvous.availability.models import DateException, TimeOff, WorkingHours
from rendezvous.bookings.models import Booking
from rendezvous.catalog.models import ClassSession, Service
from rendezvous.companies.models import ApiToken, StaffMember
from rendezvous.meetings.models import JoinToken, Meeting

M = "/api/v1/companies/practice/manage"


def token_for(company, role, staff=None) -> dict:
    _row, secret = ApiToken.issue(company=company, name=role, role=role, staff=staff)
    return {"Authorization": f"Bearer {secret}"}


def send(client, method: str, url: str, body, headers):
    return getattr(client, method)(
        url, data=json.dumps(body), content_type="application/json", headers=headers
    )


def assert_error(response, status: int, code: str, field: str | None = None) -> dict:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code and error["message"], error
    if field:
        assert field in (error.get("fields") or {}), error
    return error


def state() -> dict:
    """Every row (and relation) the back office may write, in a comparable form."""
    return {
        "services": list(Service.objects.order_by("id").values()),
        "service_staff": sorted(
            Service.staff.through.objects.values_list("service_id", "staffmember_id")
        ),
        "staff": list(StaffMember.objects.order_by("id").values()),
        "staff_locations": sorted(
            StaffMember.locations.through.objects.values_list("staffmember_id", "location_id")
        ),
        "sessions": list(ClassSession.objects.order_by("id").values()),
        "hours": list(WorkingHours.objects.order_by("id").values()),
        "time_off": list(TimeOff.objects.order_by("id").values()),
        "exceptions": list(DateException.objects.order_by("id").values()),
        "bookings": list(Booking.objects.order_by("id").values()),
        "meetings": list(Meeting.objects.order_by("id").values()),
        "join_tokens": list(JoinToken.objects.order_by("id").values()),
    }
