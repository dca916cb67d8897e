"""A real SMTP server (aiosmtpd) on a free loopback port, and helpers to read what it got.

`smtp` starts it and points Django's default mailer at it. `smtp.stop()` and
`smtp.start()` take it down and bring it back on the same port; `smtp.refuse` holds
addresses answered with 550 at RCPT.
"""

import email
import email.policy
import logging
import socket
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from icalendar import Calendar


@pytest.fixture(scope="session", autouse=True)
def compiled_translations():
    # `make test` compiles the catalogues first; a bare `pytest tests/notifications` too.
    call_command("compile_translations", verbosity=0)


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)


@dataclass
class Handler:
    received: list[Received] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
        )
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.handler = Handler()
        self.controller: Controller | None = None

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    @property
    def refuse(self) -> set[str]:
        return self.handler.refuse

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.rcpt_tos]


@pytest.fixture
def smtp(settings):
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    server = SmtpServer()
    server.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": server.port, "timeout": 5},
        }
    }
    yield server
    server.stop()


def calendar_part(message: email.message.EmailMessage) -> tuple[str, Calendar]:
    """The text/calendar alternative: its method parameter and the parsed calendar."""
    parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    return parts[0].get_param("method"), Calendar.from_ical(parts[0].get_content())


def as_if_just_booked(booking) -> None:
    """Remove what notify_booking_created wrote for the booking, so that a test can call
    it again (it writes the sequence and reminders of a new booking without looking)."""
    from rendezvous.notifications.models import CalendarSequence, OutboxMessage, ScheduledReminder

    for model in (OutboxMessage, CalendarSequence, ScheduledReminder):
        model.objects.filter(booking=booking).delete()
