"""Issue #5, end to end: the demo under `rendezvous serve`, a video consultation booked
through the public API, the join links from the emails the server's task worker sends,
and two Chromium windows (fake camera and microphone) that see and hear each other.

Everything runs as a newcomer's machine would: a real `rendezvous serve` process on a
fresh SQLite file (no Redis), a real SMTP server on loopback, links followed exactly as
they arrive by email. The only change to the demo is made in its database file: its
staff work round the clock, with no minimum notice and a join window of an hour, so
that a consultation starting within minutes can be booked and joined at any hour.
"""

from __future__ import annotations

import email.message
import os
import re
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.demo.test_serve import free_port, wait_for_demo
from tests.notifications.conftest import SmtpServer

from .conftest import ARGS, CHROMIUM
from .test_room_browser import MEDIA_ARGS, wait_media, wait_sound

pytestmark = pytest.mark.e2e

BERLIN = ZoneInfo("Europe/Berlin")
CUSTOMER = "ana@example.com"


@pytest.fixture
def smtp_server():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def served(tmp_path, smtp_server):
    """`rendezvous serve` in a subprocess, mailing to `smtp_server`; (base URL, var dir)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = os.environ | {
        "RENDEZVOUS_VAR_DIR": str(tmp_path),
        "DATABASE_URL": "",
        "REDIS_URL": "",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_server.port),
        "RENDEZVOUS_BASE_URL": base,
    }
    # The served process runs as it would for a user: its own settings, tasks on its
    # worker, no test-only switches inherited from this process.
    for name in (
        "DJANGO_SETTINGS_MODULE",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
        "RENDEZVOUS_TASKS_IMMEDIATE",
    ):
        env.pop(name, None)
    # Output to a file, not a pipe: uvicorn logs every request and the worker every task,
    # and a pipe nobody reads until the end would fill up and stall the server.
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "rendezvous.cli", "serve", "--demo", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
    wait_for_demo(base, proc, log_path.read_text)
    try:
        yield base, tmp_path
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
                pytest.fail("server did not exit on SIGTERM:\n" + log_path.read_text())
    output = log_path.read_text()
    assert proc.returncode == 0, output
    assert "admin / rendezvous-demo" in output and f"{base}/" in output, output


def open_demo_round_the_clock(database) -> None:
    """Every demo staff member works all week, all day (00:00-00:00); no minimum notice,
    a join window of an hour; and a new availability version, so that no cached slots
    survive. A short connection: the server holds the file open too (WAL)."""
    db = sqlite3.connect(database, timeout=20)
    try:
        with db:
            company, version = db.execute(
                "SELECT id, availability_version FROM companies_company WHERE slug = 'demo'"
            ).fetchone()
            location = db.execute(
                "SELECT id FROM companies_location WHERE company_id = ? ORDER BY id", (company,)
            ).fetchone()[0]
            staff = [
                row[0]
                for row in db.execute(
                    "SELECT id FROM companies_staffmember WHERE company_id = ?", (company,)
                )
            ]
            assert staff, "the demo has staff"
            marks = ",".join("?" * len(staff))
            db.execute(f"DELETE FROM availability_workinghours WHERE staff_id IN ({marks})", staff)
            db.executemany(
                'INSERT INTO availability_workinghours (staff_id, location_id, weekday, "start", "end")'
                " VALUES (?, ?, ?, '00:00:00', '00:00:00')",
                [(member, location, day) for member in staff for day in range(7)],
            )
            db.execute(
                "UPDATE companies_company SET min_notice_minutes = 0, join_window_minutes = 60,"
                " availability_version = ? WHERE id = ?",
                (max(version + 1, time.time_ns()), company),
            )
    finally:
        db.close()


def staff_email(database, staff_id: str) -> str:
    db = sqlite3.connect(database, timeout=20)
    try:
        return db.execute(
            "SELECT email FROM companies_staffmember WHERE id = ?", (int(staff_id),)
        ).fetchone()[0]
    finally:
        db.close()


def text_of(message: email.message.EmailMessage) -> str:
    """Every text part of `message`, decoded; calendar lines unfolded (RFC 5545 folds
    long lines, a URL among them, at 75 octets)."""
    texts = []
    for part in message.walk():
        if part.is_multipart() or part.get_content_maintype() != "text":
            continue
        text = part.get_content()
        if part.get_content_type() == "text/calendar":
            text = re.sub(r"\r?\n[ \t]", "", text)
        texts.append(text)
    return "\n".join(texts)


def wait_for_mail(smtp: SmtpServer, address: str, subject: str, timeout: float = 90):
    """The first message to `address` whose subject starts with `subject`, polled until
    `timeout`: the server's task worker sends it after the booking commits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for received in smtp.to(address):
            if received.message["Subject"].startswith(subject):
                return received.message
        time.sleep(0.2)
    seen = [(r.rcpt_tos, r.message["Subject"]) for r in smtp.received]
    raise AssertionError(f"no {subject!r} email to {address} within {timeout}s; got {seen}")


def test_the_demo_customer_and_staff_member_see_and_hear_each_other(
    served, smtp_server, playwright
):
    base, var_dir = served
    database = var_dir / "rendezvous.sqlite3"
    open_demo_round_the_clock(database)

    # The customer books a video consultation starting within minutes.
    services = {s["name"]: s for s in httpx.get(f"{base}/api/v1/companies/demo/services").json()}
    video = services["Video consultation"]
    assert video["online_meeting"] is True
    now = datetime.now(UTC)
    today = now.astimezone(BERLIN).date()
    answer = httpx.get(
        f"{base}/api/v1/companies/demo/slots",
        params={"service": video["id"], "from": str(today), "to": str(today + timedelta(days=1))},
    )
    assert answer.status_code == 200, answer.text
    slots = answer.json()["slots"]
    soon = [s for s in slots if datetime.fromisoformat(s["start"]) <= now + timedelta(minutes=20)]
    assert soon, f"no slot within 20 minutes of {now:%H:%M} UTC; first ones: {slots[:3]}"
    slot = soon[0]
    staff_id = slot["staff"][0]
    staff_names = {
        s["id"]: s["name"]
        for s in httpx.get(
            f"{base}/api/v1/companies/demo/staff", params={"service": video["id"]}
        ).json()
    }
    booked = httpx.post(
        f"{base}/api/v1/companies/demo/bookings",
        json={
            "service": video["id"],
            "start": slot["start"],
            "staff": staff_id,
            "customer": {"first_name": "Ana", "last_name": "Ionescu", "email": CUSTOMER},
        },
    )
    assert booked.status_code == 201, booked.text
    assert booked.json()["online"] is True
    assert booked.json()["status"] == "confirmed"

    # The task worker mails both: each email carries its reader's own join link.
    staff_address = staff_email(database, staff_id)
    customer_mail = text_of(wait_for_mail(smtp_server, CUSTOMER, "Booking confirmed"))
    staff_mail = text_of(wait_for_mail(smtp_server, staff_address, "New booking"))
    link = re.compile(re.escape(base) + r"/join/([A-Za-z0-9_-]+)/")
    customer_tokens = set(link.findall(customer_mail))
    staff_tokens = set(link.findall(staff_mail))
    assert len(customer_tokens) == 1, customer_mail
    assert len(staff_tokens) == 1, staff_mail
    [customer_token], [staff_token] = customer_tokens, staff_tokens
    assert customer_token != staff_token
    assert staff_token not in customer_mail
    assert customer_token not in staff_mail

    # Two windows, one per link: the staff member's and the customer's.
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS + MEDIA_ARGS)
    try:
        pages = {}
        for who, token in (("staff", staff_token), ("customer", customer_token)):
            context = browser.new_context(locale="en-GB", timezone_id="Europe/Berlin")
            context.set_default_timeout(30_000)
            page = context.new_page()
            page.goto(f"{base}/join/{token}/")
            pages[who] = page
        for page in pages.values():
            page.get_by_role("button", name="Join the meeting").click()
            # Admitted: the server's welcome names who this page is.
            page.wait_for_function("() => window.rdvRoom && window.rdvRoom.welcomes() >= 1")

        staff, customer = pages["staff"], pages["customer"]
        assert staff.evaluate("window.rdvRoom.me().host") is True
        assert customer.evaluate("window.rdvRoom.me().host") is False
        # See: connected, a video track from the other, frames decoding on both sides.
        wait_media(staff, 1)
        wait_media(customer, 1)
        # Hear: the sound received from the other carries growing energy (the fake
        # microphone beeps), on both sides.
        wait_sound(staff)
        wait_sound(customer)
        assert staff.evaluate("window.rdvRoom.peers().map(p => p.name)") == ["Ana"]
        assert customer.evaluate("window.rdvRoom.peers().map(p => p.name)") == [
            staff_names[staff_id]
        ]
        for context in browser.contexts:
            context.close()
    finally:
        browser.close()
