"""A meeting's life with its booking: created, provisioned, moved, revoked."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rendezvous.bookings import domain
from rendezvous.bookings.models import BookingStatus
from rendezvous.core.tokens import hash_token, join_token
from rendezvous.meetings import providers
from rendezvous.meetings.domain import meeting_provision_due, meeting_set_link
from rendezvous.meetings.domain.lifecycle import MAX_ATTEMPTS
from rendezvous.meetings.models import JoinRole, JoinToken, Meeting, MeetingAccount, MeetingState
from rendezvous.meetings.providers import MeetingRef, ProviderError, VideoProvider
from rendezvous.notifications.models import OutboxMessage
from tests.conftest import NOW, TOMORROW_10, book, details

from .conftest import customer_token, host_token, link_of

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("frozen_now")]


def video(practice, start=TOMORROW_10, **kwargs):
    return book(practice, start, service=practice.video, staff=practice.staff[0], **kwargs)


def test_in_person_booking_has_no_meeting(practice):
    created = book(practice, TOMORROW_10)
    assert not Meeting.objects.exists() and not JoinToken.objects.exists()
    assert created.booking.online is False


def test_without_a_provider_the_meeting_is_the_builtin_room_and_ready(practice):
    booking = video(practice).booking
    meeting = Meeting.objects.get(booking=booking)
    assert (meeting.provider, meeting.state) == ("builtin", MeetingState.READY)
    assert meeting.account is None
    roles = sorted(JoinToken.objects.filter(meeting=meeting).values_list("role", flat=True))
    assert roles == [JoinRole.CUSTOMER, JoinRole.HOST]


def test_a_manual_account_leaves_the_meeting_pending(practice):
    MeetingAccount.objects.create(company=practice.company, provider="manual")
    booking = video(practice).booking
    meeting = Meeting.objects.get(booking=booking)
    assert (meeting.provider, meeting.state) == ("manual", MeetingState.PENDING)
    roles = sorted(JoinToken.objects.filter(meeting=meeting).values_list("role", flat=True))
    assert roles == [JoinRole.CUSTOMER, JoinRole.HOST]


def test_manual_link_added_later_releases_it_and_emails_the_customer(practice):
    MeetingAccount.objects.create(company=practice.company, provider="manual")
    booking = video(practice).booking
    meeting = Meeting.objects.get(booking=booking)
    meeting_set_link(
        meeting=meeting, url="https://rooms.example/abc", instructions="Dial in", password="42"
    )
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.READY
    added = OutboxMessage.objects.get(booking=booking, event="meeting_link_added")
    assert link_of(customer_token(booking)) in added.body_text
    assert "rooms.example" not in added.body_text + added.body_html + added.calendar


def test_static_link_is_ready_at_once_and_the_confirmation_carries_our_link(practice):
    MeetingAccount.objects.create(
        company=practice.company,
        staff=practice.staff[0],
        provider="static_link",
        url="https://rooms.example/ada",
    )
    booking = video(practice).booking
    meeting = Meeting.objects.get(booking=booking)
    assert (meeting.provider, meeting.state) == ("static_link", MeetingState.READY)
    confirmation = OutboxMessage.objects.get(booking=booking, event="booking_confirmed")
    own = link_of(customer_token(booking))
    # Once in the text, once in HTML (a button's href): "Where" just says online.
    assert confirmation.body_text.count(own) == 1
    assert confirmation.body_html.count(own) == 1 and f'<a href="{own}" ' in confirmation.body_html
    assert "Where: Online video meeting\n" in confirmation.body_text
    staff = OutboxMessage.objects.get(booking=booking, event="booking_confirmed_staff")
    host = link_of(host_token(meeting))
    assert staff.body_text.count(host) == 1 and own not in staff.body_text
    for message in OutboxMessage.objects.filter(booking=booking):
        assert "rooms.example" not in message.body_text + message.body_html + message.calendar


def test_tokens_are_unguessable_and_stored_hashed(practice, jitsi):
    bookings = [video(practice, TOMORROW_10 + timedelta(hours=h)).booking for h in range(3)]
    tokens = list(JoinToken.objects.filter(booking__in=bookings))
    plain = [join_token(t.nonce) for t in tokens]
    assert len(set(plain)) == len(plain) == 3
    assert all(len(p) >= 43 for p in plain)  # 256 bits, base64url
    for token, secret in zip(tokens, plain, strict=True):
        assert token.token_hash == hash_token(secret)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM meetings_jointoken")
        dump = repr(cursor.fetchall())
    assert not any(p in dump for p in plain)


def test_cancel_revokes_the_tokens_and_the_meeting(practice, jitsi):
    created = video(practice)
    domain.booking_cancel(booking=created.booking, actor=domain.STAFF, now=NOW)
    meeting = Meeting.objects.get(booking=created.booking)
    assert meeting.state == MeetingState.REVOKED
    assert not JoinToken.objects.filter(meeting=meeting, revoked_at__isnull=True).exists()


def test_reschedule_keeps_every_token_and_moves_the_meeting(practice, jitsi):
    booking = video(practice).booking
    meeting = Meeting.objects.get(booking=booking)
    before = set(JoinToken.objects.filter(meeting=meeting).values_list("token_hash", flat=True))
    new_start = TOMORROW_10 + timedelta(hours=2)
    domain.booking_reschedule(booking=booking, start=new_start, actor=domain.STAFF, now=NOW)
    meeting.refresh_from_db()
    after = set(
        JoinToken.objects.filter(meeting=meeting, revoked_at__isnull=True).values_list(
            "token_hash", flat=True
        )
    )
    assert before == after and len(after) == 2
    assert (meeting.start, meeting.state) == (new_start, MeetingState.READY)


def test_a_class_of_three_gets_three_links_into_one_meeting(practice, jitsi):
    session = practice.session
    bookings = [
        domain.seat_reserve(
            company=practice.company,
            service=practice.yoga,
            session_id=session.id,
            start=None,
            details=details(f"class-{n}"),
            now=NOW,
        ).booking
        for n in range(3)
    ]
    meeting = Meeting.objects.get(session=session)
    links = {link_of(customer_token(b)) for b in bookings}
    assert len(links) == 3
    assert all(customer_token(b).meeting_id == meeting.pk for b in bookings)
    assert host_token(meeting).booking_id is None
    # One participant cancels: only their link stops working.
    domain.booking_cancel(booking=bookings[0], actor=domain.STAFF, now=NOW)
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.READY
    assert customer_token(bookings[0]).revoked_at is not None
    assert customer_token(bookings[1]).revoked_at is None


# -- a remote provider: creation after commit, retries, failure ----------------------------


class FlakyProvider(VideoProvider):
    """A stand-in remote provider (no network): fails `failures` times, then succeeds."""

    name = "flaky"
    local = False
    failures = 0
    permanent = False
    calls = 0

    def create_meeting(self, spec):
        FlakyProvider.calls += 1
        if FlakyProvider.calls <= FlakyProvider.failures:
            raise ProviderError("503 from provider", permanent=FlakyProvider.permanent)
        return MeetingRef(external_id=f"m-{spec.meeting_id}", join_url="https://flaky.example/j/1")


@pytest.fixture
def flaky(practice, monkeypatch):
    monkeypatch.setitem(providers.REGISTRY, "flaky", f"{__name__}.FlakyProvider")
    FlakyProvider.calls, FlakyProvider.failures, FlakyProvider.permanent = 0, 0, False
    MeetingAccount.objects.create(company=practice.company, provider="flaky")
    return FlakyProvider


@pytest.mark.django_db(transaction=True)
def test_remote_meeting_is_created_after_commit(practice, flaky):
    booking = video(practice).booking
    meeting = Meeting.objects.get(booking=booking)
    assert meeting.state == MeetingState.READY and flaky.calls == 1
    assert OutboxMessage.objects.filter(booking=booking, event="meeting_link_added").exists()


def test_no_provider_call_inside_the_booking_transaction(practice, flaky):
    # Without a commit (the test's transaction stays open) the provider is not called.
    booking = video(practice).booking
    assert flaky.calls == 0
    assert Meeting.objects.get(booking=booking).state == MeetingState.PENDING


@pytest.mark.django_db(transaction=True)
def test_transient_failures_retry_with_backoff_then_fail_and_tell_staff(
    practice, flaky, frozen_now
):
    flaky.failures = 99
    booking = video(practice).booking
    meeting = Meeting.objects.get(booking=booking)
    assert (meeting.state, meeting.attempts) == (MeetingState.PENDING, 1)
    assert meeting.next_attempt_at == NOW + timedelta(minutes=1)
    assert meeting_provision_due(now=NOW) == 0  # not due yet
    for _ in range(MAX_ATTEMPTS - 1):
        meeting.refresh_from_db()
        meeting_provision_due(now=meeting.next_attempt_at)
    meeting.refresh_from_db()
    assert (meeting.state, meeting.attempts) == (MeetingState.FAILED, MAX_ATTEMPTS)
    assert OutboxMessage.objects.filter(booking=booking, event="meeting_creation_failing").exists()
    assert booking.status == BookingStatus.CONFIRMED  # the booking itself stands


@pytest.mark.django_db(transaction=True)
def test_permanent_failure_fails_at_once(practice, flaky):
    flaky.failures, flaky.permanent = 1, True
    booking = video(practice).booking
    meeting = Meeting.objects.get(booking=booking)
    assert (meeting.state, meeting.attempts) == (MeetingState.FAILED, 1)


@pytest.mark.django_db(transaction=True)
def test_a_transient_failure_then_success(practice, flaky):
    flaky.failures = 1
    booking = video(practice).booking
    meeting = Meeting.objects.get(booking=booking)
    meeting_provision_due(now=meeting.next_attempt_at)
    meeting.refresh_from_db()
    assert (meeting.state, meeting.attempts, meeting.last_error) == (MeetingState.READY, 1, "")


def test_the_reveal_queries_do_not_grow_with_uuid_noise(practice, jitsi):
    # A smoke check that the join token lookup is one indexed query.
    from rendezvous.meetings.domain import token_lookup

    with CaptureQueriesContext(connection) as queries:
        assert token_lookup(uuid.uuid4().hex) is None
    assert len(queries) == 1
