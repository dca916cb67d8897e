"""Jitsi: a JWT per participant, bound to the join window (docs/providers.md)."""

from datetime import timedelta

import jwt
import pytest
import time_machine

from rendezvous.meetings.domain import meeting_view
from rendezvous.meetings.models import Meeting
from rendezvous.meetings.providers import ProviderError, get_provider
from rendezvous.meetings.providers.jitsi import GRACE, SKEW
from tests.conftest import TOMORROW_10, book

from .conftest import JITSI_SECRET, customer_token, host_token

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("frozen_now")]


def claims(url: str) -> dict:
    token = url.split("?jwt=", 1)[1]
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
    return jwt.decode(
        token, JITSI_SECRET, algorithms=["HS256"], audience="rendezvous_test",
        issuer="rendezvous_test", options={"verify_nbf": False, "verify_exp": False},
    )  # fmt: skip


def test_each_participant_gets_a_signed_token_bound_to_the_window(practice, jitsi):
    booking = book(practice, TOMORROW_10, service=practice.video, staff=practice.staff[0]).booking
    meeting = Meeting.objects.get(booking=booking)
    assert meeting.external_id.startswith("rdv-") and len(meeting.external_id) == 36
    assert meeting.join_url == f"https://meet.test.invalid/{meeting.external_id}"
    with time_machine.travel(TOMORROW_10 - timedelta(minutes=1), tick=False):
        now = TOMORROW_10 - timedelta(minutes=1)
        guest = meeting_view(booking=booking, viewer=customer_token(booking), now=now)
        host = meeting_view(booking=booking, viewer=host_token(meeting), now=now)
    c, h = claims(guest.raw_url), claims(host.raw_url)
    assert guest.raw_url.startswith(meeting.join_url + "?jwt=")
    assert c["room"] == h["room"] == meeting.external_id
    assert c["sub"] == "meet.test.invalid"
    assert c["nbf"] == int((TOMORROW_10 - timedelta(minutes=5) - SKEW).timestamp())
    assert h["nbf"] == int((TOMORROW_10 - timedelta(minutes=15) - SKEW).timestamp())
    assert c["exp"] == h["exp"] == int((booking.end + GRACE).timestamp())
    assert c["context"]["user"]["moderator"] is False
    assert h["context"]["user"]["moderator"] is True
    assert c["context"]["user"]["email"] == booking.email
    assert c["context"]["user"]["name"] == f"{booking.first_name} {booking.last_name}"
    assert h["context"]["user"]["name"] == practice.staff[0].name
    # A wrong secret does not verify.
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(guest.raw_url.split("=", 1)[1], "another-secret-of-enough-length-0123", algorithms=["HS256"],
                   audience="rendezvous_test")  # fmt: skip


def test_rooms_are_unguessable_and_distinct(practice, jitsi):
    rooms = {get_provider("jitsi", jitsi).create_meeting(None).external_id for _ in range(50)}
    assert len(rooms) == 50


@pytest.mark.parametrize(
    "fields",
    [{"url": ""}, {"secret": ""}, {"app_id": ""}, {"url": "http://meet.test.invalid"}],
)
def test_incomplete_settings_are_a_permanent_error(jitsi, fields):
    for name, value in fields.items():
        setattr(jitsi, name, value)
    with pytest.raises(ProviderError) as info:
        get_provider("jitsi", jitsi).create_meeting(None)
    assert info.value.permanent
    assert JITSI_SECRET not in str(info.value)
