"""Booking domain functions on one connection; concurrency lives in test_concurrency.py."""

from datetime import UTC, date, datetime, timedelta

import pytest

from rendezvous.bookings import domain
from rendezvous.bookings.domain.report import BookingFilters
from rendezvous.bookings.models import Booking, BookingStatus, Customer, PaymentStatus
from rendezvous.catalog.models import ClassSession
from rendezvous.core.errors import (
    ClassFull,
    InvalidState,
    NotFound,
    SlotUnavailable,
    ValidationFailed,
)
from tests.conftest import NOW, TOMORROW_10, book, details, snapshot

pytestmark = pytest.mark.integration


def test_instant_booking_is_confirmed_with_customer_and_buffers(practice):
    practice.service.buffer_before_minutes = 10
    practice.service.buffer_after_minutes = 5
    practice.service.save()
    created = book(practice, TOMORROW_10, n=1)
    b = created.booking
    assert b.status == BookingStatus.CONFIRMED
    assert (b.start, b.end) == (TOMORROW_10, TOMORROW_10 + timedelta(minutes=60))
    assert (b.blocked_start, b.blocked_end) == (
        TOMORROW_10 - timedelta(minutes=10),
        b.end + timedelta(minutes=5),
    )
    assert b.customer.email == "customer1@example.com"
    assert b.payment_status == PaymentStatus.NOT_REQUIRED
    assert len(created.manage_token) >= 40 and created.manage_token not in b.manage_token_hash


def test_request_mode_holds_time_and_creates_no_customer(practice):
    practice.service.requires_confirmation = True
    practice.service.save()
    staff = practice.staff[0]
    b = book(practice, TOMORROW_10, staff=staff).booking
    assert b.status == BookingStatus.REQUESTED and b.customer is None
    assert Customer.objects.count() == 0
    with pytest.raises(SlotUnavailable):
        book(practice, TOMORROW_10, staff=staff)
    confirmed = domain.booking_confirm(booking=b, now=NOW)
    assert confirmed.status == BookingStatus.CONFIRMED
    assert Customer.objects.get().email == b.email
    with pytest.raises(InvalidState):
        domain.booking_confirm(booking=b, now=NOW)


def test_confirm_links_existing_customer_of_same_company_only(practice):
    practice.service.requires_confirmation = True
    practice.service.save()
    existing = Customer.objects.create(
        company=practice.company, first_name="A", last_name="B", email="a@b.example"
    )
    b = book(practice, TOMORROW_10).booking
    before = snapshot()
    with pytest.raises(NotFound):
        domain.booking_confirm(booking=b, customer_id=existing.id + 1000)
    assert snapshot() == before
    assert domain.booking_confirm(booking=b, customer_id=existing.id).customer == existing


def test_decline_frees_the_time(practice):
    practice.service.requires_confirmation = True
    practice.service.save()
    staff = practice.staff[0]
    b = book(practice, TOMORROW_10, staff=staff).booking
    domain.booking_decline(booking=b, now=NOW)
    assert book(practice, TOMORROW_10, staff=staff).booking.status == BookingStatus.REQUESTED


def test_same_slot_same_staff_twice_is_refused_and_changes_nothing(practice):
    staff = practice.staff[0]
    book(practice, TOMORROW_10, staff=staff)
    before = snapshot()
    with pytest.raises(SlotUnavailable):
        book(practice, TOMORROW_10 + timedelta(minutes=30), staff=staff)
    assert snapshot() == before


def test_any_staff_spreads_over_free_staff_then_refuses(practice):
    owners = {book(practice, TOMORROW_10).booking.staff_id for _ in range(3)}
    assert owners == {s.id for s in practice.staff}
    before = snapshot()
    with pytest.raises(SlotUnavailable):
        book(practice, TOMORROW_10)
    assert snapshot() == before


def test_any_staff_picks_the_least_busy_member_that_day(practice):
    ada, ben, cleo = practice.staff
    book(practice, TOMORROW_10.replace(hour=9), staff=ada)
    book(practice, TOMORROW_10.replace(hour=11), staff=ada)
    book(practice, TOMORROW_10.replace(hour=9), staff=ben)
    assert book(practice, TOMORROW_10.replace(hour=14)).booking.staff_id == cleo.id


@pytest.mark.parametrize(
    ("start", "why"),
    [
        (NOW - timedelta(hours=1), "past"),
        (NOW + timedelta(minutes=30), "inside minimum notice"),
        (TOMORROW_10 + timedelta(minutes=7), "off the 15-minute grid"),
        (TOMORROW_10.replace(hour=6), "before working hours"),
        (TOMORROW_10.replace(hour=16, minute=30), "runs past working hours"),
        (NOW + timedelta(days=120), "beyond the booking horizon"),
    ],
)
def test_starts_the_schedule_does_not_offer_are_refused(practice, start, why):
    with pytest.raises(SlotUnavailable):
        book(practice, start)
    assert Booking.objects.count() == 0, why


def test_time_off_and_class_sessions_block_staff(practice):
    ada = practice.staff[0]
    ada.time_off.create(start=TOMORROW_10, end=TOMORROW_10 + timedelta(hours=2))
    with pytest.raises(SlotUnavailable):
        book(practice, TOMORROW_10, staff=ada)
    # The yoga session (tomorrow 18:00) is Ada's; 17:00 is outside hours anyway, so use extra hours.
    ada.date_exceptions.create(
        date=TOMORROW_10.date(),
        kind="extra",
        start=TOMORROW_10.time().replace(hour=17),
        end=TOMORROW_10.time().replace(hour=21),
    )
    book(practice, TOMORROW_10.replace(hour=17), staff=ada)
    with pytest.raises(SlotUnavailable):
        book(practice, practice.session.start, staff=ada)


def test_service_needing_the_cabin_needs_staff_and_cabin(practice):
    ada, ben, _ = practice.staff
    b = book(practice, TOMORROW_10, service=practice.cabin_service, staff=ada).booking
    assert b.resource_id == practice.cabin.id
    before = snapshot()
    with pytest.raises(SlotUnavailable):  # Ben is free, the only cabin is not
        book(practice, TOMORROW_10, service=practice.cabin_service, staff=ben)
    assert snapshot() == before


def test_daily_maximum_per_staff(practice):
    practice.service.max_per_staff_per_day = 1
    practice.service.save()
    ada = practice.staff[0]
    book(practice, TOMORROW_10, staff=ada)
    with pytest.raises(SlotUnavailable):
        book(practice, TOMORROW_10.replace(hour=14), staff=ada)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "not-an-email"),
        ("first_name", "Bob\r\nBcc: x@evil.example"),
        ("last_name", "x" * 101),
        ("first_name", "   "),
        ("phone", "call me maybe"),
        ("first_name", "nul\x00byte"),
    ],
)
def test_bad_details_are_refused_with_field_errors_and_change_nothing(practice, field, value):
    values = {"first_name": "Ok", "last_name": "Fine", "email": "ok@example.com", "phone": ""} | {
        field: value
    }
    with pytest.raises(ValidationFailed) as err:
        domain.booking_create(
            company=practice.company,
            service=practice.service,
            start=TOMORROW_10,
            details=domain.CustomerDetails(**values),
            now=NOW,
        )
    assert field in err.value.fields
    assert Booking.objects.count() == 0 and Customer.objects.count() == 0


def test_unicode_names_are_kept_as_given(practice):
    d = domain.CustomerDetails("Zoë", "<script>alert(1)</script> Ørsted-Ştefan", "z@example.com")
    b = domain.booking_create(
        company=practice.company, service=practice.service, start=TOMORROW_10, details=d, now=NOW
    ).booking
    assert b.last_name == "<script>alert(1)</script> Ørsted-Ştefan"


def test_online_follows_company_switch_and_service(practice):
    assert book(practice, TOMORROW_10, service=practice.video).booking.online is True
    assert book(practice, TOMORROW_10, service=practice.video, online=False).booking.online is False
    with pytest.raises(ValidationFailed) as err:
        book(practice, TOMORROW_10, online=True)
    assert "online" in err.value.fields
    practice.company.online_meetings_enabled = False
    practice.company.save()
    assert (
        book(practice, TOMORROW_10 + timedelta(hours=2), service=practice.video).booking.online
        is False
    )


def test_cancel_frees_time_and_respects_cutoff(practice):
    staff = practice.staff[0]
    b = book(practice, TOMORROW_10 + timedelta(days=2), staff=staff).booking
    domain.booking_cancel(booking=b, actor=domain.CUSTOMER, now=NOW)
    assert Booking.objects.get(pk=b.pk).status == BookingStatus.CANCELLED
    with pytest.raises(InvalidState):
        domain.booking_cancel(booking=b, actor=domain.CUSTOMER, now=NOW)
    book(practice, TOMORROW_10 + timedelta(days=2), staff=staff)  # the time is free again

    soon = book(practice, TOMORROW_10, staff=staff).booking  # 26 h ahead, cut-off 24 h
    later = NOW + timedelta(hours=3)
    before = snapshot()
    with pytest.raises(InvalidState):
        domain.booking_cancel(booking=soon, actor=domain.CUSTOMER, now=later)
    assert snapshot() == before
    assert (
        domain.booking_cancel(booking=soon, actor=domain.STAFF, now=later).status
        == BookingStatus.CANCELLED
    )


def test_reschedule_moves_atomically(practice):
    ada = practice.staff[0]
    b = book(practice, TOMORROW_10 + timedelta(days=2), staff=ada).booking
    blocker = book(practice, TOMORROW_10 + timedelta(days=2, hours=3), staff=ada).booking
    before = snapshot()
    with pytest.raises(SlotUnavailable):
        domain.booking_reschedule(booking=b, start=blocker.start, actor=domain.CUSTOMER, now=NOW)
    assert snapshot() == before
    # Overlapping its own old time is fine: the booking does not block itself.
    moved = domain.booking_reschedule(
        booking=b, start=b.start + timedelta(minutes=30), actor=domain.CUSTOMER, now=NOW
    )
    assert moved.start == TOMORROW_10 + timedelta(days=2, minutes=30)
    book(practice, TOMORROW_10 + timedelta(days=2, hours=1, minutes=30), staff=ada)


def test_reschedule_past_cutoff_is_refused(practice):
    b = book(practice, TOMORROW_10).booking
    before = snapshot()
    with pytest.raises(InvalidState):
        domain.booking_reschedule(
            booking=b,
            start=TOMORROW_10 + timedelta(days=3),
            actor=domain.CUSTOMER,
            now=NOW + timedelta(hours=5),
        )
    assert snapshot() == before


def test_class_seats_up_to_capacity_then_full(practice):
    session = practice.session
    session.capacity = 3
    session.save()
    kw = dict(company=practice.company, service=practice.yoga, start=None, now=NOW)
    domain.booking_create(details=details(1), session_id=session.id, participants=2, **kw)
    domain.booking_create(details=details(2), session_id=session.id, **kw)
    before = snapshot()
    with pytest.raises(ClassFull):
        domain.booking_create(details=details(3), session_id=session.id, **kw)
    assert snapshot() == before


def test_class_seat_reservation_by_start_and_cancelled_session(practice):
    kw = dict(company=practice.company, service=practice.yoga, now=NOW)
    b = domain.booking_create(
        details=details(1), start=practice.session.start, session_id=None, **kw
    ).booking
    assert b.session_id == practice.session.id and b.online is True
    practice.session.cancelled = True
    practice.session.save()
    with pytest.raises(SlotUnavailable):
        domain.booking_create(details=details(2), start=None, session_id=practice.session.id, **kw)


def test_record_payment_transitions(practice):
    practice.service.requires_payment = True
    practice.service.save()
    b = book(practice, TOMORROW_10).booking
    assert b.payment_status == PaymentStatus.PENDING
    assert (
        domain.booking_record_payment(booking=b, status=PaymentStatus.PAID).payment_status
        == PaymentStatus.PAID
    )
    with pytest.raises(InvalidState):
        domain.booking_record_payment(booking=b, status=PaymentStatus.PENDING)


def test_a_returning_customer_is_found_whatever_the_case_of_their_email(practice):
    # A customer entered by staff with capitals, then booking online in lower case.
    known = Customer.objects.create(
        company=practice.company, first_name="Bo", last_name="Berg", email="Bo.Berg@Example.COM"
    )
    created = domain.booking_create(
        company=practice.company,
        service=practice.service,
        start=TOMORROW_10,
        details=domain.CustomerDetails("Bo", "Berg", "bo.berg@example.com", ""),
        now=NOW,
    )
    assert created.booking.customer_id == known.id
    assert Customer.objects.filter(company=practice.company).count() == 1


# Year 1 and 9999 overflow the zone conversions; the domain refuses them on the field.
EDGES = [datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, tzinfo=UTC)]
RANGE = "Dates must lie between 2000-01-01 and 2200-12-31."


@pytest.mark.parametrize("start", EDGES)
def test_starts_outside_the_calendar_are_refused_on_their_field(practice, start):
    b = book(practice, TOMORROW_10, staff=practice.staff[0]).booking
    sessions = list(ClassSession.objects.values_list("id", "start", "end"))
    before = snapshot()
    kw = dict(company=practice.company, details=details(2), now=NOW)
    for write in (
        lambda: domain.booking_create(service=practice.service, start=start, **kw),
        lambda: domain.booking_create(service=practice.yoga, start=start, **kw),
        lambda: domain.booking_reschedule(booking=b, start=start, actor=domain.STAFF, now=NOW),
        lambda: domain.session_create(
            company=practice.company,
            fields=domain.SessionFields(service=str(practice.yoga.pk), start=start, capacity=5),
            now=NOW,
        ),
        lambda: domain.session_update(
            session=practice.session, fields=domain.SessionFields(end=start), now=NOW
        ),
    ):
        with pytest.raises(ValidationFailed) as refused:
            write()
        assert refused.value.fields in ({"start": [RANGE]}, {"end": [RANGE]})
    assert snapshot() == before
    assert list(ClassSession.objects.values_list("id", "start", "end")) == sessions


def test_report_filters_outside_the_calendar_are_refused_when_made():
    with pytest.raises(ValidationFailed) as refused:
        BookingFilters(date_from=date(1, 1, 1), date_to=date(9999, 12, 31))
    assert refused.value.fields == {"date_from": [RANGE], "date_to": [RANGE]}
    assert BookingFilters(date_from=date(2000, 1, 1), date_to=date(2200, 12, 31))
