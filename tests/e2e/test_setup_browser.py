"""Issue #14, end to end in a real browser: a fresh installation without demo data set
up from the back office alone, in Danish, up to its first online booking.

The admin creates "Studio Nord" on the first-run page, adds a location, a cabin, a staff
member working Mon-Fri 9-17 and a "Video consultation" with online meetings on, turns
online meetings on for the company, gives the staff member the built-in video room and
writes the Danish confirmation with [online_meeting_link]. A customer, in a browser of
their own, books the first free time the booking site offers, gets the Danish email
from a real SMTP server and follows its join link. Everything is done through the
pages; the database is only read for the final checks. axe runs on every settings page
the walk visits, the payment pages too.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from rendezvous.bookings.models import Booking, BookingStatus
from rendezvous.companies.models import Company, StaffMember
from rendezvous.meetings.models import MeetingAccount
from rendezvous.notifications.models import MessageTemplate

from .conftest import check_axe
from .test_booking_browser import first_time

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CUSTOMER = "freja@example.com"
WEEKDAYS = ("Mandag", "Tirsdag", "Onsdag", "Torsdag", "Fredag")
OUR_WORDS = "Velkommen til Studio Nord. Du deltager her:"


@pytest.fixture
def served_at_its_address(settings, live_server):
    """The installation's own address is the live server's, as RENDEZVOUS_BASE_URL is
    a real server's: the share links and the emails' join links lead back to it."""
    settings.BASE_URL = live_server.url


def wait_for_mail(smtp, address: str, timeout: float = 30):
    """The first message to `address`: the live server sends it once the booking commits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        received = smtp.to(address)
        if received:
            return received[0].message
        time.sleep(0.2)
    raise AssertionError(f"no email to {address} within {timeout}s")


def adding_form(page, summary: str):
    """The form inside the closed "add ..." panel named `summary`, opened."""
    panel = page.locator("details").filter(has=page.get_by_text(summary, exact=True))
    panel.get_by_text(summary, exact=True).click()
    return panel


def settings_tab(page, name: str):
    """Settings in the office's menu, then one of its tabs."""
    page.get_by_role("link", name="Indstillinger", exact=True).click()
    tabs = page.get_by_role("navigation", name="Indstillinger")
    # Each click opens a new page: wait for it (its tab marked current, its document
    # loaded) before the next step, or axe is injected into a page being replaced.
    expect(tabs.locator("[aria-current=page]")).to_be_visible()
    tabs.get_by_role("link", name=name, exact=True).click()
    expect(tabs.get_by_role("link", name=name, exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    page.wait_for_load_state()


def first_run(page):
    page.goto("/office/")
    expect(page.get_by_role("heading", name="Opsæt Rendezvous")).to_be_visible()
    check_axe(page, "first run (da)")
    page.get_by_label("Navn", exact=True).fill("Studio Nord")
    page.get_by_label("Adresse på bookingsiden").fill("studio-nord")
    page.get_by_label("Tidszone").select_option("Europe/Copenhagen")
    page.get_by_label("Valuta").fill("DKK")
    page.get_by_label("Standardsprog").select_option(label="Dansk")
    page.get_by_label("Dansk", exact=True).check()
    page.get_by_label("Brugernavn").fill("mette")
    page.get_by_label("E-mail").fill("mette@studio-nord.example")
    page.get_by_label("Adgangskode", exact=True).fill("bright-harbour-42")
    page.get_by_label("Adgangskode (igen)").fill("bright-harbour-42")
    page.get_by_role("button", name="Opsæt").click()
    expect(page.get_by_role("status")).to_contain_text("Studio Nord er sat op.")
    assert page.url.endswith("/office/settings/")
    check_axe(page, "company settings (da)")


def add_location_and_cabin(page):
    settings_tab(page, "Steder og ressourcer")
    check_axe(page, "locations (da)")
    form = adding_form(page, "Tilføj et sted")
    form.get_by_label("Navn").fill("Vesterbro")
    expect(form.get_by_label("Tidszone")).to_have_value("Europe/Copenhagen")
    form.get_by_label("Adresse").fill("Istedgade 1\n1650 København V")
    form.get_by_role("button", name="Tilføj stedet").click()
    expect(page.get_by_role("link", name="Vesterbro")).to_be_visible()
    form = adding_form(page, "Tilføj en ressource")
    form.get_by_label("Navn").fill("Kabine 1")
    form.get_by_label("Type").fill("kabine")
    form.get_by_label("Afdeling").select_option(label="Vesterbro")
    expect(form.get_by_label(re.compile("^Frigivet til onlinebooking"))).to_be_checked()
    form.get_by_role("button", name="Tilføj ressourcen").click()
    expect(page.get_by_role("link", name="Kabine 1")).to_be_visible()
    check_axe(page, "locations with a cabin (da)")


def add_staff_member_with_hours(page):
    settings_tab(page, "Team")
    check_axe(page, "team (da)")
    form = page.locator("form").filter(has=page.get_by_role("button", name="Tilføj til teamet"))
    form.get_by_label("Navn").fill("Jonas Berg")
    form.get_by_label("E-mail").fill("jonas@studio-nord.example")
    form.get_by_label("Vesterbro").check()
    form.get_by_label("Frigivet til onlinebooking").check()
    form.get_by_role("button", name="Tilføj til teamet").click()
    expect(page.get_by_role("heading", name="Jonas Berg")).to_be_visible()
    check_axe(page, "staff member (da)")
    page.get_by_role("link", name="Tider, fravær og datoundtagelser").click()
    check_axe(page, "hours (da)")
    for day in WEEKDAYS:
        row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=day)).first
        row.get_by_label("Afdeling").select_option(label="Vesterbro")
        row.get_by_label("Fra").fill("09:00")
        row.get_by_label("Til").fill("17:00")
    page.get_by_role("button", name="Gem ugen").click()
    expect(page.get_by_role("status")).to_contain_text("Ugen er gemt")
    monday = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Mandag"))
    expect(monday.first.get_by_label("Fra")).to_have_value("09:00")


def add_video_consultation(page):
    settings_tab(page, "Ydelser og hold")
    check_axe(page, "services (da)")
    page.get_by_role("link", name="Ny ydelse eller nyt hold").first.click()
    check_axe(page, "new service (da)")
    page.get_by_label("Navn", exact=True).fill("Video consultation")
    page.get_by_label("Varighed (minutter)").fill("30")
    page.get_by_label("Jonas Berg").check()
    page.get_by_text("Avancerede indstillinger").click()
    online = page.get_by_label("Onlinemøde: bookinger får et videolink")
    expect(online).not_to_be_checked()
    # Until the company offers video, the option says where to switch it on.
    expect(page.get_by_role("link", name="Indstillinger for onlinemøder")).to_be_visible()
    online.check()
    page.get_by_role("button", name="Tilføj ydelsen").click()
    expect(page.get_by_role("link", name="Video consultation")).to_be_visible()


def switch_on_online_meetings_with_the_builtin_room(page):
    settings_tab(page, "Onlinemøder")
    check_axe(page, "online meetings (da)")
    switch = page.get_by_label("Tilbyd bookinger via video")
    switch.check()
    page.locator("form").filter(has=switch).get_by_role("button", name="Gem").click()
    expect(page.get_by_label("Tilbyd bookinger via video")).to_be_checked()
    provider = page.get_by_label("Udbyder for Jonas Berg")
    provider.select_option(label="Rendezvous' videorum")
    page.locator("form").filter(has=provider).get_by_role("button", name="Gem").click()
    expect(page.get_by_role("status")).to_contain_text("Gemt: Jonas Berg")
    expect(page.get_by_label("Udbyder for Jonas Berg")).to_have_value("builtin")
    check_axe(page, "online meetings, set (da)")


def write_the_danish_confirmation(page):
    settings_tab(page, "E-mails")
    check_axe(page, "emails (da)")
    page.get_by_role("link", name=re.compile(r"^Dansk\s*: Booking bekræftet \(kunde\)$")).click()
    check_axe(page, "confirmation editor (da)")
    body = page.get_by_label("Brødtekst")
    greeting = "Hej [customer_first_name]\n\n"
    body.fill(f"{greeting}{OUR_WORDS} \n\nHilsen\n[company_name]")
    # The cursor after "her: ", where the variable picker puts the link.
    cursor = len(greeting) + len(OUR_WORDS) + 1
    body.evaluate(f"field => field.setSelectionRange({cursor}, {cursor})")
    picker = page.get_by_role("group", name="Indsæt en variabel")
    picker.get_by_role("button", name="[online_meeting_link]").click()
    expect(body).to_have_value(re.compile(re.escape(f"{OUR_WORDS} [online_meeting_link]")))
    page.get_by_role("button", name="Gem", exact=True).click()
    expect(page.get_by_label("Brødtekst")).to_have_value(
        re.compile(re.escape("[online_meeting_link]"))
    )


def payment_pages(page):
    """The payment settings, a refused save (errors at their fields), a new pass and the
    statement import: axe on each. Reached by address: the tab's name depends on the
    Danish catalogue, which is checked elsewhere."""
    page.goto("/office/settings/payments/")
    check_axe(page, "payments (da)")
    page.locator("#pay-iban").fill("DE00")
    page.locator("#pay-iban").press("Enter")
    expect(page.locator("#pay-iban-error")).to_be_visible()
    check_axe(page, "payments refused (da)")
    page.goto("/office/settings/payments/passes/new/")
    check_axe(page, "new pass (da)")
    page.goto("/office/settings/payments/statement/")
    check_axe(page, "bank statement (da)")


def test_a_fresh_installation_is_set_up_in_danish_and_takes_its_first_online_booking(
    new_page, smtp, served_at_its_address
):
    admin = new_page(locale="da-DK", timezone_id="Europe/Copenhagen")
    first_run(admin)
    add_location_and_cabin(admin)
    add_staff_member_with_hours(admin)
    add_video_consultation(admin)
    switch_on_online_meetings_with_the_builtin_room(admin)
    write_the_danish_confirmation(admin)
    settings_tab(admin, "Del og indlejr")
    check_axe(admin, "sharing (da)")
    site = admin.get_by_label("Link").first.input_value()
    settings_tab(admin, "Brugere og API-tokens")
    check_axe(admin, "access (da)")
    payment_pages(admin)

    customer = new_page(locale="da-DK", timezone_id="Europe/Copenhagen")
    customer.goto(site)
    customer.get_by_role("link", name=re.compile("Video consultation")).click()
    staff_step = customer.get_by_role("heading", name="Hvem vil du gerne se?")
    times_step = customer.get_by_role("heading", name="Vælg et tidspunkt")
    expect(staff_step.or_(times_step)).to_be_visible()
    if staff_step.is_visible():
        customer.get_by_role("link", name="Første ledige").click()
    expect(times_step).to_be_visible()
    first_time(customer)
    customer.get_by_role("button", name="Fortsæt").click()
    customer.get_by_label("Fornavn").fill("Freja")
    customer.get_by_label("Efternavn").fill("Dahl")
    customer.get_by_label("E-mail").fill(CUSTOMER)
    customer.get_by_label(re.compile("Jeg accepterer")).check()
    customer.get_by_role("button", name="Book nu").click()
    expect(customer.get_by_role("heading", name="Du er booket")).to_be_visible()

    message = wait_for_mail(smtp, CUSTOMER)
    assert message["Subject"].startswith("Booking bekræftet: Video consultation")
    text = message.get_body(("plain",)).get_content()
    assert OUR_WORDS in text, text
    join = re.search(rf"{OUR_WORDS}\s+(\S+/join/[-_A-Za-z0-9]+/)", text)
    assert join, text
    customer.goto(join.group(1))
    expect(customer.get_by_role("heading", name="Video consultation")).to_be_visible()
    # The booking is ahead: the countdown, or the room itself if it starts that soon.
    expect(customer.get_by_role("timer").or_(customer.locator("#room"))).to_be_visible()
    assert customer.locator("html").get_attribute("lang") == "da"
    # The admin finds it sent in the outbox.
    settings_tab(admin, "Udbakke")
    expect(admin.get_by_role("row").filter(has_text=CUSTOMER)).to_contain_text("Sendt")
    check_axe(admin, "outbox (da)")

    company = Company.objects.get()
    assert (company.name, company.timezone, company.languages[0]) == (
        "Studio Nord",
        "Europe/Copenhagen",
        "da",
    )
    assert company.online_meetings_enabled
    booking = Booking.objects.get()
    assert booking.online and booking.language == "da"
    assert booking.status == BookingStatus.CONFIRMED
    assert booking.staff == StaffMember.objects.get(name="Jonas Berg")
    assert booking.start.astimezone(company.zone).weekday() < 5
    assert MeetingAccount.objects.get(staff=booking.staff).provider == "builtin"
    assert "[online_meeting_link]" in MessageTemplate.objects.get(language="da").body
