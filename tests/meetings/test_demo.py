"""The demo's video consultation: a join link that counts down now and, four minutes
before the start, redirects to the (made-up) Jitsi room."""

from datetime import date, timedelta

import pytest
import time_machine
from django.utils.dateparse import parse_datetime

from rendezvous.catalog.models import Service
from rendezvous.core.demo import demo_seed
from tests.conftest import NOW

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("frozen_now")]


def test_booking_the_demo_video_consultation_gives_a_working_join_link(client, db):
    demo_seed(today=date(2026, 12, 1))
    service = Service.objects.get(company__slug="demo", name="Video consultation")
    day = (NOW + timedelta(days=1)).date().isoformat()
    slots = client.get(
        f"/api/v1/companies/demo/slots?service={service.id}&from={day}&to={day}"
    ).json()["slots"]
    start = slots[0]["start"]
    created = client.post(
        "/api/v1/companies/demo/bookings",
        {
            "service": str(service.id),
            "start": start,
            "customer": {"first_name": "Demo", "last_name": "User", "email": "d@example.com"},
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    meeting = created.json()["meeting"]
    assert meeting["provider"] == "jitsi" and meeting["state"] == "ready"
    path = meeting["join_url"].removeprefix("http://testserver")
    page = client.get(path)
    assert page.status_code == 200 and "data-countdown" in page.content.decode()
    with time_machine.travel(parse_datetime(start) - timedelta(minutes=4), tick=False):
        response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("https://meet.demo.invalid/rdv-")
    assert "?jwt=" in response["Location"]
