"""Staff sign-in to the back office (django-allauth): redirects, companies, TOTP, the
failed-sign-in limit, and the password reset email through our outbox."""

import base64
import hashlib
import hmac
import re
import struct
import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth import get_user_model

from rendezvous.companies.models import Membership, Role
from rendezvous.notifications.domain import outbox_deliver_due
from rendezvous.notifications.events import STAFF_ACCOUNT
from rendezvous.notifications.models import OutboxMessage
from tests.factories import CompanyFactory

from .conftest import PASSWORD, member

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

LOGIN = "/office/account/login/"


def sign_in(client, login, password=PASSWORD):
    return client.post(LOGIN, {"login": login, "password": password})


def test_signed_out_office_pages_send_to_the_sign_in_page(client, practice):
    for path in ("/office/", "/office/calendar/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith(f"{LOGIN}?next=")


def test_a_member_signs_in_with_username_or_email_and_lands_on_the_calendar(client, team):
    response = sign_in(client, "boss")
    assert response.status_code == 302 and response["Location"] == "/office/"
    response = client.get("/office/", follow=True)
    assert response.redirect_chain[-1][0] == "/office/calendar/"
    assert "Calendar" in response.content.decode()
    client.logout()
    assert sign_in(client, "senior@staff.example")["Location"] == "/office/"


def test_the_sign_in_page_offers_no_sign_up(client, practice):
    page = client.get(LOGIN).content.decode()
    assert "sign up" not in page.lower()
    assert "Sign Up Closed" in client.get("/office/account/signup/").content.decode()
    users = get_user_model().objects.count()
    client.post(
        "/office/account/signup/",
        {
            "username": "new",
            "email": "new@x.example",
            "password1": "pw-42-long!",
            "password2": "pw-42-long!",
        },
    )
    assert get_user_model().objects.count() == users


def test_a_wrong_password_is_refused_and_repeated_failures_lock_the_account(client, team):
    for _ in range(5):
        response = sign_in(client, "boss", "wrong")
        assert response.status_code == 200
        assert "_auth_user_id" not in client.session
    # The sixth try, with the right password, is refused too: the limit counts per account.
    response = sign_in(client, "boss")
    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_user_of_no_company_is_told_so(client, practice):
    get_user_model().objects.create_user("loner", "loner@x.example", PASSWORD)
    sign_in(client, "loner")
    response = client.get("/office/calendar/")
    assert response.status_code == 403
    assert "does not belong to a company" in response.content.decode()


def test_a_person_of_two_companies_picks_one(client, practice):
    other = CompanyFactory(slug="other", name="Other Studio")
    user = member(practice.company, "twice", Role.ADMIN)
    Membership.objects.create(company=other, user=user, role=Role.SENIOR)
    sign_in(client, "twice")
    response = client.get("/office/calendar/")
    assert response.status_code == 302 and response["Location"].startswith("/office/company/")
    page = client.get(response["Location"]).content.decode()
    assert "Other Studio" in page and practice.company.name in page
    response = client.post(
        "/office/company/", {"company": str(other.pk), "next": "/office/calendar/"}
    )
    assert response["Location"] == "/office/calendar/"
    assert "Other Studio" in client.get("/office/calendar/").content.decode()
    # A company they do not belong to cannot be picked.
    stranger = CompanyFactory(slug="stranger")
    client.post("/office/company/", {"company": str(stranger.pk)})
    assert client.session["office_company"] == other.pk


def rfc6238(secret: str, at: float) -> str:
    """A TOTP code as an authenticator app computes it (SHA-1, 30 s, 6 digits)."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(at // 30)), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def test_totp_is_asked_after_the_password(client, team):
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    TOTP.activate(team["admin"], secret)
    assert Authenticator.objects.filter(user=team["admin"], type="totp").exists()
    response = sign_in(client, "boss")
    assert response.status_code == 302 and "2fa" in response["Location"]
    # Not signed in yet: the office still sends to the sign-in page.
    assert client.get("/office/calendar/").status_code == 302
    wrong = client.post(response["Location"], {"code": "000000"})
    assert wrong.status_code == 200 and "_auth_user_id" not in client.session
    ok = client.post(response["Location"], {"code": rfc6238(secret, time.time())})
    assert ok.status_code == 302
    assert client.get("/office/calendar/").status_code == 200


def test_password_reset_arrives_through_the_outbox_and_its_link_sets_a_new_password(
    client, team, smtp
):
    response = client.post("/office/account/password/reset/", {"email": "senior@staff.example"})
    assert response.status_code == 302
    row = OutboxMessage.objects.get(event=STAFF_ACCOUNT)
    assert row.to_email == "senior@staff.example"
    outbox_deliver_due()
    (received,) = smtp.to("senior@staff.example")
    body = received.message.get_body(("plain",)).get_content()
    link = re.search(r"http://testserver(/office/account/password/reset/key/\S+)", body).group(1)
    form = client.get(link, follow=True)
    assert form.status_code == 200
    action = form.redirect_chain[-1][0] if form.redirect_chain else link
    done = client.post(action, {"password1": "brand-new-pass-42", "password2": "brand-new-pass-42"})
    assert done.status_code == 302
    client.logout()
    assert sign_in(client, "senior", "brand-new-pass-42")["Location"] == "/office/"
    # The link is single-use.
    again = client.get(link, follow=True)
    assert "brand-new" not in again.content.decode()
    assert b"password1" not in again.content
