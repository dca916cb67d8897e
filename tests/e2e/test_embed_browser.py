"""Embedding and security headers in a real browser: the inline embed's height, the
popup's layout, who receives the embed's events, pages working under their CSP, and
the error pages."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from .conftest import check_axe

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def csp_violations(page) -> None:
    page.add_init_script(
        """window.__violations = [];
        document.addEventListener('securitypolicyviolation',
            e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"""
    )


def test_admin_and_api_docs_work_under_their_policy(demo, new_page, live_server):
    get_user_model().objects.create_superuser("op", "op@example.com", "op-password-1")
    page = new_page(bypass_csp=False)
    csp_violations(page)
    page.goto("/admin/login/")
    page.get_by_label("Username").fill("op")
    page.get_by_label("Password").fill("op-password-1")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    page.goto("/admin/companies/company/")
    page.get_by_role("link", name="Rendezvous Demo").first.click()
    expect(page.get_by_label("Sites that may embed the booking pages")).to_be_visible()
    assert page.evaluate("window.__violations") == []
    page.goto("/api/v1/docs")
    # Swagger UI (our own copy) renders the operations from the OpenAPI document.
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    assert page.evaluate("window.__violations") == []


def snippet_page(live_server, *, mode="inline", path="/en/embed/demo/") -> str:
    return f"""<!doctype html><html lang="en"><head><title>Shop</title></head><body>
        <main><h1>Our shop</h1>
        <script>window.events = []; window.addEventListener("message", e => {{
            if (e.data && String(e.data.type).startsWith("rendezvous:")) window.events.push(e.data); }});</script>
        <script src="{live_server.url}/static/public/embed.js" data-url="{live_server.url}{path}"
                data-mode="{mode}" data-title="Book with us"></script></main></body></html>"""


def allow(demo, host_url: str) -> None:
    demo.frame_ancestors = host_url.rsplit("/", 1)[0]
    demo.save()


def loaded_frame(page):
    framed = page.locator("iframe[title='Book with us']").element_handle().content_frame()
    framed.wait_for_url(re.compile("/embed/"))
    framed.wait_for_load_state("load")
    return framed


def test_inline_embed_settles_at_its_content_height(demo, new_page, live_server, host_site):
    host = host_site("/inline.html", snippet_page(live_server))
    allow(demo, host)
    page = new_page()
    page.goto(host)
    framed = loaded_frame(page)
    expect(framed.get_by_role("heading", name="Choose a service")).to_be_visible()
    heights = []
    for _ in range(6):
        page.wait_for_timeout(500)
        heights.append(page.locator("iframe[title='Book with us']").bounding_box()["height"])
    # It grew by about 600 px a second up to 5,000 px: the page measured its own
    # viewport-stretched document, and the snippet added 20 px to each answer.
    assert len(set(heights)) == 1, heights
    content = framed.evaluate("document.body.getBoundingClientRect().height")
    assert abs(heights[-1] - content) <= 2, (heights[-1], content)
    # A taller page (the next step) gets a taller frame, and it settles again.
    framed.get_by_role("link", name=re.compile("Video consultation")).first.press("Enter")
    expect(framed.get_by_role("heading", name="Who would you like to see?")).to_be_visible()
    page.wait_for_timeout(1000)
    after = [page.locator("iframe[title='Book with us']").bounding_box()["height"]]
    page.wait_for_timeout(1000)
    after.append(page.locator("iframe[title='Book with us']").bounding_box()["height"])
    content = framed.evaluate("document.body.getBoundingClientRect().height")
    assert after[0] == after[1] and abs(after[1] - content) <= 2, (after, content)


def test_popup_close_button_leaves_the_language_bar_free(demo, new_page, live_server, host_site):
    host = host_site("/popup.html", snippet_page(live_server, mode="popup"))
    allow(demo, host)
    page = new_page()
    page.goto(host)
    page.get_by_role("button", name="Book now").click()
    framed = loaded_frame(page)
    languages = framed.get_by_role("navigation", name="Language")
    expect(languages).to_be_visible()
    close = page.get_by_role("button", name="Close")
    expect(close).to_be_visible()
    a, b = close.bounding_box(), languages.bounding_box()
    apart = (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )
    assert apart, (a, b)
    # Every language link can be clicked where it is drawn (nothing lies on top).
    for link in languages.get_by_role("link").all():
        box = link.bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        assert page.evaluate(f"document.elementFromPoint({x}, {y}).tagName") == "IFRAME"
    # The frame fills the dialog below the bar and keeps its size (no resizing to content).
    frame_box = page.locator("dialog iframe").bounding_box()
    page.wait_for_timeout(1000)
    assert page.locator("dialog iframe").bounding_box() == frame_box
    close.click()
    expect(page.locator("dialog")).not_to_be_visible()


def without_frame_policy(page) -> None:
    """Serve the embeds without their CSP, as a browser that ignores frame-ancestors
    would: then only the page's own check stands between its events and the host."""

    def strip(route):
        response = route.fetch()
        headers = {
            k: v for k, v in response.headers.items() if k.lower() != "content-security-policy"
        }
        route.fulfill(response=response, headers=headers)

    page.route(re.compile(r"/embed/"), strip)


def frame_page(live_server, name: str) -> str:
    """A page that frames the embed itself, naming the frame as it likes."""
    return f"""<!doctype html><html lang="en"><head><title>Other</title></head><body>
        <script>window.events = []; window.addEventListener("message", e => {{
            if (e.data && String(e.data.type).startsWith("rendezvous:")) window.events.push(e.data); }});</script>
        <iframe title="Book with us" name="{name}" src="{live_server.url}/en/embed/demo/"></iframe>
        </body></html>"""


@pytest.mark.parametrize("listed", ["exactly", "by a wildcard", "not at all"])
def test_events_go_only_to_a_listed_site(demo, new_page, live_server, host_site, listed):
    host = host_site("/shop.html", snippet_page(live_server))
    origin = host.rsplit("/", 1)[0]
    demo.frame_ancestors = {
        "exactly": f"https://www.example.com {origin}",
        "by a wildcard": "*",
        "not at all": "https://www.example.com 'self'",
    }[listed]
    demo.save()
    page = new_page()
    without_frame_policy(page)
    page.goto(host)
    framed = loaded_frame(page)
    expect(framed.get_by_role("heading", name="Choose a service")).to_be_visible()
    if listed == "not at all":
        page.wait_for_timeout(1500)
        assert page.evaluate("window.events") == []
    else:
        page.wait_for_function("window.events.some(e => e.type === 'rendezvous:resize')")


def test_a_page_that_claims_another_sites_name_gets_nothing(demo, new_page, live_server, host_site):
    # Any site may frame the pages here; this one says it is the shop.
    demo.frame_ancestors = "*"
    demo.save()
    host = host_site(
        "/other.html", frame_page(live_server, "rendezvous-embed:https://shop.example")
    )
    page = new_page()
    page.goto(host)
    framed = loaded_frame(page)
    framed.get_by_role("link", name=re.compile("Online yoga")).first.press("Enter")
    radios = framed.locator(".slots input[type=radio]:not([disabled])")
    expect(radios.first).to_be_attached()
    framed.locator(f"label[for='{radios.first.get_attribute('id')}']").click()
    page.wait_for_timeout(1000)
    assert page.evaluate("window.events") == []


def test_the_404_page_is_styled_and_accessible(demo, new_page):
    page = new_page(locale="de-DE")
    response = page.goto("/de/demo/staff/999999/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Seite nicht gefunden")).to_be_visible()
    back = page.get_by_role("link", name="Zurück zu Rendezvous Demo Practice")
    # Our stylesheet applies: the way back is drawn as a button, not a bare link.
    assert back.evaluate("el => getComputedStyle(el).borderRadius") != "0px"
    assert back.evaluate("el => getComputedStyle(el).display") == "inline-block"
    check_axe(page, "404 (de)")
    back.click()
    expect(page.get_by_role("heading", name="Leistung wählen")).to_be_visible()
