"""Templates: defaults in five languages, company overrides, single-pass substitution."""

from datetime import timedelta

import pytest

from rendezvous.bookings.models import Booking
from rendezvous.core.errors import ValidationFailed
from rendezvous.notifications.domain import (
    outbox_deliver_due,
    template_preview,
    template_save,
    template_test_send,
)
from rendezvous.notifications.domain.bookings import notify_booking_created
from rendezvous.notifications.events import Event
from rendezvous.notifications.models import MessageTemplate, OutboxMessage
from tests.conftest import TOMORROW_10, book, snapshot
from tests.factories import CompanyFactory, ServiceFactory
from tests.notifications.conftest import as_if_just_booked

pytestmark = pytest.mark.integration


def templates() -> list[tuple]:
    return list(MessageTemplate.objects.order_by("pk").values_list("pk", "subject", "body"))


@pytest.mark.parametrize(
    ("subject", "body", "field", "fragment"),
    [
        ("Hi [first_name]", "ok", "subject", "[first_name]"),
        (
            "ok",
            "Join [online_meeting_url] or [Staff_Name] [sign_in_link]",
            "body",
            "[sign_in_link]",
        ),
        ("Line\nbreak", "ok", "subject", "Control characters"),
        ("", "ok", "subject", "required"),
        ("ok", "x" * 20001, "body", "20000"),
    ],
)
def test_a_bad_template_is_refused_and_changes_nothing(practice, subject, body, field, fragment):
    template_save(
        company=practice.company, event=Event.REMINDER, language="de", subject="S", body="B"
    )
    before = templates()
    with pytest.raises(ValidationFailed) as refused:
        template_save(
            company=practice.company,
            event=Event.REMINDER,
            language="de",
            subject=subject,
            body=body,
        )
    assert any(fragment in message for message in refused.value.fields[field])
    assert templates() == before


def test_another_companys_service_is_refused(practice):
    stranger = ServiceFactory(company=CompanyFactory())
    with pytest.raises(ValidationFailed) as refused:
        template_save(
            company=practice.company,
            event=Event.REMINDER,
            language="en",
            subject="S",
            body="B",
            service=stranger,
        )
    assert "service" in refused.value.fields
    assert templates() == []


def test_the_most_specific_template_wins(practice, frozen_now):
    ada, ben = practice.staff[0], practice.staff[1]
    save = dict(company=practice.company, event=Event.BOOKING_CONFIRMED, language="en")
    template_save(**save, subject="company", body="company [customer_first_name]")
    template_save(**save, subject="service", body="b", service=practice.service)
    template_save(**save, subject="staff", body="b", staff=ben)
    template_save(**save, subject="both", body="b", service=practice.service, staff=ben)
    template_save(**save | {"language": "da"}, subject="danish", body="b")

    hours = iter(range(6))

    def subject_for(**kwargs) -> str:
        booking = book(practice, TOMORROW_10 + timedelta(hours=next(hours)), **kwargs).booking
        return OutboxMessage.objects.get(booking=booking, event=Event.BOOKING_CONFIRMED).subject

    assert subject_for(staff=ben) == "both"
    assert subject_for(staff=ada) == "service"
    assert subject_for(service=practice.video, staff=ben) == "staff"
    assert subject_for(service=practice.video, staff=ada) == "company"
    assert subject_for(service=practice.cabin_service, language="da") == "danish"
    # Saving again replaces: one template per scope.
    template_save(**save, subject="company 2", body="b")
    assert MessageTemplate.objects.filter(service=None, staff=None, language="en").count() == 1


def test_preview_uses_sample_data(practice):
    rendered = template_preview(
        company=practice.company,
        event=Event.BOOKING_CONFIRMED,
        language="es",
        subject="[customer_first_name], [booking_start]",
        body="[online_meeting_link]",
    )
    assert rendered.subject.startswith("Ana, ")
    assert "de 2026" in rendered.subject or "de 20" in rendered.subject
    assert "http://testserver/join/sample/" in rendered.text
    assert OutboxMessage.objects.count() == 0


def test_a_hostile_customer_name_gets_no_link_and_no_extra_header(practice, smtp, frozen_now):
    template_save(
        company=practice.company,
        event=Event.BOOKING_CONFIRMED,
        language="en",
        subject="Booked: [customer_first_name]",
        body="Hello [customer_first_name] [customer_last_name], manage: [manage_link]",
    )
    booking = book(practice, TOMORROW_10, n="evil").booking
    as_if_just_booked(booking)
    # The booking API refuses control characters; the emails must not rely on that.
    Booking.objects.filter(pk=booking.pk).update(
        first_name="Bob\r\nBcc: x@evil.example", last_name="[manage_link]"
    )
    booking.refresh_from_db()
    notify_booking_created(booking=booking)
    outbox_deliver_due()
    [received] = smtp.to(booking.email)
    assert received.rcpt_tos == [booking.email]
    message = received.message
    assert message["Bcc"] is None
    assert message["Subject"] == "Booked: Bob  Bcc: x@evil.example"
    assert len(message["To"].addresses) == 1
    assert message["To"].addresses[0].addr_spec == booking.email
    text = message.get_body(("plain",)).get_content()
    assert "[manage_link], manage:\r\nhttp://testserver/manage/" in text
    assert text.count("/manage/") == 1
    assert "x@evil.example" not in received.rcpt_tos


def test_each_recipient_gets_only_their_own_join_link(practice, smtp, frozen_now):
    from rendezvous.meetings.links import join_link
    from rendezvous.meetings.models import JoinToken, MeetingAccount

    for event in (Event.BOOKING_CONFIRMED, Event.BOOKING_CONFIRMED_STAFF):
        template_save(
            company=practice.company,
            event=event,
            language="en",
            subject="Booked",
            body="Where: [location] Link: [online_meeting_link]",
        )
    staff = practice.staff[0]
    MeetingAccount.objects.create(
        company=practice.company,
        staff=staff,
        provider="static_link",
        url="https://room.example/ada",
    )
    booking = book(practice, TOMORROW_10, service=practice.video, staff=staff).booking
    outbox_deliver_due()
    tokens = {
        t.role: join_link(t.nonce) for t in JoinToken.objects.filter(meeting__booking=booking)
    }
    customer_link, host_link = tokens["customer"], tokens["host"]
    customer_text = smtp.to(booking.email)[0].message.get_body(("plain",)).get_content()
    staff_text = smtp.to(staff.email)[0].message.get_body(("plain",)).get_content()
    assert customer_link in customer_text and host_link not in customer_text
    assert host_link in staff_text and customer_link not in staff_text
    assert "room.example" not in customer_text + staff_text  # our links only, never the raw URL


@pytest.mark.parametrize("event", [Event.BOOKING_CONFIRMED, Event.REMINDER, Event.MEETING_REMOVED])
@pytest.mark.parametrize("field", ["subject", "body"])
def test_the_hosts_link_is_refused_in_a_customer_template_and_changes_nothing(
    practice, event, field
):
    template_save(company=practice.company, event=event, language="en", subject="S", body="B")
    before, bookings_before = templates(), snapshot()
    text = {"subject": "Join", "body": "Hello"} | {field: "Join: [online_meeting_provider_link]"}
    with pytest.raises(ValidationFailed) as refused:
        template_save(company=practice.company, event=event, language="en", **text)
    assert refused.value.fields[field] == [
        "For emails to staff members only: [online_meeting_provider_link]."
    ]
    assert templates() == before and snapshot() == bookings_before


def test_the_hosts_link_is_accepted_in_a_staff_template(practice):
    template_save(
        company=practice.company,
        event=Event.BOOKING_CONFIRMED_STAFF,
        language="en",
        subject="New",
        body="Host: [online_meeting_provider_link]",
    )
    assert MessageTemplate.objects.get().body == "Host: [online_meeting_provider_link]"


def test_a_customer_email_never_carries_the_hosts_link(practice, smtp, frozen_now):
    from rendezvous.meetings.links import join_link
    from rendezvous.meetings.models import JoinToken, MeetingAccount

    # A template written before the rule existed, or past it: rendering refuses too.
    MessageTemplate.objects.create(
        company=practice.company,
        event=Event.BOOKING_CONFIRMED,
        language="en",
        subject="Booked [online_meeting_provider_link]",
        body="Yours: [online_meeting_link]\nHost: [online_meeting_provider_link]\nEnd.",
    )
    staff = practice.staff[0]
    MeetingAccount.objects.create(
        company=practice.company, staff=staff, provider="static_link", url="https://room.example/a"
    )
    booking = book(practice, TOMORROW_10, service=practice.video, staff=staff).booking
    outbox_deliver_due()
    tokens = {
        t.role: join_link(t.nonce) for t in JoinToken.objects.filter(meeting__booking=booking)
    }
    [received] = smtp.to(booking.email)
    message = received.message
    whole = received.data.decode()
    plain = message.get_body(("plain",)).get_content()
    assert tokens["host"] not in whole
    assert tokens["host"].rsplit("/", 2)[-2] not in whole  # nor its token, however encoded
    assert tokens["customer"] in plain
    assert plain.splitlines() == ["Yours:", tokens["customer"], "End."]
    assert message["Subject"] == "Booked"
    # The staff member still gets their own link.
    staff_text = smtp.to(staff.email)[0].message.get_body(("plain",)).get_content()
    assert tokens["host"] in staff_text


def test_a_test_email_is_queued_with_sample_data_unless_the_text_is_refused(practice):
    send = dict(company=practice.company, event=Event.REMINDER, language="en", to_name="Boss")
    with pytest.raises(ValidationFailed) as refused:
        template_test_send(**send, subject="Hi", body="[nope]", to_email="boss@example.com")
    assert "body" in refused.value.fields
    with pytest.raises(ValidationFailed) as refused:
        template_test_send(**send, subject="Hi", body="Hello", to_email="")
    assert "no email address" in refused.value.message
    assert OutboxMessage.objects.count() == 0
    row = template_test_send(
        **send, subject="Hi [customer_first_name]", body="[manage_link]", to_email="b@example.com"
    )
    assert (row.event, row.to_email, row.subject, row.booking) == (
        Event.REMINDER,
        "b@example.com",
        "Hi Ana",
        None,
    )
    assert templates() == []
