"""The back office in a real browser: sign-in (with TOTP), the calendar's columns, a
booking made by clicking a free time, its pop-up, dragging it (and a refused drag), a
public booking appearing without reload, a junior's single column, the requests inbox
a class participant marked paid, and the email editor's variable picker; axe-core on
every page in English and Danish."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import struct
import time as clock
from datetime import timedelta
from decimal import Decimal

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth import get_user_model
from icalendar import Calendar
from playwright.sync_api import expect

from rendezvous.bookings import domain
from rendezvous.bookings.models import Booking, BookingStatus, PaymentStatus
from rendezvous.catalog.domain import ServiceFields, service_update
from rendezvous.companies.domain import CompanyFields, StaffFields, company_update, staff_update
from rendezvous.companies.models import Membership, Role
from rendezvous.meetings.models import MeetingAccount
from rendezvous.notifications.domain import outbox_deliver_due
from tests.conftest import NOW, TOMORROW_10, book, details

from .conftest import check_axe

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-staff-password"


@pytest.fixture
def office(practice):
    """The practice with online meetings on, and an admin and a junior (Ada's)."""
    practice.company.online_meetings_enabled = True
    practice.company.save()
    users = {}
    for name, role, staff in (
        ("boss", Role.ADMIN, None),
        ("junior", Role.JUNIOR, practice.staff[0]),
    ):
        user = get_user_model().objects.create_user(name, f"{name}@staff.example", PASSWORD)
        Membership.objects.create(company=practice.company, user=user, role=role, staff=staff)
        users[name] = user
    return users


def sign_in(page, username, *, totp_secret=None):
    page.goto("/office/")
    page.locator("#id_login").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main button[type=submit]").click()
    if totp_secret:
        page.locator("input[name=code]").fill(totp_code(totp_secret))
        page.locator("main button[type=submit]").first.click()
    expect(page.get_by_role("heading", name=re.compile("Calendar|Kalender"))).to_be_visible()


def totp_code(secret: str) -> str:
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(clock.time() // 30)), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def go_to_tomorrow(page):
    page.locator("button.ec-next").click()
    expect(page.locator(".ec-title")).to_contain_text("2")


def column_point(page, column: int, hhmm: str):
    """Where to click in a staff column at a time: the time's row, the column's middle."""
    header = page.locator(".ec-col-head").nth(column)
    expect(header).to_be_visible()
    row = page.locator(".ec-slot", has_text=re.compile(rf"^{hhmm}$")).first
    row.scroll_into_view_if_needed()
    box = header.bounding_box()
    slot = row.bounding_box()
    return box["x"] + box["width"] / 2, slot["y"] + slot["height"] / 2


def test_an_admin_books_a_phoning_customer_by_video_and_moves_the_booking(
    practice, office, new_page, smtp
):
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    TOTP.activate(office["boss"], secret)
    page = new_page()
    sign_in(page, "boss", totp_secret=secret)
    for name in ("Ada", "Ben", "Cleo"):
        expect(page.locator(".ec-col-head", has_text=name)).to_be_visible()
    check_axe(page, "calendar (en)")
    go_to_tomorrow(page)
    x, y = column_point(page, 1, "10:00")
    page.mouse.click(x, y)
    dialog = page.locator("#office-dialog")
    expect(dialog.get_by_role("heading", name="New booking with Ben")).to_be_visible()
    expect(dialog.get_by_label("Start")).to_have_value("2026-12-02T10:00")
    check_axe(page, "booking dialog")
    dialog.get_by_label("Service").select_option(label="Video call (30 min)")
    expect(dialog.get_by_label("By video")).to_be_checked()
    dialog.get_by_label("First name").fill("Phone")
    dialog.get_by_label("Last name").fill("Caller")
    dialog.get_by_label("Email", exact=True).fill("caller@example.com")
    dialog.get_by_role("button", name="Book", exact=True).click()
    expect(dialog.get_by_text("Phone is booked for Video call.")).to_be_visible()
    booking = Booking.objects.get(email="caller@example.com")
    assert booking.online and booking.staff == practice.staff[1]
    dialog.get_by_role("button", name="Open the booking").click()
    expect(dialog.get_by_role("button", name="Copy client link")).to_be_visible()
    check_axe(page, "booking pop-up")
    dialog.get_by_role("button", name="Close").first.click()
    event = page.locator(".ec-event", has_text="Caller")
    expect(event.locator(".tag.online")).to_be_visible()
    # Drag it an hour later, in the same column.
    x11, y11 = column_point(page, 1, "11:00")
    box = event.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 5)
    page.mouse.down()
    page.mouse.move(x11, y11 + 3, steps=12)
    page.mouse.up()
    expect(page.locator("#calendar-status")).to_have_text("")
    for _ in range(50):
        booking.refresh_from_db()
        if booking.start == TOMORROW_10 + timedelta(hours=1):
            break
        page.wait_for_timeout(100)
    assert booking.start == TOMORROW_10 + timedelta(hours=1)
    outbox_deliver_due()
    invitations = [
        Calendar.from_ical(part.get_content())
        for received in smtp.to("caller@example.com")
        for part in received.message.walk()
        if part.get_content_type() == "text/calendar"
    ]
    uids = {str(c.walk("VEVENT")[0]["UID"]) for c in invitations}
    sequences = sorted(int(c.walk("VEVENT")[0].get("SEQUENCE", 0)) for c in invitations)
    assert len(uids) == 1 and sequences[-1] > sequences[0]
    # A drag onto a taken time snaps back with the reason.
    book(practice, TOMORROW_10 + timedelta(hours=3), staff=practice.staff[1])
    page.reload()
    go_to_tomorrow(page)
    event = page.locator(".ec-event", has_text="Caller")
    x13, y13 = column_point(page, 1, "13:00")
    box = event.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 5)
    page.mouse.down()
    page.mouse.move(x13, y13 + 3, steps=12)
    page.mouse.up()
    expect(page.locator("#calendar-alert")).to_contain_text("stayed where it was")
    booking.refresh_from_db()
    assert booking.start == TOMORROW_10 + timedelta(hours=1)


def test_a_public_booking_appears_in_an_open_calendar(practice, office, new_page):
    page = new_page()
    sign_in(page, "boss")
    go_to_tomorrow(page)
    expect(page.locator(".ec-event", has_text="Walk In")).to_have_count(0)
    domain.booking_create(
        company=practice.company,
        service=practice.service,
        start=TOMORROW_10,
        details=domain.CustomerDetails("Walk", "In", "walkin@example.com"),
        staff_id=practice.staff[2].pk,
        now=NOW,
    )
    expect(page.locator(".ec-event", has_text="Walk In")).to_be_visible(timeout=15_000)


def test_a_junior_sees_one_column_and_not_a_colleagues_booking(practice, office, new_page):
    colleague = book(practice, TOMORROW_10, staff=practice.staff[1]).booking
    page = new_page()
    sign_in(page, "junior")
    mine = book(practice, TOMORROW_10, staff=practice.staff[0], n="mine").booking
    page.reload()
    go_to_tomorrow(page)
    expect(page.locator(".ec-event", has_text=mine.last_name)).to_be_visible()
    expect(page.locator(".ec-event", has_text=colleague.last_name)).to_have_count(0)
    expect(page.locator(".ec-col-head", has_text="Ben")).to_have_count(0)
    # What the calendar asked for: one column, Ada's.
    answer = page.request.get(
        f"/api/v1/companies/{practice.company.slug}/manage/calendar?from=2026-12-02&to=2026-12-02"
    ).json()
    assert [r["title"] for r in answer["resources"]] == ["Ada"]
    response = page.goto(f"/office/bookings/{colleague.pk}/")
    assert response.status == 404


def test_requests_and_a_paid_class_participant(practice, office, new_page, smtp):
    practice.service.requires_confirmation = True
    practice.service.save()
    request = book(practice, TOMORROW_10, staff=practice.staff[0]).booking
    practice.yoga.requires_payment = True
    practice.yoga.save()
    seat = domain.booking_create(
        company=practice.company,
        service=practice.yoga,
        start=None,
        session_id=practice.session.pk,
        details=details("yogi"),
        now=NOW,
    ).booking
    page = new_page()
    sign_in(page, "boss")
    page.get_by_role("link", name="Requests").click()
    check_axe(page, "requests")
    page.get_by_role("button", name="Confirm request").click()
    expect(page.get_by_text("Request confirmed")).to_be_visible()
    request.refresh_from_db()
    assert request.status == BookingStatus.CONFIRMED
    page.get_by_role("link", name="Classes").click()
    page.goto("/office/classes/?week=2026-12-01")
    check_axe(page, "classes")
    page.get_by_role("link", name=re.compile("18:00")).first.click()
    check_axe(page, "class session")
    page.get_by_role("button", name="Payment received").click()
    expect(page.get_by_text("Payment recorded")).to_be_visible()
    seat.refresh_from_db()
    assert seat.payment_status == PaymentStatus.PAID
    outbox_deliver_due()
    texts = [r.message.get_body(("plain",)).get_content() for r in smtp.to(seat.email)]
    assert any("/join/" in text for text in texts[-1:])


@pytest.mark.parametrize("language", ["en", "da"])
def test_every_office_page_is_axe_clean(practice, office, new_page, language):
    book(practice, TOMORROW_10, staff=practice.staff[0], n="axe")
    # A connected account that no longer works: the state, the reconnect button and a
    # staff member's own row on the meetings pages.
    teams = MeetingAccount.objects.create(
        company=practice.company, provider="teams", app_id="client", secret="s" * 20
    )
    MeetingAccount.objects.filter(pk=teams.pk).update(refresh_token="dead", needs_reconnect=True)
    MeetingAccount.objects.create(
        company=practice.company, staff=practice.staff[0], provider="static_link",
        url="https://room.example.com/ada",
    )  # fmt: skip
    # Changes that the service, staff member and company pages list in their history.
    service_update(service=practice.service, fields=ServiceFields(price=Decimal("35.50")))
    staff_update(staff=practice.staff[0], fields=StaffFields(name="Ada L."))
    company_update(company=practice.company, fields=CompanyFields(min_notice_minutes=30))
    page = new_page(locale="da-DK" if language == "da" else "en-GB")
    page.goto("/office/account/login/")
    check_axe(page, f"sign-in ({language})")
    sign_in(page, "boss")
    customer = Booking.objects.filter(customer__isnull=False).first().customer
    for path in (
        "/office/calendar/",
        "/office/requests/",
        "/office/customers/",
        f"/office/customers/{customer.pk}/",
        "/office/classes/?week=2026-12-01",
        f"/office/classes/{practice.session.pk}/",
        "/office/reports/",
        "/office/reports/meetings/",
        "/office/settings/",
        "/office/settings/locations/",
        "/office/settings/services/",
        f"/office/settings/services/{practice.service.pk}/",
        "/office/settings/team/",
        f"/office/settings/team/{practice.staff[0].pk}/",
        f"/office/settings/team/{practice.staff[0].pk}/hours/",
        "/office/settings/sharing/",
        "/office/settings/access/",
        "/office/settings/meetings/",
        f"/office/settings/meetings/accounts/{teams.pk}/",
        "/office/settings/emails/",
        f"/office/settings/emails/booking_confirmed/{language}/",
        f"/office/settings/emails/booking_confirmed/{language}/?service={practice.video.pk}",
        "/office/settings/outbox/",
        "/office/account/2fa/",
    ):
        page.goto(path)
        if language == "da" and path != "/office/account/2fa/":
            assert page.locator("html").get_attribute("lang") == "da"
        history = page.locator("details.history summary")
        if history.count():
            history.click()
        check_axe(page, f"{path} ({language})")
    # A staff member's own video account: for the junior, who has a staff profile.
    junior = new_page(locale="da-DK" if language == "da" else "en-GB")
    sign_in(junior, "junior")
    junior.goto("/office/settings/meetings/mine/")
    check_axe(junior, f"my video account ({language})")


def test_the_sharing_page_previews_the_embed_and_copies_a_link_under_the_real_policy(
    practice, office, new_page
):
    # The policy is enforced here (no bypass): the preview must be allowed to frame.
    page = new_page(bypass_csp=False, permissions=["clipboard-read", "clipboard-write"])
    blocked = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security" in m.text else None)
    sign_in(page, "boss")
    page.goto(f"/office/settings/sharing/?preview=staff-{practice.staff[0].pk}")
    preview = page.frame_locator("#preview iframe")
    expect(preview.get_by_text("Consultation").first).to_be_visible()
    link = page.locator("#share-1-link").input_value()
    assert link.endswith("/en/practice/")
    page.get_by_role("button", name="Copy the link").first.click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == link
    # The QR code is an image the policy lets through.
    assert page.locator(".share-qr img").evaluate("img => img.naturalWidth") > 0
    assert blocked == []


def test_the_popups_actions_and_the_new_booking_button_work_in_the_browser(
    practice, office, new_page
):
    booking = book(practice, TOMORROW_10, staff=practice.staff[0], n="popup").booking
    # Under the pages' own policy, so that an inline style htmx writes would show.
    page = new_page(bypass_csp=False)
    blocked = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security" in m.text else None)
    sign_in(page, "boss")
    # The keyboard's way to book: the button opens the dialog for the first column.
    expect(page.locator(".ec-col-head", has_text="Ada")).to_be_visible()
    page.get_by_role("button", name="New booking").click()
    dialog = page.locator("#office-dialog")
    expect(dialog.get_by_role("heading", name="New booking with Ada")).to_be_visible()
    page.keyboard.press("Escape")
    go_to_tomorrow(page)
    page.locator(".ec-event", has_text=booking.last_name).click()
    expect(dialog.get_by_role("heading", name=re.compile(booking.last_name))).to_be_visible()
    dialog.get_by_role("button", name="Resend confirmation").click()
    expect(dialog.get_by_text(f"on its way to {booking.email} again")).to_be_visible()
    dialog.get_by_text("Move or change staff", exact=True).click()
    dialog.get_by_role("button", name="Move booking").click()
    expect(dialog.get_by_text("Booking moved; the customer is told by email.")).to_be_visible()
    dialog.get_by_text("Cancel booking", exact=True).first.click()
    dialog.get_by_label("Reason (for your team; not sent)").fill("Called in sick")
    dialog.get_by_role("button", name="Cancel booking").click()
    expect(dialog.get_by_text("Booking cancelled; the customer is told by email.")).to_be_visible()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert blocked == []  # htmx settled the swaps without an inline style


def test_the_variable_picker_inserts_at_the_cursor_and_the_preview_follows(
    practice, office, new_page
):
    # Under the pages' own policy: the picker and the preview are static scripts only.
    page = new_page(bypass_csp=False)
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, "boss")
    page.goto("/office/settings/emails/booking_confirmed/en/")
    body = page.get_by_label("Body")
    body.fill("Hello  and welcome")
    body.evaluate("field => field.setSelectionRange(6, 6)")
    picker = page.get_by_role("group", name="Insert a variable")
    # A customer's email offers the customer's join link, never the host's.
    expect(picker.get_by_role("button", name="[online_meeting_provider_link]")).to_have_count(0)
    picker.get_by_role("button", name="[online_meeting_link]").click()
    expect(body).to_have_value("Hello [online_meeting_link] and welcome")
    expect(body).to_be_focused()
    # The live preview renders the new text with sample data.
    expect(page.locator("#email-preview .email-text")).to_contain_text("/join/sample/")
    # The subject, once it had the focus, is where the next variable goes.
    subject = page.get_by_label("Subject")
    subject.fill("For ")
    picker.get_by_role("button", name="[customer_first_name]").click()
    expect(subject).to_have_value("For [customer_first_name]")
    expect(page.locator("#email-preview .preview-subject")).to_have_text("For Ana")
    # The preview shows the email's own style attributes, which the policy allows.
    assert errors == []


def test_the_now_line_keeps_the_companys_time_and_the_meeting_countdown_ticks(
    practice, office, new_page, frozen_now
):
    video = book(practice, TOMORROW_10, service=practice.video, staff=practice.staff[0], n="video")
    # A browser in New York, where it is 06:00 when it is noon in Berlin, the company's zone.
    page = new_page(timezone_id="America/New_York")
    page.clock.set_fixed_time(NOW + timedelta(hours=4))
    sign_in(page, "boss")
    line = page.locator(".ec-now-indicator").first
    expect(line).to_be_attached()
    noon = page.locator(".ec-slot", has_text=re.compile(r"^12:00$")).first
    one = page.locator(".ec-slot", has_text=re.compile(r"^13:00$")).first
    noon.scroll_into_view_if_needed()
    top, below = noon.bounding_box()["y"], one.bounding_box()["y"]
    at = line.bounding_box()["y"]
    assert top - 20 <= at <= below, (top, at, below)
    # 90 seconds before the host's join window opens (on the server's clock), the
    # pop-up counts down, and the count moves with the time passing in the browser,
    # whose own clock is a day off.
    popup = page.evaluate(f"fetch('/office/bookings/{video.booking.pk}/').then(r => r.text())")
    opens = NOW + timedelta(seconds=int(re.search(r'data-countdown="(\d+)"', popup).group(1)))
    frozen_now.move_to(opens - timedelta(seconds=90))
    browser_now = NOW + timedelta(days=1)
    page.clock.set_fixed_time(browser_now)
    go_to_tomorrow(page)
    page.locator(".ec-event", has_text="Customer video").click()
    clock_text = page.locator("#office-dialog [data-countdown-clock]")
    expect(clock_text).to_have_text("1:30")
    page.clock.set_fixed_time(browser_now + timedelta(seconds=29))
    expect(clock_text).to_have_text("1:01")
    # When the count reaches zero the pop-up asks again and shows the button.
    frozen_now.move_to(opens)
    page.clock.set_fixed_time(browser_now + timedelta(seconds=91))
    expect(page.locator("#office-dialog").get_by_role("link", name="Start meeting")).to_be_visible()


NAV = ("Calendar", "Requests", "Customers", "Classes", "Reports", "Settings")


def fits_the_screen(page, label: str) -> None:
    """No horizontal scroll: the page is no wider than the window."""
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{label}: {widths[0]} px wide in a {widths[1]} px window"


def within_the_window(page, locator) -> None:
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"]


@pytest.mark.parametrize("width", [390, 1024])
def test_the_header_and_the_weekly_hours_fit_a_phone_and_a_tablet(
    practice, office, new_page, width
):
    phone = width == 390
    page = new_page(phone=True) if phone else new_page(viewport={"width": 1024, "height": 768})
    sign_in(page, "boss")
    menu = page.get_by_role("button", name="Menu")
    nav = page.get_by_role("navigation", name="Back office")
    for path in (
        "/office/calendar/",
        "/office/requests/",
        "/office/customers/",
        "/office/classes/?week=2026-12-01",
        "/office/reports/",
        "/office/reports/meetings/",
        "/office/settings/",
        "/office/settings/team/",
        f"/office/settings/team/{practice.staff[0].pk}/hours/",
    ):
        page.goto(path)
        if phone:
            # Folded behind a real button, opened from the keyboard.
            expect(menu).to_have_attribute("aria-expanded", "false")
            expect(nav).to_be_hidden()
            menu.focus()
            page.keyboard.press("Enter")
            expect(menu).to_have_attribute("aria-expanded", "true")
        else:
            expect(menu).to_be_hidden()
        for name in NAV:
            within_the_window(page, nav.get_by_role("link", name=name, exact=True))
        within_the_window(page, page.get_by_role("button", name="Sign out boss"))
        fits_the_screen(page, path)
    check_axe(page, f"weekly hours at {width} px")
    if phone:
        page.keyboard.press("Escape")
        expect(menu).to_have_attribute("aria-expanded", "false")
        expect(menu).to_be_focused()
        expect(nav).to_be_hidden()
    # The weekly editor, on this screen: labelled fields inside the window, saved.
    start = page.get_by_label("From").first
    within_the_window(page, start)
    within_the_window(page, page.get_by_label("Until").first)
    within_the_window(page, page.get_by_label("Location").first)
    start.fill("08:00")
    page.get_by_role("button", name="Save the week").click()
    expect(page.get_by_role("status")).to_be_visible()
    first = practice.staff[0].working_hours.order_by("weekday", "start").first()
    assert (first.weekday, first.start.isoformat(timespec="minutes")) == (0, "08:00")


def test_the_arrow_keys_choose_a_time_and_enter_books_it(practice, office, new_page):
    page = new_page()
    sign_in(page, "boss")
    expect(page.locator(".ec-col-head", has_text="Ben")).to_be_visible()
    page.locator("#calendar").focus()
    status = page.locator("#calendar-status")
    expect(status).to_contain_text("Ada")  # where the cursor starts: the first column
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(status).to_contain_text("Ben")
    expect(status).to_contain_text("10:00")
    expect(page.locator(".grid-cursor")).to_be_visible()
    page.keyboard.press("Enter")
    dialog = page.locator("#office-dialog")
    expect(dialog.get_by_role("heading", name="New booking with Ben")).to_be_visible()
    expect(dialog.get_by_label("Start")).to_have_value("2026-12-01T10:00")
