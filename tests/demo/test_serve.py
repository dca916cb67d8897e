"""`rendezvous serve` as a newcomer runs it: a real process, a fresh SQLite file, real HTTP."""

import email
import email.policy
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.processes import process_env

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_demo(
    base: str, proc: subprocess.Popen, output: Callable[[], str], path="/api/v1/companies/demo"
) -> None:
    """Poll until the served demo (or `path`) answers; fail with the server's output
    otherwise."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}{path}", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if proc.poll() is not None:
            pytest.fail("server exited:\n" + output())
        time.sleep(0.3)
    proc.kill()
    proc.wait(10)
    pytest.fail("server did not start:\n" + output())


def serve_env(tmp_path) -> dict[str, str]:
    return process_env(tmp_path, drop=("DJANGO_SETTINGS_MODULE",))


@pytest.fixture
def server(tmp_path):
    port = free_port()
    env = serve_env(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "rendezvous.cli", "serve", "--demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    wait_for_demo(base, proc, proc.stdout.read)
    yield base
    proc.terminate()
    output, _ = proc.communicate(timeout=20)
    assert "admin / rendezvous-demo" in output and f"{base}/" in output
    assert f"written to {tmp_path / 'mail'}/" in output


def test_serve_lists_slots_and_books_once(server, tmp_path):
    services = {s["name"]: s for s in httpx.get(f"{server}/api/v1/companies/demo/services").json()}
    video = services["Video consultation"]
    assert video["online_meeting"] is True
    today = datetime.now(ZoneInfo("Europe/Berlin")).date()
    slots = httpx.get(
        f"{server}/api/v1/companies/demo/slots",
        params={"service": video["id"], "from": str(today), "to": str(today + timedelta(days=14))},
    ).json()["slots"]
    assert slots, "the demo offers times in the next two weeks"
    body = {
        "service": video["id"],
        "start": slots[0]["start"],
        "staff": slots[0]["staff"][0],
        "customer": {"first_name": "Ana", "last_name": "Ionescu", "email": "ana@example.com"},
    }
    first = httpx.post(f"{server}/api/v1/companies/demo/bookings", json=body)
    assert first.status_code == 201, first.text
    assert first.json()["online"] is True
    # Links point at the port this server answers on (no RENDEZVOUS_BASE_URL given).
    assert first.json()["manage_url"].startswith(f"{server}/")
    second = httpx.post(f"{server}/api/v1/companies/demo/bookings", json=body)
    assert second.status_code == 409 and second.json()["error"]["code"] == "slot_unavailable"
    manage = httpx.get(
        f"{server}/api/v1/bookings/{first.json()['id']}",
        headers={"X-Booking-Token": first.json()["manage_token"]},
    )
    assert manage.status_code == 200 and manage.json()["status"] == "confirmed"
    # No mail server named: the confirmation is a file to read, with the manage link.
    for _ in range(100):
        mails = [p.read_text() for p in (tmp_path / "mail").glob("*.log")]
        if any("ana@example.com" in m for m in mails):
            break
        time.sleep(0.1)
    letters = [email.message_from_string(m, policy=email.policy.default) for m in mails]
    (confirmation,) = [m for m in letters if m["To"].addresses[0].addr_spec == "ana@example.com"]
    assert f"{server}/" in confirmation.get_body(("plain",)).get_content()
    assert httpx.get(f"{server}/admin/login/").status_code == 200
    assert httpx.get(f"{server}/static/admin/css/base.css").status_code == 200


def test_serve_without_demo_creates_no_company_and_no_user(tmp_path):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "rendezvous.cli", "serve", "--port", str(port)],
        env=serve_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    wait_for_demo(base, proc, proc.stdout.read, path="/admin/login/")
    try:
        assert httpx.get(f"{base}/api/v1/companies/demo").status_code == 404
        # The back office offers the setup page of the first company instead.
        setup = httpx.get(f"{base}/office/")
        assert setup.status_code == 200 and "Set up Rendezvous" in setup.text
        with sqlite3.connect(tmp_path / "rendezvous.sqlite3") as db:
            assert db.execute("select count(*) from auth_user").fetchone() == (0,)
            assert db.execute("select count(*) from companies_company").fetchone() == (0,)
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=20)
    assert f"{base}/" in output and "rendezvous-demo" not in output
    assert f"Set up:         {base}/office/" in output
