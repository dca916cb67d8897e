"""Browser tests: Playwright (the Python package) driving Debian's Chromium against
pytest-django's live server. One browser per test module; each test gets a fresh context.

Chromium missing: the tests skip locally with the reason, and fail in CI
(RENDEZVOUS_REQUIRE_BROWSER=1, set by .ci/run). `playwright install` is never used.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from rendezvous.demo.seed import demo_seed

# Playwright's sync API runs an event loop in the test thread; the test's own database
# calls (fixtures, checks) are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("RENDEZVOUS_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _unavailable(reason: str):
    if os.environ.get("RENDEZVOUS_REQUIRE_BROWSER"):
        pytest.fail(reason + " (RENDEZVOUS_REQUIRE_BROWSER is set: browser tests must run)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def playwright():
    """One Playwright per test module: a second sync_playwright() in the same thread
    fails, and a live one keeps an event loop running that later asyncio.run() calls
    (the room's signaling tests) refuse to share."""
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        _unavailable(f"Chromium not found at {CHROMIUM}: run scripts/ensure-chromium.sh")
    if not AXE.exists():
        _unavailable("axe-core is not installed: run `make assets` (npm ci)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is missing: pip install -e '.[dev]'")
    from playwright.sync_api import expect

    # Assertions wait as long as actions do (contexts use 15 s): the default 5 s was
    # missed now and then when the other xdist worker kept both cores busy.
    expect.set_options(timeout=15_000)
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="module")
def browser(playwright):
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    yield browser
    browser.close()


@pytest.fixture
def demo(transactional_db):
    return demo_seed()


@pytest.fixture
def new_page(browser, live_server):
    contexts = []

    def make(
        *, locale="en-GB", timezone_id="Europe/Berlin", phone=False, bypass_csp=True, **options
    ):
        if phone:
            options |= {
                "viewport": {"width": 390, "height": 844},
                "device_scale_factor": 2,
                "is_mobile": True,
                "has_touch": True,
            }
        context = browser.new_context(
            locale=locale,
            timezone_id=timezone_id,
            # Lets the tests inject axe-core (the pages never need it); tests of the
            # policy itself turn it off.
            bypass_csp=bypass_csp,
            base_url=live_server.url,
            **options,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def check_axe(page, label: str = "") -> None:
    """axe-core on the current page: no violations of WCAG 2.x A/AA rules."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {runOnly: {type: 'tag',
                values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
        }"""
    )
    assert result == [], f"axe violations on {label or page.url}:\n" + json.dumps(result, indent=1)


@pytest.fixture
def host_site():
    """A page on another origin (127.0.0.1, while the live server is localhost) that
    embeds the booking page with our snippet and records the messages it receives."""
    pages: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's naming)
            body = pages.get(self.path, "not found").encode()
            self.send_response(200 if self.path in pages else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"

    def add(path: str, html: str) -> str:
        pages[path] = html
        return base + path

    yield add
    server.shutdown()
    server.server_close()
