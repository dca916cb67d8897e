"""The address headers of a delivered email, read back as a mail client reads them.

A customer's name is theirs to choose; whatever it holds, their emails must go to them
alone: one address in To, the name shown as they typed it.
"""

import email.policy
from email.headerregistry import Address

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from rendezvous.bookings import domain as bookings
from rendezvous.notifications.domain import outbox_deliver, outbox_deliver_due, outbox_enqueue
from rendezvous.notifications.domain.render import Rendered
from rendezvous.notifications.events import Event
from tests.conftest import NOW, TOMORROW_10, book

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("frozen_now")]

EVIL = "evil@attacker.example"
HOSTILE = [
    f'Bob "x" ({EVIL}) ' + "a" * 60,
    f'Eve "<{EVIL}>" ' + "b" * 70,
    "Ann " + "c" * 50 + f' "q" <{EVIL}> (' + "d" * 30,
    f'Zoë "{EVIL}", <{EVIL}>; ' + "é" * 40,
]

# Names made of what address syntax is built from, so that most of them need quoting.
NAME = st.lists(
    st.sampled_from(list('()<>@,;:\\".[] \tabcXYZ0éß-_=?') + [EVIL, "a" * 40]),
    min_size=1,
    max_size=40,
).map("".join)


def shown(name: str) -> str:
    """The name as a header shows it: one line, runs of white space as one space."""
    return " ".join(name.split())[:200].strip()


def to_header(received) -> list[Address]:
    message = email.message_from_bytes(received.data, policy=email.policy.default)
    return list(message["To"].addresses)


def test_a_hostile_name_from_a_booking_stays_one_display_name(practice, smtp):
    first, last = HOSTILE[0].split(" ", 1)
    booking = bookings.booking_create(
        company=practice.company,
        service=practice.service,
        start=TOMORROW_10,
        details=bookings.CustomerDetails(first, last, "victim@example.com", ""),
        now=NOW,
    ).booking
    outbox_deliver_due()
    [received] = smtp.to(booking.email)
    assert received.rcpt_tos == ["victim@example.com"]
    [address] = to_header(received)
    assert address.addr_spec == "victim@example.com"
    assert address.display_name == HOSTILE[0]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(first=NAME, last=NAME)
@example(first=HOSTILE[0], last="")
@example(first=HOSTILE[1], last="Smith")
@example(first=HOSTILE[2], last="")
@example(first=HOSTILE[3], last="")
@example(first='"', last="(" + "x" * 90)
def test_any_name_gives_exactly_one_recipient_with_the_name_intact(practice, smtp, first, last):
    # Hypothesis runs every example in the same test: one booking serves them all.
    booking = practice.company.bookings.first() or book(practice, TOMORROW_10).booking
    name = f"{first} {last}"
    row = outbox_enqueue(
        company=practice.company,
        booking=booking,
        event=Event.REMINDER,
        to_email=booking.email,
        to_name=name,
        language="en",
        rendered=Rendered("Reminder", "text", "<p>text</p>"),
    )
    outbox_deliver(message_id=row.pk)
    [received] = [r for r in smtp.received if r.message["Message-ID"] == row.message_id]
    assert received.rcpt_tos == [booking.email]
    [address] = to_header(received)
    assert address.addr_spec == booking.email
    assert address.display_name == shown(row.to_name)
