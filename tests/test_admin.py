"""The Django admin: every model reachable, bookings changed only through the domain."""

import re
import secrets
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rendezvous.availability.models import DateException, ExceptionKind, TimeOff, WorkingHours
from rendezvous.bookings.domain import booking_set_notes, signin_link_issue
from rendezvous.bookings.models import Booking, BookingStatus, Customer, PaymentStatus, SignInLink
from rendezvous.catalog.models import Category, ClassSession, Service, ServiceKind
from rendezvous.companies.models import (
    ApiToken,
    Company,
    Location,
    Membership,
    Resource,
    StaffMember,
)
from rendezvous.core.models import AuditEntry
from rendezvous.core.tokens import hash_token
from rendezvous.meetings.domain import meeting_booking_changed
from rendezvous.meetings.models import JoinToken, Meeting, MeetingAccount
from rendezvous.notifications.domain import (
    notify_booking_created,
    notify_booking_rescheduled,
    staff_feed_issue,
    template_save,
)
from rendezvous.notifications.models import (
    CalendarSequence,
    NotificationSettings,
    OutboxMessage,
    ScheduledReminder,
)
from rendezvous.payments.domain.passes import (
    PassProductFields,
    pass_activate,
    pass_product_create,
    pass_purchase,
    pass_spend,
)
from rendezvous.payments.domain.wallet import wallet_grant
from rendezvous.payments.models import (
    CustomerPass,
    Method,
    PassUse,
    Payment,
    PaymentSettings,
    Refund,
    Unit,
    Wallet,
    WebhookEvent,
)
from tests.conftest import snapshot

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

START = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)

RENDEZVOUS_MODELS = sorted(
    (
        model
        for model in admin.site._registry
        if model._meta.app_config.name.startswith("rendezvous.")
    ),
    key=lambda model: model._meta.label,
)


def url(model, action: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


def texts(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser("root", "root@example.com")


@pytest.fixture
def client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def world(db):
    company = Company.objects.create(slug="salon", name="Salon", timezone="Europe/Copenhagen")
    other = Company.objects.create(slug="other", name="Other")
    location = Location.objects.create(company=company, name="Main", timezone="Europe/Copenhagen")
    resource = Resource.objects.create(
        company=company, location=location, name="Cabin 1", kind="cabin"
    )
    anna = StaffMember.objects.create(company=company, name="Anna", email="anna@example.com")
    ben = StaffMember.objects.create(company=company, name="Ben")
    stranger = StaffMember.objects.create(company=other, name="Stranger")
    anna.locations.add(location)
    category = Category.objects.create(company=company, name="Hair")
    service = Service.objects.create(
        company=company,
        category=category,
        name="Cut",
        duration_minutes=30,
        requires_confirmation=True,
    )
    service.staff.add(anna, ben)
    yoga = Service.objects.create(
        company=company, name="Yoga", kind=ServiceKind.CLASS, duration_minutes=60
    )
    session = ClassSession.objects.create(
        company=company,
        service=yoga,
        staff=anna,
        start=START,
        end=START + timedelta(hours=1),
        capacity=5,
    )
    customer = Customer.objects.create(
        company=company, first_name="Cy", last_name="Doe", email="cy@example.com"
    )
    user = get_user_model().objects.create_user("junior", "junior@example.com")
    Membership.objects.create(company=company, user=user, role="junior", staff=anna)
    token, _secret = ApiToken.issue(company=company, name="CI")
    WorkingHours.objects.create(
        staff=anna, location=location, weekday=0, start=time(9), end=time(17)
    )
    DateException.objects.create(staff=anna, date=START.date(), kind=ExceptionKind.CLOSED)
    TimeOff.objects.create(
        staff=anna, start=START + timedelta(days=7), end=START + timedelta(days=8)
    )
    return {
        "company": company,
        "other": other,
        "location": location,
        "resource": resource,
        "anna": anna,
        "ben": ben,
        "stranger": stranger,
        "service": service,
        "yoga": yoga,
        "session": session,
        "customer": customer,
        "token": token,
    }


def make_booking(
    world, *, status=BookingStatus.REQUESTED, start=START, staff=None, **fields
) -> Booking:
    fields.setdefault("service", world["service"])
    fields.setdefault("first_name", "Ada")
    fields.setdefault("last_name", "Lovelace")
    fields.setdefault("email", "ada@example.com")
    end = start + timedelta(minutes=30)
    return Booking.objects.create(
        company=world["company"],
        staff=staff or world["anna"],
        start=start,
        end=end,
        blocked_start=start,
        blocked_end=end,
        status=status,
        manage_token_hash=secrets.token_hex(32),
        **fields,
    )


def state(booking: Booking) -> tuple:
    booking.refresh_from_db()
    return (
        booking.status,
        booking.payment_status,
        booking.customer_id,
        booking.cancelled_at,
        booking.confirmed_at,
        booking.updated_at,
        booking.start,
        booking.blocked_start,
    )


def act(client, action: str, *bookings: Booking):
    return client.post(
        url(Booking, "changelist"),
        {"action": action, "_selected_action": [str(b.pk) for b in bookings]},
        follow=True,
    )


# -- every model -------------------------------------------------------------------------


def test_every_rendezvous_model_is_registered():
    ours = {
        model
        for config in apps.get_app_configs()
        if config.name.startswith("rendezvous.")
        for model in config.get_models()
    }
    assert ours - set(admin.site._registry) == set()


# Rows that only the domain writes: no "add" in the admin.
READ_ONLY = {
    Booking,
    Customer,
    SignInLink,
    OutboxMessage,
    ScheduledReminder,
    CalendarSequence,
    Meeting,
    JoinToken,
    AuditEntry,
    # Payments: a ledger, written by payments.domain (grants: WalletEntry's add page).
    PaymentSettings,
    CustomerPass,
    PassUse,
    Payment,
    Refund,
    Wallet,
    WebhookEvent,
}


@pytest.mark.parametrize("model", RENDEZVOUS_MODELS, ids=lambda m: m._meta.label)
def test_changelist_and_add_pages(client, world, model):
    make_booking(world)
    assert client.get(url(model, "changelist")).status_code == 200
    assert client.get(url(model, "add")).status_code == (403 if model in READ_ONLY else 200)


def test_every_change_page(client, world):
    make_booking(world, session=world["session"], service=world["yoga"], participants=2)
    # Notification rows come from the notifications domain, as in production.
    booking = make_booking(world, status=BookingStatus.CONFIRMED, confirmed_at=START)
    notify_booking_created(booking=booking)
    notify_booking_rescheduled(booking=booking)  # the first change writes its sequence row
    booking_set_notes(booking=booking, notes="Call first")  # an audit entry
    template_save(company=world["company"], event="reminder", language="en", subject="S", body="B")
    NotificationSettings.objects.create(company=world["company"])
    staff_feed_issue(staff=world["anna"])
    signin_link_issue(company=world["company"], email="ana@example.com")
    # Meetings come from the meetings domain too.
    MeetingAccount.objects.create(
        company=world["company"],
        staff=world["anna"],
        provider="static_link",
        url="https://r.example/a",
    )
    online = make_booking(
        world, status=BookingStatus.CONFIRMED, start=START + timedelta(hours=2), online=True
    )
    meeting_booking_changed(booking=online)
    # Payments rows from payments.domain: a pass bought, activated and spent, a grant.
    PaymentSettings.objects.create(company=world["company"], passes=True)
    product = pass_product_create(
        company=world["company"],
        fields=PassProductFields(
            name="5 cuts",
            entries=5,
            valid_days=30,
            price=Decimal(50),
            services=(world["service"].pk,),
        ),
    )
    bought = pass_purchase(
        customer=world["customer"], product=product, method=Method.ON_SITE, now=START
    )
    pass_activate(customer_pass=bought, now=START)
    due = make_booking(
        world,
        status=BookingStatus.CONFIRMED,
        start=START + timedelta(hours=4),
        customer=world["customer"],
        payment_status=PaymentStatus.PENDING,
    )
    pass_spend(booking=due, now=START)
    Refund.objects.create(payment=Payment.objects.first(), amount=Decimal(1))
    WebhookEvent.objects.create(
        company=world["company"],
        provider="stripe",
        event_id="evt_1",
        type="checkout.session.completed",
        outcome="paid",
        payment=Payment.objects.first(),
        received_at=START,
    )
    wallet_grant(customer=world["customer"], unit=Unit.CREDIT, amount=Decimal(1), note="Gift")
    for model in RENDEZVOUS_MODELS:
        obj = model.objects.first()
        response = client.get(url(model, "change", obj.pk))
        assert response.status_code == 200, model
        # A row never moves to another company.
        assert "company" not in response.context["adminform"].form.fields, model


def test_every_changelist_search_runs(client, world):
    make_booking(world)
    for model in RENDEZVOUS_MODELS:
        response = client.get(url(model, "changelist"), {"q": "Anna 1"})
        assert response.status_code == 200, model


# -- bookings --------------------------------------------------------------------------


def test_booking_change_page_hides_token_hash_and_shows_company_time(client, world):
    booking = make_booking(world)
    response = client.get(url(Booking, "change", booking.pk))
    assert response.status_code == 200
    content = response.content.decode()
    assert booking.manage_token_hash not in content
    assert "manage_token_hash" not in content
    assert "10:00" in content or "10 a.m." in content  # 09:00 UTC is 10:00 in Copenhagen
    assert set(response.context["adminform"].form.fields) == {"notes"}


def test_booking_edit_changes_notes_only(client, world):
    booking = make_booking(world)
    before = state(booking)
    response = client.post(
        url(Booking, "change", booking.pk),
        {"notes": "Prefers Ben", "status": "cancelled", "start_0": "2031-01-01", "_save": "1"},
    )
    assert response.status_code == 302
    after = state(booking)
    assert booking.notes == "Prefers Ben"
    assert after[:5] == before[:5] and after[6:] == before[6:]


def test_booking_notes_with_control_characters_are_refused(client, world):
    booking = make_booking(world)
    response = client.post(url(Booking, "change", booking.pk), {"notes": "a\x00b", "_save": "1"})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    booking.refresh_from_db()
    assert booking.notes == ""


def test_booking_changelist_search(client, world):
    booking = make_booking(world)
    make_booking(
        world,
        first_name="Grace",
        last_name="Hopper",
        email="grace@example.com",
        start=START + timedelta(hours=2),
    )
    for term in ("lovelace", "ada@example", str(booking.pk)):
        response = client.get(url(Booking, "changelist"), {"q": term})
        assert [b.pk for b in response.context["cl"].result_list] == [booking.pk], term


def test_confirm_action_confirms_request_and_creates_customer(client, world):
    booking = make_booking(world)
    assert not Customer.objects.filter(email="ada@example.com").exists()
    response = act(client, "confirm_requests", booking)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    assert booking.confirmed_at is not None
    customer = Customer.objects.get(company=world["company"], email="ada@example.com")
    assert booking.customer == customer
    assert texts(response) == ["1 booking confirmed."]


def test_cancel_action_on_cancelled_booking_reports_error_and_changes_nothing(client, world):
    booking = make_booking(
        world, status=BookingStatus.CANCELLED, cancelled_at=START - timedelta(days=1)
    )
    before = state(booking)
    response = act(client, "cancel_bookings", booking)
    assert state(booking) == before
    messages = list(response.context["messages"])
    assert len(messages) == 1
    assert messages[0].level_tag == "error"
    assert "not active" in str(messages[0])


def test_actions_report_each_refusal_and_apply_the_rest(client, world):
    requested = make_booking(world)
    confirmed = make_booking(
        world, status=BookingStatus.CONFIRMED, start=START + timedelta(hours=1)
    )
    response = act(client, "decline_requests", requested, confirmed)
    assert [m.level_tag for m in response.context["messages"]] == ["error", "success"]
    requested.refresh_from_db()
    confirmed.refresh_from_db()
    assert requested.status == BookingStatus.CANCELLED
    assert confirmed.status == BookingStatus.CONFIRMED


def test_record_payment_action(client, world):
    pending = make_booking(world, payment_status=PaymentStatus.PENDING)
    free = make_booking(world, start=START + timedelta(hours=1))
    before = state(free)
    act(client, "record_payment", pending, free)
    pending.refresh_from_db()
    assert pending.payment_status == PaymentStatus.PAID
    assert state(free) == before


def test_mark_completed_action(client, world):
    past = START - timedelta(days=3650)
    booking = make_booking(world, status=BookingStatus.CONFIRMED, start=past)
    act(client, "mark_completed", booking)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.COMPLETED


def test_only_inactive_bookings_can_be_deleted(client, world):
    active = make_booking(world)
    cancelled = make_booking(
        world, status=BookingStatus.CANCELLED, start=START + timedelta(hours=1)
    )
    assert client.get(url(Booking, "delete", active.pk)).status_code == 403
    assert client.get(url(Booking, "delete", cancelled.pk)).status_code == 200


def test_booking_changelist_query_count_is_constant(client, world):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url(Booking, "changelist"))
        assert response.status_code == 200
        return len(queries)

    make_booking(world)
    count()  # warm caches (content types, session)
    one = count()
    for i in range(1, 10):
        make_booking(
            world,
            staff=world["ben"] if i % 2 else world["anna"],
            service=world["service"] if i % 3 else world["yoga"],
            start=START + timedelta(days=i),
            email=f"guest{i}@example.com",
        )
    assert count() == one


def test_customer_bookings_link_filters_the_changelist(client, world):
    customer = world["customer"]
    mine = make_booking(world, customer=customer)
    make_booking(world, start=START + timedelta(hours=1))
    page = client.get(url(Customer, "change", customer.pk)).content.decode()
    link = re.search(r'href="([^"]*customer__id__exact=\d+)"', page).group(1)
    response = client.get(link)
    assert [b.pk for b in response.context["cl"].result_list] == [mine.pk]


def test_customer_changes_go_through_the_domain_and_deleting_is_erasure(client, world):
    customer = world["customer"]
    other = Customer.objects.create(
        company=world["company"], first_name="Cy", last_name="Other", email="cy2@example.com"
    )
    booking = make_booking(world, customer=customer)
    assert client.get(url(Customer, "add")).status_code == 403  # made by bookings only
    data = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "CY2@Example.com",
        "phone": "",
        "language": "en",
        "notes": "",
        "_save": "1",
    }
    before = list(Customer.objects.order_by("pk").values())
    refused = client.post(url(Customer, "change", customer.pk), data)
    assert "merge the two instead" in str(refused.context["adminform"].form.errors)
    assert list(Customer.objects.order_by("pk").values()) == before
    response = client.post(
        url(Customer, "change", customer.pk), {**data, "email": "New@Example.com"}
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.email == "new@example.com"
    client.post(url(Customer, "delete", other.pk), {"post": "yes"})
    client.post(url(Customer, "delete", customer.pk), {"post": "yes"})
    assert not Customer.objects.filter(pk=customer.pk).exists()
    booking.refresh_from_db()
    assert booking.customer_id is None and "lovelace" not in booking.last_name.lower()


# -- companies ---------------------------------------------------------------------------


def test_company_languages_keep_the_default_first(client, db):
    data = {
        "name": "Studio",
        "slug": "studio",
        "timezone": "Europe/Berlin",
        "default_language": "de",
        "languages": ["en", "de", "es"],
        "currency": "EUR",
        "online_meetings_enabled": "on",
        "join_window_minutes": "5",
        "cancel_cutoff_hours": "24",
        "reschedule_cutoff_hours": "24",
        "min_notice_minutes": "60",
        "max_days_ahead": "90",
        "slot_step_minutes": "15",
        "locations-TOTAL_FORMS": "1",
        "locations-INITIAL_FORMS": "0",
        "locations-0-name": "Mitte",
        "locations-0-timezone": "Europe/Berlin",
        "_save": "1",
    }
    response = client.post(url(Company, "add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    company = Company.objects.get(slug="studio")
    assert company.languages == ["de", "en", "es"]
    assert company.locations.get().timezone == "Europe/Berlin"
    form = client.get(url(Company, "change", company.pk)).context["adminform"].form
    assert form.initial["default_language"] == "de"
    assert form.initial["languages"] == ["en", "es"]

    response = client.post(url(Company, "add"), {**data, "slug": "x", "timezone": "Mars/Base"})
    assert "timezone" in response.context["adminform"].form.errors


def test_service_refuses_staff_of_another_company(client, world):
    service = world["service"]
    response = client.get(url(Service, "change", service.pk))
    choices = response.context["adminform"].form.fields["staff"].choices
    offered = {getattr(value, "value", value) for value, _label in choices}
    assert offered == {world["anna"].pk, world["ben"].pk}

    data = {
        "company": world["company"].pk,
        "name": "Colour",
        "kind": "appointment",
        "duration_minutes": "60",
        "buffer_before_minutes": "0",
        "buffer_after_minutes": "0",
        "price": "40",
        "position": "0",
        "staff": [world["anna"].pk, world["stranger"].pk],
        "active": "on",
        "_save": "1",
    }
    response = client.post(url(Service, "add"), data)
    assert "staff" in response.context["adminform"].form.errors
    assert not Service.objects.filter(name="Colour").exists()
    response = client.post(url(Service, "add"), {**data, "staff": [world["anna"].pk]})
    assert response.status_code == 302
    assert list(Service.objects.get(name="Colour").staff.all()) == [world["anna"]]


# -- class sessions -----------------------------------------------------------------------


def test_session_changelist_counts_active_seats_in_constant_queries(client, world):
    session, yoga = world["session"], world["yoga"]

    def load():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url(ClassSession, "changelist"))
        return {s.pk: s.seats_taken_count for s in response.context["cl"].result_list}, len(queries)

    load()
    seats, one = load()
    assert seats == {session.pk: 0}
    make_booking(world, session=session, service=yoga, participants=3)
    make_booking(
        world, session=session, service=yoga, participants=2, status=BookingStatus.CANCELLED
    )
    for i in range(1, 5):
        ClassSession.objects.create(
            company=world["company"],
            service=yoga,
            start=START + timedelta(days=i),
            end=START + timedelta(days=i, hours=1),
            capacity=4,
        )
    seats, many = load()
    assert seats[session.pk] == 3
    assert many == one


def session_form(session, **changes) -> dict:
    data = {
        "staff": session.staff_id or "",
        "location": "",
        "resource": "",
        "start_0": "2030-03-04",
        "start_1": "09:00",
        "end_0": "2030-03-04",
        "end_1": "10:00",
        "capacity": str(session.capacity),
        "_save": "1",
    }
    return {**data, **changes}


def test_admin_changes_a_session_through_the_domain_moving_its_bookings(client, world):
    session, yoga = world["session"], world["yoga"]
    booking = make_booking(
        world, session=session, service=yoga, participants=3, status=BookingStatus.CONFIRMED
    )
    before = snapshot()
    response = client.post(
        url(ClassSession, "change", session.pk),
        session_form(session, capacity="2", start_0="2031-01-01", end_0="2031-01-01"),
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["capacity"] == ["3 seats are booked; the capacity cannot be lower."]
    assert snapshot() == before

    response = client.post(
        url(ClassSession, "change", session.pk),
        session_form(session, capacity="3", start_0="2031-01-01", end_0="2031-01-01"),
    )
    assert response.status_code == 302
    session.refresh_from_db()
    booking.refresh_from_db()
    assert session.capacity == 3
    assert session.start.year == 2031 and session.end - session.start == timedelta(hours=1)
    # The session's booking moved with it, as the API's session_update moves it.
    assert (booking.start, booking.end) == (session.start, session.end)
    assert AuditEntry.objects.filter(entity="booking", entity_id=str(booking.pk)).exists()


def test_session_refuses_staff_of_another_company_and_appointment_services(client, world):
    data = {
        "company": world["company"].pk,
        "service": world["yoga"].pk,
        "staff": world["stranger"].pk,
        "start_0": "2030-05-01",
        "start_1": "10:00",
        "end_0": "2030-05-01",
        "end_1": "11:00",
        "capacity": "4",
        "_save": "1",
    }
    before = snapshot()
    response = client.post(url(ClassSession, "add"), data)
    assert response.status_code == 200
    assert set(response.context["adminform"].form.errors) == {"staff"}
    # An appointment service is refused by session_create, as over the API.
    data.update(service=world["service"].pk, staff=world["anna"].pk)
    response = client.post(url(ClassSession, "add"), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "service": ["Choose a class, not an appointment service."]
    }
    assert snapshot() == before
    data.update(service=world["yoga"].pk)
    response = client.post(url(ClassSession, "add"), data)
    assert response.status_code == 302
    assert ClassSession.objects.count() == 2


def test_admin_deletes_only_sessions_without_bookings(client, world):
    session, yoga = world["session"], world["yoga"]
    make_booking(world, session=session, service=yoga, status=BookingStatus.CANCELLED)
    before = snapshot()
    response = client.post(
        reverse("admin:catalog_classsession_changelist"),
        {"action": "delete_selected", "_selected_action": [session.pk], "post": "yes"},
        follow=True,
    )
    # Its bookings keep their history: the admin says so and deletes nothing.
    assert "Cannot delete class session" in response.content.decode()
    assert snapshot() == before
    empty = ClassSession.objects.create(
        company=world["company"],
        service=yoga,
        start=START + timedelta(days=1),
        end=START + timedelta(days=1, hours=1),
        capacity=4,
    )
    response = client.post(
        reverse("admin:catalog_classsession_changelist"),
        {"action": "delete_selected", "_selected_action": [empty.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not ClassSession.objects.filter(pk=empty.pk).exists()


# -- availability -------------------------------------------------------------------------


def test_working_hours_must_end_after_start_or_at_midnight(client, world):
    data = {
        "staff": world["anna"].pk,
        "weekday": "1",
        "start": "18:00",
        "end": "09:00",
        "_save": "1",
    }
    response = client.post(url(WorkingHours, "add"), data)
    assert response.status_code == 200
    assert "end" in response.context["adminform"].form.errors
    response = client.post(url(WorkingHours, "add"), {**data, "end": "00:00"})
    assert response.status_code == 302
    assert WorkingHours.objects.filter(weekday=1, end=time(0)).exists()


# -- API tokens -------------------------------------------------------------------------


def test_adding_api_token_shows_secret_once_and_stores_only_its_hash(client, world):
    data = {"company": world["company"].pk, "name": "Zapier", "role": "senior", "_save": "1"}
    response = client.post(url(ApiToken, "add"), data, follow=True)
    assert response.status_code == 200
    shown = " ".join(texts(response))
    secret = re.search(r"rdv_[A-Za-z0-9_\-]+", shown).group(0)
    token = ApiToken.objects.get(name="Zapier")
    assert token.secret_hash == hash_token(secret)
    assert token.prefix == secret[4:12]
    assert secret not in str(ApiToken.objects.filter(pk=token.pk).values().get())

    again = client.get(url(ApiToken, "changelist")).content.decode()
    assert secret not in again
    change = client.get(url(ApiToken, "change", token.pk)).content.decode()
    assert secret not in change
    assert token.secret_hash not in change
    assert token.secret_hash not in again


def test_api_tokens_take_an_expiry_and_the_list_shows_it_and_the_last_use(
    client, world, frozen_now
):
    data = {
        "company": world["company"].pk,
        "name": "Zapier",
        "role": "senior",
        "expires_at_0": "2027-01-31",
        "expires_at_1": "18:00:00",
        "_save": "1",
    }
    assert client.post(url(ApiToken, "add"), data).status_code == 302
    token = ApiToken.objects.get(name="Zapier")
    assert token.expires_at is not None
    assert token.expires_at.astimezone(UTC).date().isoformat() == "2027-01-31"
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=datetime(2027, 1, 1, 12, tzinfo=UTC))
    page = client.get(url(ApiToken, "changelist")).content.decode()
    assert "column-expires_at" in page and "column-last_used_at" in page
    assert "Jan. 31, 2027" in page and "Jan. 1, 2027" in page
