"""Cancelling a whole class session (bookings.domain.session_cancel): its bookings,
their emails, refunds due, its meeting, and a booking racing the cancel."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from rendezvous.availability.domain import Window, open_sessions
from rendezvous.bookings import domain
from rendezvous.bookings.models import ACTIVE_STATUSES, Booking, BookingStatus, PaymentStatus
from rendezvous.catalog.models import ClassSession
from rendezvous.core.errors import InvalidState, SlotUnavailable
from rendezvous.meetings.domain import meeting_retry_due
from rendezvous.meetings.models import JoinToken, Meeting, MeetingAccount, MeetingState
from rendezvous.notifications.models import OutboxMessage
from tests.bookings.test_concurrency import race
from tests.conftest import NOW, TOMORROW_10, details, snapshot
from tests.factories import ClassSessionFactory, CompanyFactory, ServiceFactory, StaffFactory
from tests.fakes.zoom import FakeZoom

pytestmark = [pytest.mark.integration]

ZOOM_SECRET = "zoom-client-secret-0123456789"


def reserve(practice, tag, *, language="en", now=NOW, session=None):
    return domain.seat_reserve(
        company=practice.company,
        service=practice.yoga,
        session_id=(session or practice.session).id,
        start=None,
        details=details(tag),
        language=language,
        now=now,
    ).booking


def state() -> tuple:
    """Everything session_cancel may write, to prove a refusal wrote nothing."""
    return (
        snapshot(),
        list(ClassSession.objects.order_by("id").values_list("id", "cancelled", "cancelled_at")),
        list(Meeting.objects.order_by("id").values_list("id", "state", "next_attempt_at")),
        list(JoinToken.objects.order_by("id").values_list("id", "revoked_at")),
        OutboxMessage.objects.count(),
    )


@pytest.mark.usefixtures("frozen_now")
def test_cancelling_a_session_cancels_its_bookings_tells_each_customer_and_flags_refunds(
    practice,
):
    practice.yoga.requires_payment = True
    practice.yoga.save(update_fields=["requires_payment"])
    MeetingAccount.objects.create(
        company=practice.company,
        provider="static_link",
        url="https://rooms.example/yoga",
    )
    german = reserve(practice, "de", language="de")
    spanish = reserve(practice, "es", language="es")
    paid = domain.booking_record_payment(
        booking=reserve(practice, "paid", language="en"), status=PaymentStatus.PAID
    )
    domain.booking_cancel(booking=spanish, actor=domain.STAFF, now=NOW)  # already gone
    meeting = Meeting.objects.get(session=practice.session)
    moving = practice_other_booking(practice)
    before = OutboxMessage.objects.count()

    result = domain.session_cancel(session=practice.session, now=NOW)

    assert {b.pk for b in result.cancelled} == {german.pk, paid.pk}
    assert [b.pk for b in result.refunds_due] == [paid.pk]
    session = ClassSession.objects.get(pk=practice.session.pk)
    assert (session.cancelled, session.cancelled_at) == (True, NOW)
    rows = {b.pk: b for b in Booking.objects.filter(session=session)}
    assert all(b.status == BookingStatus.CANCELLED for b in rows.values())
    assert rows[german.pk].cancelled_at == rows[paid.pk].cancelled_at == NOW
    # Paid money has not gone back yet: the booking says so until a refund is recorded.
    assert rows[paid.pk].payment_status == PaymentStatus.PAID
    assert set(Booking.objects.filter(domain.REFUND_DUE).values_list("pk", flat=True)) == {paid.pk}
    assert rows[german.pk].payment_status == PaymentStatus.PENDING
    # Each customer hears it once, in their language, with a calendar cancellation.
    told = list(OutboxMessage.objects.filter(event="cancelled_by_staff"))
    assert sorted((m.booking_id, m.language) for m in told) == sorted(
        [(german.pk, "de"), (paid.pk, "en"), (spanish.pk, "es")]
    )
    subjects = {m.booking_id: m.subject for m in told}
    assert subjects[german.pk].startswith("Ihre Buchung wurde abgesagt: Yoga")
    assert subjects[paid.pk].startswith("Your booking has been cancelled: Yoga")
    assert all(m.calendar_method == "CANCEL" for m in told)
    assert OutboxMessage.objects.filter(event="booking_cancelled_staff").count() == 2 + 1
    assert OutboxMessage.objects.count() == before + 4  # nothing again for the Spanish one
    # The meeting and every link into it are revoked.
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.REVOKED and meeting.revoked_at == NOW
    assert not JoinToken.objects.filter(meeting=meeting, revoked_at__isnull=True).exists()
    # Gone from the booking site, and not bookable any more.
    window = Window(start=NOW, end=NOW + timedelta(days=7))
    listed = open_sessions(company=practice.company, service=practice.yoga, window=window, now=NOW)
    assert [s.pk for s in listed] == [moving.session_id]
    unchanged = state()
    with pytest.raises(SlotUnavailable):
        reserve(practice, "late")
    with pytest.raises(SlotUnavailable):
        domain.booking_reschedule(
            booking=moving,
            start=session.start,
            actor=domain.STAFF,
            now=NOW,
        )
    assert state()[1:] == unchanged[1:]
    assert not Booking.objects.filter(session=session, status__in=ACTIVE_STATUSES).exists()


def practice_other_booking(practice) -> Booking:
    """A booking in another session of the same class, to try moving into the cancelled one."""
    other = ClassSessionFactory(
        service=practice.yoga,
        staff=practice.staff[0],
        start=practice.session.start + timedelta(days=1),
        capacity=5,
        online=True,
    )
    return reserve(practice, "other", session=other)


@pytest.mark.usefixtures("frozen_now")
def test_cancelling_twice_is_refused_and_changes_nothing(practice):
    reserve(practice, 1)
    domain.session_cancel(session=practice.session, now=NOW)
    before = state()
    with pytest.raises(InvalidState) as info:
        domain.session_cancel(session=practice.session, now=NOW + timedelta(minutes=5))
    assert info.value.code == "invalid_state" and "already cancelled" in info.value.message
    assert state() == before


@pytest.mark.usefixtures("frozen_now")
def test_an_empty_session_is_cancelled_too(practice):
    result = domain.session_cancel(session=practice.session, now=NOW)
    assert result.cancelled == [] and result.refunds_due == []
    assert ClassSession.objects.get(pk=practice.session.pk).cancelled


@pytest.mark.usefixtures("frozen_now")
@pytest.mark.django_db(transaction=True)
def test_the_provider_meeting_is_deleted_after_commit_and_later_if_zoom_is_down(practice, settings):
    with FakeZoom(client_secret=ZOOM_SECRET) as zoom:
        settings.ZOOM_API_BASE, settings.ZOOM_OAUTH_BASE = zoom.api_base, zoom.oauth_base
        MeetingAccount.objects.create(
            company=practice.company,
            provider="zoom",
            app_id="acc-1:client-1:host@example.com",
            secret=ZOOM_SECRET,
        )
        for n in range(3):
            reserve(practice, n)
        meeting = Meeting.objects.get(session=practice.session)
        assert meeting.state == MeetingState.READY and len(zoom.meetings) == 1
        assert JoinToken.objects.filter(meeting=meeting).count() == 4  # 3 guests + host

        zoom.fail_next(99, status=503)
        domain.session_cancel(session=practice.session, now=NOW)
        meeting.refresh_from_db()
        assert meeting.state == MeetingState.REVOKED and len(zoom.meetings) == 1
        assert meeting.next_attempt_at is not None and "503" in meeting.last_error

        zoom.recover()
        assert meeting_retry_due(now=meeting.next_attempt_at) >= 1
        meeting.refresh_from_db()
        assert not zoom.meetings and meeting.next_attempt_at is None
        assert len(zoom.calls("POST")) == 1  # one meeting ever made


# -- racing a booking against the cancel (real threads, both databases) ------------------


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_a_booking_racing_the_cancel_never_stays_active_on_a_cancelled_session(round_):
    company = CompanyFactory(slug=f"race-cancel-{round_}")
    ada = StaffFactory(company=company, name="Ada")
    yoga = ServiceFactory(company=company, name="Yoga", kind="class", staff=[ada])
    session = ClassSessionFactory(
        service=yoga, staff=ada, start=TOMORROW_10 + timedelta(hours=8), capacity=20
    )

    def book(n):
        return lambda: domain.seat_reserve(
            company=company,
            service=yoga,
            session_id=session.id,
            start=None,
            details=domain.CustomerDetails("Race", f"Seat {n}", f"seat-{n}@example.com"),
            now=NOW,
        )

    calls = [book(n) for n in range(6)]
    calls.insert(round_ * 2, lambda: domain.session_cancel(session=session, now=NOW))
    answers = race(calls)
    assert all(a in ("ok", "slot_unavailable") for a in answers), answers
    connection.close()
    session.refresh_from_db()
    assert session.cancelled
    assert not Booking.objects.filter(session=session, status__in=ACTIVE_STATUSES).exists()
    booked = answers.count("ok") - 1  # the cancel answered "ok" too
    assert Booking.objects.filter(session=session).count() == booked
    assert Booking.objects.filter(session=session, status=BookingStatus.CANCELLED).count() == (
        booked
    )
    # Every booking that got in first was told it is cancelled.
    assert OutboxMessage.objects.filter(event="cancelled_by_staff").count() == booked


# -- the admin action ----------------------------------------------------------------------


@pytest.mark.usefixtures("frozen_now")
def test_the_admin_action_cancels_for_an_operator_and_never_reaches_company_staff(client, practice):
    from rendezvous.companies.models import Membership, Role

    reserve(practice, 1)
    user_model = get_user_model()
    # Company staff run their sessions in the back office; the admin is the operators'.
    senior = user_model.objects.create_user("senior", password="pw", is_staff=True)
    senior.user_permissions.add(*_perms("change_classsession", "view_classsession"))
    Membership.objects.create(company=practice.company, user=senior, role=Role.SENIOR)
    url = "/admin/catalog/classsession/"
    data = {"action": "cancel_sessions", "_selected_action": [practice.session.pk]}
    client.force_login(senior)
    before = state()
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert state() == before

    operator = user_model.objects.create_superuser("operator", password="pw")
    client.force_login(operator)
    response = client.post(url, data, follow=True)
    assert response.status_code == 200
    assert "1 booking cancelled" in response.content.decode()
    assert ClassSession.objects.get(pk=practice.session.pk).cancelled


def _perms(*codenames):
    from django.contrib.auth.models import Permission

    return list(Permission.objects.filter(codename__in=codenames))
