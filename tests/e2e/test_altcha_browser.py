"""ALTCHA in a real browser: with the company's switch on, the widget solves the
challenge by itself while the customer fills in the form, under the pages' own CSP."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from rendezvous.bookings.models import Booking

from .conftest import check_axe
from .test_booking_browser import first_time

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Records what the CSP blocked; an init script runs whatever the page's policy says.
WATCH_CSP = """window.__blocked = [];
document.addEventListener("securitypolicyviolation",
    (e) => window.__blocked.push(e.violatedDirective + " " + e.blockedURI));"""


def test_booking_with_the_proof_of_work_switched_on(demo, browser, live_server, new_page):
    demo.altcha_enabled = True
    demo.save(update_fields=["altcha_enabled"])
    # Not new_page: that one bypasses the CSP (for axe), and the CSP is under test here.
    context = browser.new_context(
        locale="da-DK", timezone_id="Europe/Berlin", base_url=live_server.url
    )
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        page.add_init_script(WATCH_CSP)
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto("/da/demo/")
        page.get_by_role("link", name=re.compile("Videokonsultation")).click()
        page.get_by_role("link", name="Første ledige").click()
        expect(page.get_by_role("heading", name="Vælg et tidspunkt")).to_be_visible()
        first_time(page)
        page.get_by_role("button", name="Fortsæt").click()
        expect(page.get_by_role("heading", name="Dine oplysninger")).to_be_visible()
        widget = page.locator("altcha-widget")
        expect(widget.get_by_text("Jeg er ikke en robot")).to_be_visible()
        started = time.monotonic()
        page.get_by_label("Fornavn").fill("Mette")  # focus starts the check
        page.get_by_label("Efternavn").fill("Holm")
        page.get_by_label("E-mail").fill("mette@example.com")
        page.get_by_label(re.compile("Jeg accepterer")).check()
        expect(widget.get_by_text("Bekræftet")).to_be_visible()
        solved_in = time.monotonic() - started
        assert page.locator("input[name=altcha]").input_value()
        page.get_by_role("button", name="Book nu").click()
        expect(page.get_by_role("heading", name="Du er booket")).to_be_visible()
        assert Booking.objects.get().first_name == "Mette"
        # Sent before the check is done: the form waits for it, then goes.
        page.goto("/da/demo/")
        page.get_by_role("link", name=re.compile("Videokonsultation")).click()
        page.get_by_role("link", name="Første ledige").click()
        expect(page.get_by_role("heading", name="Vælg et tidspunkt")).to_be_visible()
        first_time(page)
        page.get_by_role("button", name="Fortsæt").click()
        page.get_by_label("Fornavn").fill("Ole")
        page.get_by_label("Efternavn").fill("Hansen")
        page.get_by_label("E-mail").fill("ole@example.com")
        page.get_by_label(re.compile("Jeg accepterer")).check()
        page.get_by_role("button", name="Book nu").click()
        expect(page.get_by_role("heading", name="Du er booket")).to_be_visible()
        assert Booking.objects.count() == 2
        assert page.evaluate("window.__blocked") == []
        assert not [e for e in errors if "Content Security Policy" in e], errors
        assert solved_in < 15, solved_in
    finally:
        context.close()
    # The widget on the details step passes axe too (axe needs the CSP bypass).
    page = new_page(locale="da-DK")
    page.goto("/da/demo/")
    page.get_by_role("link", name=re.compile("Videokonsultation")).click()
    page.get_by_role("link", name="Første ledige").click()
    expect(page.get_by_role("heading", name="Vælg et tidspunkt")).to_be_visible()
    first_time(page)
    page.get_by_role("button", name="Fortsæt").click()
    expect(page.locator("altcha-widget").get_by_text("Jeg er ikke en robot")).to_be_visible()
    check_axe(page, "details with ALTCHA (da)")
