"""Booking emails are rendered outside the booking's transaction, and never lost.

booking_create writes outbox rows that only name the recipient (inside the write
transaction); their delivery renders them, or, when the booking is nested in a
caller's transaction, the end of render_after_commit does. A row whose task was lost
is rendered by the sweep before its first send, in its language.
"""

from contextlib import nullcontext

import pytest

from rendezvous.notifications.domain import (
    notify_booking_created,
    outbox_deliver_due,
    outbox_enqueue,
    render_after_commit,
)
from rendezvous.notifications.domain.render import Rendered
from rendezvous.notifications.events import Event
from rendezvous.notifications.models import OutboxMessage, OutboxState
from tests.conftest import NOW, TOMORROW_10, book, snapshot
from tests.notifications.conftest import as_if_just_booked, calendar_part

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("frozen_now")]


def test_rows_are_rendered_when_a_nested_booking_create_returns(practice):
    # The test runs inside a transaction, as a caller's would: rendered at once.
    booking = book(practice, TOMORROW_10, n="da", language="da").booking
    rows = {row.event: row for row in OutboxMessage.objects.filter(booking=booking)}
    assert set(rows) == {Event.BOOKING_CONFIRMED, Event.BOOKING_CONFIRMED_STAFF}
    for row in rows.values():
        assert not row.to_render
        assert row.subject and row.body_text and row.body_html
        assert row.calendar_method == "REQUEST" and "BEGIN:VCALENDAR" in row.calendar
        assert row.next_attempt_at == NOW
    assert rows[Event.BOOKING_CONFIRMED].language == "da"
    assert "Din booking hos" in rows[Event.BOOKING_CONFIRMED].body_text  # Danish text


def test_a_row_left_unrendered_is_rendered_by_the_sweep_in_its_language(practice, smtp):
    booking = book(practice, TOMORROW_10, n="de", language="de").booking
    as_if_just_booked(booking)
    # The block is left by an exception after the rows were written: nothing renders
    # them, as when the process dies before their task ran.
    with pytest.raises(RuntimeError), render_after_commit():
        notify_booking_created(booking=booking)
        raise RuntimeError("process died")
    rows = list(OutboxMessage.objects.filter(booking=booking))
    assert len(rows) == 2
    assert all(r.to_render and r.subject == "" and r.calendar == "" for r in rows)
    assert smtp.received == []

    assert outbox_deliver_due() == 2
    [received] = smtp.to("customerde@example.com")
    msg = received.message
    assert msg["Content-Language"] == "de"
    assert (
        msg["Subject"] == "Buchung bestätigt: Consultation am Mittwoch, 2. Dezember 2026 10:00 CET"
    )
    assert "Guten Tag Test Customer de," in msg.get_body(("plain",)).get_content()
    method, calendar = calendar_part(msg)
    [event] = calendar.walk("VEVENT")
    assert method == "REQUEST" and int(event["SEQUENCE"]) == 0
    row = OutboxMessage.objects.get(booking=booking, event=Event.BOOKING_CONFIRMED)
    assert row.state == OutboxState.SENT and not row.to_render
    assert row.subject == msg["Subject"]


@pytest.mark.django_db(transaction=True)
def test_a_committed_booking_leaves_rendering_to_its_delivery(practice, smtp):
    # Outside any caller's transaction the booking really commits; booking_create
    # returns rows that only name their recipients, and each delivery task (run at once
    # in the tests) renders its row and sends it.
    booking = book(practice, TOMORROW_10, n="es", language="es").booking
    [received] = smtp.to("customeres@example.com")
    msg = received.message
    assert msg["Content-Language"] == "es"
    assert msg["Subject"].startswith("Reserva confirmada")
    assert "Su reserva en" in msg.get_body(("plain",)).get_content()
    assert calendar_part(msg)[0] == "REQUEST"
    rows = OutboxMessage.objects.filter(booking=booking)
    assert rows.count() == 2
    assert all(r.state == OutboxState.SENT and not r.to_render and r.subject for r in rows)


def test_a_row_to_render_later_outside_a_booking_block_is_refused(practice):
    before = snapshot(), OutboxMessage.objects.count()
    # Outside a booking block; inside one, but with no booking to render it from.
    for block in (nullcontext(), render_after_commit()):
        with pytest.raises(ValueError, match="render_after_commit"), block:
            outbox_enqueue(
                company=practice.company,
                event=Event.BOOKING_CONFIRMED,
                to_email="someone@example.com",
                to_name="Someone",
                language="en",
                rendered=None,
            )
    assert (snapshot(), OutboxMessage.objects.count()) == before


def test_rendered_rows_still_go_out_at_once(practice):
    row = outbox_enqueue(
        company=practice.company,
        event=Event.BOOKING_CONFIRMED,
        to_email="someone@example.com",
        to_name="Someone",
        language="en",
        rendered=Rendered("Subject", "Text", "<p>Text</p>"),
    )
    assert not row.to_render and row.next_attempt_at == NOW
