"""The back office's booking dialog, pop-up, actions and drag-to-move, over HTTP, for
each role: every write is the domain's (same refusals, same emails), and rows the
actor may not see answer 404."""

from datetime import timedelta

import pytest

from rendezvous.bookings import domain
from rendezvous.bookings.models import Booking, BookingSource, BookingStatus
from rendezvous.notifications.domain import outbox_deliver_due
from rendezvous.notifications.models import Event, OutboxMessage
from tests.conftest import NOW, TOMORROW_10, book, details, snapshot
from tests.factories import CompanyFactory, ServiceFactory, StaffFactory
from tests.notifications.conftest import calendar_part

from .conftest import PASSWORD

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def signed_in(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def foreign_booking(*, n: str) -> Booking:
    """A booking of another company."""
    other = CompanyFactory(slug="elsewhere")
    staff = StaffFactory(company=other)
    service = ServiceFactory(company=other, staff=[staff])
    return domain.booking_create(
        company=other, service=service, start=TOMORROW_10, details=details(n), now=NOW
    ).booking


def new_booking(client, staff, start, **fields):
    data = {
        "staff": staff.pk,
        "start": start.strftime("%Y-%m-%dT%H:%M"),
        "first_name": "Phone",
        "last_name": "Caller",
        "email": "caller@example.com",
        "send_email": "on",
        **fields,
    }
    return client.post("/office/bookings/new/", data)


def test_the_dialog_offers_only_the_services_the_staff_member_gives(client, practice, team):
    only_ben = ServiceFactory(
        company=practice.company, name="Ben's massage", staff=[practice.staff[1]]
    )
    signed_in(client, team["senior"])
    page = client.get(f"/office/bookings/new/?staff={practice.staff[0].pk}&start=2026-12-02T10:00")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Consultation" in text and only_ben.name not in text
    assert 'value="2026-12-02T10:00"' in text


def test_staff_book_a_phoning_customer_inside_the_notice_period(client, practice, team):
    signed_in(client, team["senior"])
    # Notice is an hour; staff may book 30 minutes from now.
    start = NOW + timedelta(minutes=60)
    practice.company.min_notice_minutes = 240
    practice.company.save()
    response = new_booking(client, practice.staff[1], start, service=practice.service.pk)
    assert response.status_code == 200, response.content.decode()
    assert "office:changed" in response["HX-Trigger"]
    booking = Booking.objects.get()
    assert (booking.source, booking.status, booking.staff) == (
        BookingSource.STAFF,
        BookingStatus.CONFIRMED,
        practice.staff[1],
    )
    assert booking.start == start
    events = set(OutboxMessage.objects.values_list("event", flat=True))
    assert events == {Event.BOOKING_CONFIRMED, Event.BOOKING_CONFIRMED_STAFF}


def test_send_confirmation_off_writes_no_customer_email(client, practice, team):
    signed_in(client, team["admin"])
    data = {"service": practice.service.pk}
    response = new_booking(client, practice.staff[0], TOMORROW_10, **data, send_email="")
    assert response.status_code == 200
    assert list(OutboxMessage.objects.values_list("event", flat=True)) == [
        Event.BOOKING_CONFIRMED_STAFF
    ]


def test_a_request_mode_service_booked_by_staff_is_confirmed(client, practice, team):
    practice.service.requires_confirmation = True
    practice.service.save()
    signed_in(client, team["admin"])
    assert (
        new_booking(client, practice.staff[0], TOMORROW_10, service=practice.service.pk).status_code
        == 200
    )
    assert Booking.objects.get().status == BookingStatus.CONFIRMED


def test_a_taken_time_or_one_outside_the_hours_is_refused_and_nothing_changes(
    client, practice, team
):
    taken = book(practice, TOMORROW_10, staff=practice.staff[0]).booking
    signed_in(client, team["admin"])
    before = snapshot()
    emails = OutboxMessage.objects.count()
    for start in (TOMORROW_10, TOMORROW_10.replace(hour=20)):
        response = new_booking(client, practice.staff[0], start, service=practice.service.pk)
        assert response.status_code == 422
        # What the time must fit, in words a receptionist can act on.
        assert "Ada is not free for 60 minutes from then" in response.content.decode()
    practice.service.buffer_after_minutes = 15
    practice.service.save()
    response = new_booking(
        client, practice.staff[0], TOMORROW_10 - timedelta(hours=1), service=practice.service.pk
    )
    assert "keeps 15 minutes of buffer" in response.content.decode()
    assert snapshot() == before and OutboxMessage.objects.count() == emails
    assert Booking.objects.get() == taken


def test_missing_details_are_shown_on_their_fields(client, practice, team):
    signed_in(client, team["admin"])
    response = new_booking(
        client, practice.staff[0], TOMORROW_10, service=practice.service.pk, email="not-an-email"
    )
    assert response.status_code == 422
    assert 'class="field has-error"><label for="b-email"' in response.content.decode()
    assert not Booking.objects.exists()


def test_a_junior_books_only_in_their_own_column(client, practice, team):
    signed_in(client, team["junior"])  # tied to Ada
    refused = new_booking(client, practice.staff[1], TOMORROW_10, service=practice.service.pk)
    assert refused.status_code == 404 and not Booking.objects.exists()
    ok = new_booking(client, practice.staff[0], TOMORROW_10, service=practice.service.pk)
    assert ok.status_code == 200 and Booking.objects.get().staff == practice.staff[0]


def test_customer_search_matches_name_email_and_phone_within_the_company(client, practice, team):
    book(practice, TOMORROW_10, staff=practice.staff[1], n="kirsten")
    foreign_booking(n="kirsten-elsewhere")
    signed_in(client, team["senior"])
    found = client.get("/office/customers/search/?q=kirsten").content.decode()
    assert "customerkirsten@example.com" in found
    assert "kirsten-elsewhere" not in found
    # A junior (Ada) finds only customers of Ada's bookings.
    client.logout()
    signed_in(client, team["junior"])
    assert (
        "customerkirsten@" not in client.get("/office/customers/search/?q=kirsten").content.decode()
    )


def test_the_popup_of_an_online_booking_has_the_client_link_and_the_host_start(
    client, practice, team, frozen_now
):
    practice.company.online_meetings_enabled = True
    practice.company.save()
    booking = book(practice, TOMORROW_10, service=practice.video, staff=practice.staff[0]).booking
    signed_in(client, team["admin"])
    page = client.get(f"/office/bookings/{booking.pk}/").content.decode()
    assert "Video meeting" in page and "Copy client link" in page
    # Before the host's window: a countdown, not the button.
    assert "opens in" in page and "Start meeting</a>" not in page
    client_link = page.split('id="client-link" type="text" readonly value="')[1].split('"')[0]
    frozen_now.move_to(TOMORROW_10 - timedelta(minutes=5))
    page = client.get(f"/office/bookings/{booking.pk}/").content.decode()
    assert "Start meeting</a>" in page
    host_link = page.split('class="button" href="')[1].split('"')[0]
    assert host_link != client_link
    # The client link is the customer's own join page (the built-in room for them).
    customer = client.get(client_link.removeprefix("http://testserver"))
    assert customer.status_code == 200
    assert practice.video.name in customer.content.decode()


@pytest.mark.parametrize("role", ["junior"])
def test_a_colleagues_booking_and_another_companys_are_404(client, practice, team, role):
    mine = book(practice, TOMORROW_10, staff=practice.staff[0]).booking
    colleague = book(practice, TOMORROW_10, staff=practice.staff[1]).booking
    signed_in(client, team[role])
    assert client.get(f"/office/bookings/{mine.pk}/").status_code == 200
    assert client.get(f"/office/bookings/{colleague.pk}/").status_code == 404
    before = snapshot()
    assert client.post(f"/office/bookings/{colleague.pk}/cancel/").status_code == 404
    assert (
        client.post(
            f"/office/bookings/{colleague.pk}/move/", {"start": "2026-12-02T12:00"}
        ).status_code
        == 404
    )
    assert snapshot() == before


def test_another_companys_booking_is_404_even_for_an_admin(client, practice, team):
    foreign = foreign_booking(n="f")
    signed_in(client, team["admin"])
    assert client.get(f"/office/bookings/{foreign.pk}/").status_code == 404
    assert client.post(f"/office/bookings/{foreign.pk}/cancel/").status_code == 404
    assert Booking.objects.get(pk=foreign.pk).status == BookingStatus.CONFIRMED


def test_actions_go_through_the_domain(client, practice, team):
    practice.service.requires_confirmation = True
    practice.service.save()
    request = book(practice, TOMORROW_10, staff=practice.staff[0]).booking
    assert request.status == BookingStatus.REQUESTED
    signed_in(client, team["senior"])
    response = client.post(f"/office/bookings/{request.pk}/confirm/")
    assert response.status_code == 200
    assert "Request confirmed; the customer is told by email." in response.content.decode()
    request.refresh_from_db()
    assert request.status == BookingStatus.CONFIRMED and request.customer_id is not None
    assert OutboxMessage.objects.filter(booking=request, event=Event.REQUEST_CONFIRMED).exists()
    # Confirming twice is refused by the domain, with its reason, changing nothing.
    before = snapshot()
    again = client.post(f"/office/bookings/{request.pk}/confirm/")
    assert again.status_code == 409 and snapshot() == before
    response = client.post(f"/office/bookings/{request.pk}/cancel/", {"notify": "on"})
    request.refresh_from_db()
    assert request.status == BookingStatus.CANCELLED
    assert OutboxMessage.objects.filter(booking=request, event=Event.CANCELLED_BY_STAFF).exists()
    assert client.post(f"/office/bookings/{request.pk}/nonsense/").status_code == 404


def test_dragging_a_booking_moves_it_or_explains_why_not(client, practice, team, smtp):
    booking = book(practice, TOMORROW_10, staff=practice.staff[0]).booking
    blocker = book(practice, TOMORROW_10 + timedelta(hours=3), staff=practice.staff[0]).booking
    signed_in(client, team["admin"])
    moved = client.post(
        f"/office/bookings/{booking.pk}/move/",
        {"start": "2026-12-02T11:00", "staff": str(practice.staff[0].pk)},
    )
    assert moved.status_code == 200
    booking.refresh_from_db()
    assert booking.start == TOMORROW_10 + timedelta(hours=1)
    assert OutboxMessage.objects.filter(booking=booking, event=Event.BOOKING_RESCHEDULED).exists()
    before = snapshot()
    taken = client.post(f"/office/bookings/{booking.pk}/move/", {"start": "2026-12-02T13:00"})
    assert taken.status_code == 409 and taken.json()["message"]
    soon = client.post(f"/office/bookings/{booking.pk}/move/", {"start": "soon"})
    assert soon.status_code == 422 and soon.json()["message"] == "Enter a date and time."
    assert snapshot() == before
    assert blocker.pk != booking.pk


def test_a_drop_in_a_colleagues_column_gives_them_the_booking(client, practice, team, smtp):
    ada, ben, _cleo = practice.staff
    booking = book(practice, TOMORROW_10, staff=ada).booking
    signed_in(client, team["senior"])
    moved = client.post(
        f"/office/bookings/{booking.pk}/move/", {"start": "2026-12-02T14:00", "staff": str(ben.pk)}
    )
    assert moved.status_code == 200 and moved.json()["staff"] == str(ben.pk)
    booking.refresh_from_db()
    assert (booking.staff_id, booking.start) == (ben.pk, TOMORROW_10 + timedelta(hours=4))
    outbox_deliver_due()
    (to_customer,) = [r for r in smtp.to(booking.email) if "moved" in r.message["Subject"]]
    assert "with Ben" in to_customer.message.get_body(("plain",)).get_content()
    assert smtp.to(ben.email)  # Ben hears of his new booking


def test_a_junior_cannot_hand_their_booking_to_a_colleague(client, practice, team):
    ada, ben, _cleo = practice.staff
    booking = book(practice, TOMORROW_10, staff=ada).booking
    signed_in(client, team["junior"])
    before = snapshot()
    refused = client.post(
        f"/office/bookings/{booking.pk}/move/", {"start": "2026-12-02T14:00", "staff": str(ben.pk)}
    )
    assert refused.status_code == 409
    assert refused.json()["message"] == (
        "Only admins and senior staff can give a booking to a colleague."
    )
    assert snapshot() == before
    # The pop-up offers a junior no colleagues, only a new time.
    popup = client.get(f"/office/bookings/{booking.pk}/").content.decode()
    assert 'id="move-start"' in popup and 'id="move-staff"' not in popup


def test_the_popups_form_moves_and_changes_staff(client, practice, team):
    ada, ben, cleo = practice.staff
    practice.service.staff.remove(cleo)
    booking = book(practice, TOMORROW_10, staff=ada).booking
    signed_in(client, team["admin"])
    popup = client.get(f"/office/bookings/{booking.pk}/").content.decode()
    # Only those who give the service are offered.
    assert f'<option value="{ben.pk}">Ben</option>' in popup and "Cleo" not in popup
    action = f"/office/bookings/{booking.pk}/reschedule/"
    assert f'hx-post="{action}"' in popup
    response = client.post(action, {"start": "2026-12-03T09:00", "staff": str(ben.pk)})
    # The pop-up again, with the booking where it is now.
    assert response.status_code == 200
    assert "Booking moved; the customer is told by email." in response.content.decode()
    assert "Thursday, 3 December 2026, 09:00" in response.content.decode()
    booking.refresh_from_db()
    assert booking.staff_id == ben.pk and booking.start == TOMORROW_10 + timedelta(days=1, hours=-1)
    before = snapshot()
    refused = client.post(action, {"start": "2026-12-03T09:00", "staff": str(cleo.pk)})
    assert refused.status_code == 409
    assert "This staff member does not offer this service." in refused.content.decode()
    assert snapshot() == before


def test_the_popup_resends_the_confirmation_with_the_same_invitation(client, practice, team, smtp):
    booking = book(practice, TOMORROW_10, staff=practice.staff[0]).booking
    outbox_deliver_due()
    (first,) = smtp.to(booking.email)
    signed_in(client, team["senior"])
    popup = client.get(f"/office/bookings/{booking.pk}/").content.decode()
    assert "Resend confirmation" in popup
    response = client.post(f"/office/bookings/{booking.pk}/resend/")
    assert response.status_code == 200
    assert f"on its way to {booking.email} again" in response.content.decode()
    outbox_deliver_due()
    again = smtp.to(booking.email)[1]
    assert again.message["Subject"] == first.message["Subject"]
    (_, old), (_, new) = calendar_part(first.message), calendar_part(again.message)
    old_event, new_event = old.walk("VEVENT")[0], new.walk("VEVENT")[0]
    assert str(new_event["UID"]) == str(old_event["UID"])
    assert int(new_event["SEQUENCE"]) == int(old_event["SEQUENCE"]) == 0
    assert (
        "confirmation sent again" in client.get(f"/office/bookings/{booking.pk}/").content.decode()
    )
    # A cancelled booking has nothing to send again: refused, nothing queued.
    domain.booking_cancel(booking=booking, actor=domain.STAFF, notify_customer=False, now=NOW)
    queued = OutboxMessage.objects.count()
    assert client.post(f"/office/bookings/{booking.pk}/resend/").status_code == 409
    assert OutboxMessage.objects.count() == queued


def test_declining_with_a_message_puts_it_in_the_customers_email(client, practice, team, smtp):
    practice.service.requires_confirmation = True
    practice.service.save()
    request = book(practice, TOMORROW_10, staff=practice.staff[0], n="asks").booking
    signed_in(client, team["senior"])
    too_long = client.post(f"/office/requests/{request.pk}/decline/", {"message": "x" * 2001})
    assert too_long.status_code == 302
    request.refresh_from_db()
    assert request.status == BookingStatus.REQUESTED
    client.post(
        f"/office/requests/{request.pk}/decline/",
        {"message": "Ada is away that week; Thursday works."},
    )
    request.refresh_from_db()
    assert request.status == BookingStatus.CANCELLED
    outbox_deliver_due()
    declined = [
        r for r in smtp.to(request.email) if "could not be confirmed" in r.message["Subject"]
    ]
    (mail,) = declined
    assert (
        "Ada is away that week; Thursday works." in mail.message.get_body(("plain",)).get_content()
    )
    assert "Ada is away that week" in mail.message.get_body(("html",)).get_content()


def test_the_calendar_page_offers_a_junior_no_colleagues(client, practice, team):
    # The columns themselves come from the calendar feed (tests/api/test_staff_calendar.py).
    signed_in(client, team["junior"])
    page = client.get("/office/calendar/").content.decode()
    assert "Ben" not in page and "Cleo" not in page and 'id="filter-staff"' not in page
    client.logout()
    signed_in(client, team["senior"])
    page = client.get("/office/calendar/").content.decode()
    assert all(name in page for name in ("Ada", "Ben", "Cleo"))


def test_the_requests_inbox_confirms_with_a_picked_customer_or_declines(
    client, practice, team, frozen_now
):
    from rendezvous.bookings.models import Customer  # noqa: PLC0415

    practice.service.requires_confirmation = True
    practice.service.save()
    known = Customer.objects.create(
        company=practice.company,
        first_name="Test",
        last_name="Known",
        email="CustomerKnown@Example.com",
    )
    first = book(practice, TOMORROW_10, staff=practice.staff[0], n="known").booking
    frozen_now.shift(timedelta(minutes=5))
    second = book(practice, TOMORROW_10, staff=practice.staff[1], n="new").booking
    signed_in(client, team["senior"])
    page = client.get("/office/requests/").content.decode()
    assert page.index("customerknown@") < page.index("customernew@")  # oldest first
    assert f'value="{known.pk}" checked' in page  # same email, any case
    response = client.post(
        f"/office/requests/{first.pk}/confirm/", {"customer": str(known.pk)}, follow=True
    )
    assert "Request confirmed" in response.content.decode()
    first.refresh_from_db()
    assert (first.status, first.customer_id) == (BookingStatus.CONFIRMED, known.pk)
    client.post(f"/office/requests/{second.pk}/decline/")
    second.refresh_from_db()
    assert second.status == BookingStatus.CANCELLED
    assert OutboxMessage.objects.filter(booking=second, event=Event.REQUEST_DECLINED).exists()
    # Answering again is refused with the domain's reason and changes nothing.
    before = snapshot()
    again = client.post(f"/office/requests/{second.pk}/confirm/", follow=True)
    assert "Only a requested booking can be confirmed." in again.content.decode()
    assert snapshot() == before
    assert "No requests waiting" in client.get("/office/requests/").content.decode()


def test_a_junior_sees_only_requests_for_their_own_column(client, practice, team):
    practice.service.requires_confirmation = True
    practice.service.save()
    book(practice, TOMORROW_10, staff=practice.staff[0], n="mine")
    colleague = book(practice, TOMORROW_10, staff=practice.staff[1], n="theirs").booking
    signed_in(client, team["junior"])
    page = client.get("/office/requests/").content.decode()
    assert "customermine@" in page and "customertheirs@" not in page
    assert client.post(f"/office/requests/{colleague.pk}/confirm/").status_code == 404
    colleague.refresh_from_db()
    assert colleague.status == BookingStatus.REQUESTED


def test_cancelling_without_the_customers_email_keeps_the_reason_for_staff(client, practice, team):
    from rendezvous.core.models import AuditEntry  # noqa: PLC0415

    booking = book(practice, TOMORROW_10, staff=practice.staff[0]).booking
    signed_in(client, team["senior"])
    too_long = client.post(f"/office/bookings/{booking.pk}/cancel/", {"reason": "x" * 3000})
    assert too_long.status_code == 409 and "At most 2000 characters" in too_long.content.decode()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    client.post(f"/office/bookings/{booking.pk}/cancel/", {"reason": "Called: she is ill"})
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    events = set(OutboxMessage.objects.filter(booking=booking).values_list("event", flat=True))
    assert Event.CANCELLED_BY_STAFF not in events and Event.BOOKING_CANCELLED_STAFF in events
    entry = AuditEntry.objects.get(entity="booking", entity_id=str(booking.pk), action="cancelled")
    assert entry.changes["reason"] == [None, "Called: she is ill"]


def test_outside_working_hours_is_for_admins_and_seniors_and_still_refuses_taken_times(
    client, practice, team
):
    evening = TOMORROW_10.replace(hour=19)
    taken = book(practice, TOMORROW_10, staff=practice.staff[0]).booking
    signed_in(client, team["junior"])
    before = snapshot()
    refused = new_booking(
        client, practice.staff[0], evening, service=practice.service.pk, outside_hours="on"
    )
    assert refused.status_code == 404 and snapshot() == before
    client.logout()
    signed_in(client, team["senior"])
    page = client.get(f"/office/bookings/new/?staff={practice.staff[0].pk}").content.decode()
    assert "Outside working hours" in page
    # Without the tick the evening is outside the hours; with it, it is booked.
    assert (
        new_booking(client, practice.staff[0], evening, service=practice.service.pk).status_code
        == 422
    )
    ok = new_booking(
        client, practice.staff[0], evening, service=practice.service.pk, outside_hours="on"
    )
    assert ok.status_code == 200
    assert Booking.objects.filter(start=evening, staff=practice.staff[0]).exists()
    # A taken time stays refused, tick or not.
    before = snapshot()
    again = new_booking(
        client, practice.staff[0], taken.start, service=practice.service.pk, outside_hours="on"
    )
    assert again.status_code == 422 and snapshot() == before


@pytest.mark.parametrize(
    ("language", "when", "history"),
    [
        ("en", "Wednesday, 2 December 2026, 10:00–11:00", "Tue 1 Dec, 08:00"),
        ("da", "onsdag den 2. december 2026 10.00–11.00", "tirs. 1. dec. 08.00"),
        ("de", "Mittwoch, 2. Dezember 2026, 10:00–11:00", "Di., 1. Dez., 08:00"),
    ],
)
def test_the_popup_writes_its_dates_as_the_pages_language_does(
    client, practice, team, language, when, history
):
    # The company's zone (Berlin), the page's language, CLDR's patterns for both.
    booking = book(practice, TOMORROW_10, staff=practice.staff[0]).booking
    signed_in(client, team["admin"])
    client.cookies["django_language"] = language
    popup = client.get(f"/office/bookings/{booking.pk}/").content.decode()
    assert when in popup and history in popup
