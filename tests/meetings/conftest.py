"""Meetings fixtures: the practice of tests/conftest.py with a Jitsi account, and
helpers to read a booking's join links back (tokens are derived, never stored)."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from rendezvous.meetings.links import join_link
from rendezvous.meetings.models import JoinRole, JoinToken, MeetingAccount

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


def three_class_seats(practice, capture_on_commit) -> list:
    """Three customers reserve a seat in the practice's class, each booking's after-commit
    work (the provider's meeting) run as in production."""
    from rendezvous.bookings import domain
    from tests.conftest import NOW, details

    bookings = []
    for n in range(3):
        with capture_on_commit(execute=True):
            bookings.append(
                domain.seat_reserve(
                    company=practice.company,
                    service=practice.yoga,
                    session_id=practice.session.id,
                    start=None,
                    details=details(f"class-{n}"),
                    now=NOW,
                ).booking
            )
    return bookings


def assert_one_meeting_behind_three_links(session, bookings, external_id: str, provider_url: str):
    """The class's one meeting is the provider's; each participant has a join link of
    their own, and inside the window every one of them, and the host, reaches the same
    provider URL."""
    from datetime import timedelta

    from rendezvous.meetings.domain import meeting_view
    from rendezvous.meetings.models import Meeting, MeetingState

    meeting = Meeting.objects.get(session=session)
    assert meeting.state == MeetingState.READY and meeting.external_id == external_id
    assert len({link_of(customer_token(b)) for b in bookings}) == 3
    inside = session.start - timedelta(minutes=1)
    raws = {meeting_view(booking=b, viewer=customer_token(b), now=inside).raw_url for b in bookings}
    assert raws == {provider_url}
    host = meeting_view(booking=None, viewer=host_token(meeting), now=inside, meeting=meeting)
    assert host.raw_url == provider_url


def assert_join_page_opens_only_inside_the_window(
    practice, client, capture_on_commit, provider_url_of
) -> None:
    """A video consultation booked at NOW for TOMORROW_10: its join page hides the
    provider's URL 6 minutes before the start and sends the customer there 4 minutes
    before (the practice's 5-minute window). `provider_url_of()` reads it from the fake."""
    from datetime import timedelta

    import time_machine

    from tests.conftest import NOW, TOMORROW_10, book

    with time_machine.travel(NOW, tick=False), capture_on_commit(execute=True):
        booking = book(practice, TOMORROW_10, service=practice.video, staff=practice.staff[0])
    url = provider_url_of()
    path = path_of(customer_token(booking.booking))
    with time_machine.travel(TOMORROW_10 - timedelta(minutes=6), tick=False):
        early = client.get(path)
    assert early.status_code == 200 and url not in early.content.decode()
    with time_machine.travel(TOMORROW_10 - timedelta(minutes=4), tick=False):
        inside = client.get(path)
    assert inside.status_code == 302 and inside["Location"] == url


@pytest.fixture
def short_timeout(monkeypatch):
    """The shared provider transport with a short read timeout (never the adapter)."""
    import httpx

    from rendezvous.meetings.providers import http

    client = httpx.Client(timeout=httpx.Timeout(0.3, connect=2.0))
    monkeypatch.setattr(http, "_client", client)
    yield
    client.close()


def spec(meeting_id=None, start=datetime(2026, 12, 2, 9, 0, tzinfo=UTC), minutes=30, **kw):
    """What the lifecycle asks a provider for: a 30-minute call, the day after NOW."""
    from rendezvous.meetings.providers import MeetingSpec

    return MeetingSpec(
        meeting_id=meeting_id or uuid.uuid4().hex,
        title="Video call",
        start=start,
        end=start + timedelta(minutes=minutes),
        timezone="Europe/Berlin",
        **kw,
    )
