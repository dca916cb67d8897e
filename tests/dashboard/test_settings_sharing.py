"""The sharing settings (/office/settings/sharing/): the booking-page links and embed
snippets of the company and of each location, staff member, resource and service, a
QR code of each page, and the live preview (the embed, framed by the office itself).
Admins only; the old public share page sends its visitors here."""

import html
import re

import pytest
from django.conf import settings

from rendezvous.dashboard.setup.sharing import qr_svg
from tests.factories import LocationFactory, StaffFactory

from .test_office_bookings import signed_in

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

SHARING = "/office/settings/sharing/"
QR = SHARING + "qr.svg"


def links(page: str) -> list[str]:
    """The booking-page links the page offers to copy."""
    return re.findall(r'id="share-\d+-link" type="text" readonly value="([^"]+)"', page)


def test_admins_see_a_link_and_snippets_for_every_page_and_each_link_answers(
    client, practice, team
):
    company = practice.company
    mitte = LocationFactory(company=company, name="Mitte")
    hidden = StaffFactory(company=company, name="Offline Olga", online_bookable=False)
    signed_in(client, team["admin"])
    page = client.get(SHARING).content.decode()
    base = settings.BASE_URL
    expected = {
        f"{base}/en/practice/",
        f"{base}/en/practice/location/{mitte.pk}/",
        *(f"{base}/en/practice/staff/{s.pk}/" for s in practice.staff),
        f"{base}/en/practice/resource/{practice.cabin.pk}/",
        *(
            f"{base}/en/practice/service/{s.pk}/"
            for s in (practice.service, practice.video, practice.cabin_service, practice.yoga)
        ),
    }
    assert set(links(page)) == expected
    assert f"/staff/{hidden.pk}/" not in page  # its page would answer 404
    # Each page's inline and popup snippet names its embeddable twin.
    snippet = html.escape(
        f'<script src="{base}/static/public/embed.js" '
        f'data-url="{base}/en/embed/practice/location/{mitte.pk}/" data-mode="inline" async>'
        "</script>",
        quote=False,
    )
    assert snippet in page
    assert f'data-url="{base}/en/embed/practice/location/{mitte.pk}/" data-mode="popup"' in (
        html.unescape(page)
    )
    assert 'data-copy="#share-1-link"' in page and "dashboard/copy.js" in page
    client.logout()
    for url in expected:
        path = url.removeprefix(base)
        response = client.get(path)
        assert response.status_code == 200, path
        embed = client.get(path.replace("/en/practice/", "/en/embed/practice/"))
        assert embed.status_code == 200, path
    # The narrowing holds: the location's page is Mitte's, the cabin's page offers only
    # what needs a cabin.
    assert "Mitte" in client.get(f"/en/practice/location/{mitte.pk}/").content.decode()
    cabin_page = client.get(f"/en/practice/resource/{practice.cabin.pk}/").content.decode()
    assert "Hearing test" in cabin_page and "Consultation" not in cabin_page


def test_the_qr_code_is_the_pages_url_and_nothing_the_csp_blocks(client, practice, team):
    signed_in(client, team["admin"])
    response = client.get(QR)
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    # No QR decoder is installed: the image is qrcode's for exactly the page's URL.
    url = f"{settings.BASE_URL}/en/practice/"
    assert response.content == qr_svg(url)
    assert response.content != qr_svg(url + "x")
    svg = response.content.decode()
    assert svg.startswith("<svg") and "style" not in svg and "<script" not in svg
    ada = practice.staff[0]
    scoped = client.get(QR, {"page": f"staff-{ada.pk}", "download": "1"})
    assert scoped.content == qr_svg(f"{settings.BASE_URL}/en/practice/staff/{ada.pk}/")
    assert "attachment" in scoped["Content-Disposition"]
    assert client.get(QR, {"page": "staff-999999"}).status_code == 404
    page = client.get(SHARING).content.decode()
    assert f'<img src="{QR}"' in page and "QR code of http" in page


def test_the_live_preview_frames_the_embed_from_the_office(client, practice, team):
    company = practice.company
    # A company that lists only its own shop still lets its booking site preview it.
    company.frame_ancestors = "https://shop.example.com"
    company.save()
    signed_in(client, team["admin"])
    ada = practice.staff[0]
    page = client.get(SHARING, {"preview": f"staff-{ada.pk}"}).content.decode()
    assert f'data-url="/en/embed/practice/staff/{ada.pk}/" data-mode="inline"' in page
    assert '<script src="/static/public/embed.js"' in page
    office_policy = client.get(SHARING)["Content-Security-Policy"]
    assert "default-src 'self'" in office_policy and "frame-src" not in office_policy
    embed = client.get(f"/en/embed/practice/staff/{ada.pk}/")
    assert "frame-ancestors 'self' https://shop.example.com;" in (
        embed["Content-Security-Policy"] + ";"
    )
    assert "X-Frame-Options" not in embed
    assert client.get(SHARING, {"preview": "service-999999"}).status_code == 404
    # Embedding switched off: no site frames the pages, the office says so instead.
    company.frame_ancestors = "'none'"
    company.save()
    page = client.get(SHARING).content.decode()
    assert "Embedding is switched off" in page
    assert '<script src="/static/public/embed.js"' not in page
    assert "frame-ancestors 'none'" in client.get("/en/embed/practice/")["Content-Security-Policy"]


def test_the_old_public_share_page_sends_its_visitors_to_the_office(client, practice, team):
    response = client.get("/en/practice/share/")
    assert response.status_code == 302 and response["Location"] == SHARING
    assert client.get("/en/nobody/share/").status_code == 404
    # Someone who is not signed in is asked to sign in first, then lands here.
    assert "/office/account/login/" in client.get(SHARING)["Location"]


def test_danish_links_and_labels(client, practice, team):
    practice.company.languages = ["da", "en"]
    practice.company.save()
    signed_in(client, team["admin"])
    client.post("/office/language/", {"language": "da", "next": SHARING})
    page = client.get(SHARING).content.decode()
    assert f"{settings.BASE_URL}/da/practice/" in links(page)
    assert "Kopiér linket" in page


@pytest.mark.parametrize("role", ["senior", "junior"])
def test_seniors_and_juniors_get_404(client, practice, team, role):
    signed_in(client, team[role])
    for url in (SHARING, QR, f"{SHARING}?preview=", f"{QR}?page=resource-{practice.cabin.pk}"):
        assert client.get(url).status_code == 404, url
        assert client.post(url).status_code == 404, url
    # The settings tabs they cannot open are not offered either.
    assert SHARING not in client.get("/office/customers/").content.decode()
