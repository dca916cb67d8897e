"""The demo's video consultation: a join link that counts down now and, four minutes
before the start, opens the built-in room on the same page."""

from datetime import date, timedelta

import pytest
import time_machine
from django.utils.dateparse import parse_datetime

from rendezvous.catalog.models import Service
from rendezvous.demo.seed import demo_seed
from rendezvous.meetings.models import MeetingAccount
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
    assert meeting["provider"] == "builtin" and meeting["state"] == "ready"
    path = meeting["join_url"].removeprefix("http://testserver")
    page = client.get(path)
    assert page.status_code == 200 and "data-countdown" in page.content.decode()
    with time_machine.travel(parse_datetime(start) - timedelta(minutes=4), tick=False):
        response = client.get(path)
    assert response.status_code == 200
    token = path.removeprefix("/join/").strip("/")
    assert f'data-room-ws="/ws/join/{token}/"' in response.content.decode()


def test_seeding_again_switches_off_the_old_made_up_jitsi_account(db):
    company = demo_seed(today=date(2026, 12, 1))
    MeetingAccount.objects.create(
        company=company, provider="jitsi", url="https://meet.demo.invalid", secret="x"
    )
    demo_seed(today=date(2026, 12, 1))
    demo_seed(today=date(2026, 12, 1))
    assert list(MeetingAccount.objects.filter(company=company).values_list("active")) == [(False,)]
