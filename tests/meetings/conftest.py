"""Meetings fixtures: the practice of tests/conftest.py with a Jitsi account, and
helpers to read a booking's join links back (tokens are derived, never stored)."""

import pytest

from rendezvous.meetings.models import JoinRole, JoinToken, MeetingAccount
from rendezvous.meetings.tokens import join_link

JITSI_SECRET = "test-jitsi-secret-0123456789abcdef"


@pytest.fixture
def jitsi(practice):
    return MeetingAccount.objects.create(
        company=practice.company,
        provider="jitsi",
        url="https://meet.test.invalid",
        app_id="rendezvous_test",
        secret=JITSI_SECRET,
    )


def customer_token(booking) -> JoinToken:
    return JoinToken.objects.get(booking=booking, role=JoinRole.CUSTOMER)


def host_token(meeting) -> JoinToken:
    return JoinToken.objects.get(meeting=meeting, role=JoinRole.HOST)


def link_of(token: JoinToken) -> str:
    return join_link(token.nonce)


def path_of(token: JoinToken) -> str:
    return link_of(token).removeprefix("http://testserver")
