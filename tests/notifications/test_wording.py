"""What an online booking's emails look like once delivered: each link once, as a
button in HTML and on a line of its own in text, sentences that start as sentences,
and a staff email that says why the meeting link is not there yet."""

import re
from html.parser import HTMLParser

import pytest

from rendezvous.meetings.links import join_link
from rendezvous.meetings.models import JoinToken, MeetingAccount
from rendezvous.notifications.defaults import DEFAULTS
from rendezvous.notifications.domain import outbox_deliver_due
from tests.conftest import TOMORROW_10, book

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("frozen_now")]


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def visible(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return "".join(parser.text)


def online_booking(practice, *, paid: bool = True):
    staff = practice.staff[0]
    MeetingAccount.objects.create(
        company=practice.company, staff=staff, provider="static_link", url="https://room.example/a"
    )
    if not paid:
        practice.video.requires_payment = True
        practice.video.save()
    booking = book(practice, TOMORROW_10, service=practice.video, staff=staff).booking
    outbox_deliver_due()
    return booking, staff


def parts(smtp, address: str) -> tuple[str, str]:
    [received] = smtp.to(address)
    message = received.message
    text, html = (message.get_body((kind,)).get_content() for kind in ("plain", "html"))
    return text.replace("\r\n", "\n"), html.replace("\r\n", "\n")


def test_each_link_shows_once_as_a_button_and_on_a_line_of_its_own(practice, smtp):
    booking, staff = online_booking(practice)
    tokens = {
        t.role: join_link(t.nonce) for t in JoinToken.objects.filter(meeting__booking=booking)
    }
    text, html = parts(smtp, booking.email)
    manage = re.search(r"http://testserver/manage/\S+", text)[0]
    assert len(manage) > 150  # the signed link is long: it must not be shown as text
    for link in (tokens["customer"], manage):
        assert text.count(link) == 1 and html.count(link) == 1
        # HTML: a button with words on it, the address only in its href.
        assert re.search(rf'<a href="{re.escape(link)}" style="[^"]+">[^<]+</a>', html)
        # Text: the address alone on its line, never at the end of a sentence.
        assert f"\n{link}\n" in text
    shown = visible(html)
    assert "http" not in shown
    assert "Join the video meeting" in shown and "Manage your booking" in shown
    assert max(len(word) for word in shown.split()) < 40  # nothing to scroll sideways for

    staff_text, staff_html = parts(smtp, staff.email)
    assert staff_text.count(tokens["host"]) == 1 and staff_html.count(tokens["host"]) == 1
    assert "http" not in visible(staff_html)


def test_english_sentences_start_with_a_capital(practice, smtp):
    booking, staff = online_booking(practice)
    text, html = parts(smtp, booking.email)
    assert "Hello Test,\n\nYour booking with " in text
    assert "<p>Your booking with " in html
    for paragraph in text.split("\n\n"):
        assert not paragraph[:1].islower(), paragraph


def test_english_defaults_start_every_paragraph_with_a_capital_and_break_no_sentence():
    for event, versions in DEFAULTS.items():
        _subject, body = versions["en"]
        for paragraph in body.split("\n\n"):
            assert not paragraph[:1].islower(), (event, paragraph)
        for language, (_subject, body) in versions.items():
            for before, line in zip(body.splitlines(), body.splitlines()[1:], strict=False):
                # A line break inside a sentence: the line before ends in a word.
                assert not (before[-1:].isalpha() and line[:1].islower()), (event, language, line)


def test_the_staff_email_of_an_unpaid_booking_says_the_meeting_waits_for_payment(practice, smtp):
    booking, staff = online_booking(practice, paid=False)
    text, html = parts(smtp, staff.email)
    assert "once the meeting is created" not in text + html
    said = "The meeting is ready: its link will appear in the back office once the booking is paid."
    assert f"Video meeting: {said}" in text and said in html
