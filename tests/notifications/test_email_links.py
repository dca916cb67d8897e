"""The links in a delivered email, followed the way a customer follows them: out of the
message the SMTP server received, into the Django test client."""

import re
from datetime import timedelta

import pytest

from rendezvous.bookings.models import BookingStatus
from rendezvous.notifications.domain import outbox_deliver_due, template_save
from rendezvous.notifications.events import Event
from tests.conftest import TOMORROW_10, book

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("frozen_now")]

BODY = "Manage: [manage_link]\nCancel: [cancel_link]\nReschedule: [reschedule_link]\n"


def delivered_links(practice, smtp) -> tuple:
    template_save(
        company=practice.company,
        event=Event.BOOKING_CONFIRMED,
        language="en",
        subject="Booked",
        body=BODY,
    )
    created = book(practice, TOMORROW_10 + timedelta(days=2), n="mail", language="en")
    outbox_deliver_due()
    [received] = smtp.to("customermail@example.com")
    plain = received.message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    links = dict(re.findall(r"^(Manage|Cancel|Reschedule):\s+(\S+)$", plain, re.MULTILINE))
    return created.booking, {k: v.replace("http://testserver", "") for k, v in links.items()}


def test_the_emailed_manage_link_opens_a_page_that_cancels(client, practice, smtp):
    booking, links = delivered_links(practice, smtp)
    page = client.get(links["Manage"], follow=True)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Cancel booking" in html
    cancel_url = re.search(r'<a class="button danger" href="([^"]+)"', html).group(1)
    assert client.get(cancel_url).status_code == 200
    response = client.post(cancel_url)
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert "Your booking is cancelled." in client.get(response["Location"]).content.decode()


def test_the_emailed_cancel_link_lands_on_the_cancel_page(client, practice, smtp):
    booking, links = delivered_links(practice, smtp)
    page = client.get(links["Cancel"], follow=True)
    assert page.status_code == 200
    assert "Yes, cancel my booking" in page.content.decode()
    response = client.post(page.redirect_chain[-1][0])
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED


def test_the_emailed_reschedule_link_lands_on_the_reschedule_page(client, practice, smtp):
    booking, links = delivered_links(practice, smtp)
    page = client.get(links["Reschedule"], follow=True)
    assert page.status_code == 200
    assert page.redirect_chain[-1][0].endswith("/reschedule/")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
