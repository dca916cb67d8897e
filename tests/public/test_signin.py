"""My bookings sign-in links work once: opened (as mail scanners open them) they only
show a Sign in button; pressed, they sign one browser in and are spent."""

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test import Client

from rendezvous.bookings import domain
from rendezvous.bookings.models import SignInLink
from rendezvous.core import tokens
from rendezvous.core.errors import InvalidState, NotFound
from tests.conftest import TOMORROW_10, book
from tests.factories import CompanyFactory

pytestmark = pytest.mark.integration

EMAIL = "customersignin@example.com"


def links() -> list[tuple]:
    return list(SignInLink.objects.order_by("pk").values_list("pk", "email", "used_at"))


def emailed_link(client, practice, django_capture_on_commit_callbacks) -> str:
    book(practice, TOMORROW_10, n="signin")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/en/{practice.company.slug}/my/", {"email": EMAIL})
    [message] = mail.outbox
    link = next(line for line in message.body.splitlines() if "/my/signin/" in line)
    return link.strip().replace("http://testserver", "")


def signed_in(client, practice) -> bool:
    page = client.get(f"/en/{practice.company.slug}/my/").content.decode()
    return f"Signed in as {EMAIL}" in page


def test_the_link_signs_in_one_browser_once(practice, django_capture_on_commit_callbacks):
    link = emailed_link(Client(), practice, django_capture_on_commit_callbacks)
    scanner, customer, later = Client(), Client(), Client()

    # A mail scanner fetching the link spends nothing and signs nobody in.
    for visitor in (scanner, customer):
        page = visitor.get(link)
        assert page.status_code == 200
        html = page.content.decode()
        assert re.search(r'<form method="post" action="">', html)
        assert '<button type="submit" class="button">Sign in</button>' in html
    assert not signed_in(scanner, practice) and not signed_in(customer, practice)
    assert SignInLink.objects.get().used_at is None

    response = customer.post(link)
    assert response.status_code == 302
    assert signed_in(customer, practice)

    before = links()
    for visitor in (later, scanner):
        for answer in (visitor.get(link), visitor.post(link)):
            assert answer.status_code == 410
            html = answer.content.decode()
            assert "This sign-in link was already used" in html
            # ... with the form to ask for a new one, sent to My bookings.
            assert f'action="/en/{practice.company.slug}/my/"' in html and 'name="email"' in html
        assert not signed_in(visitor, practice)
    assert links() == before


def test_the_used_page_is_translated(practice, django_capture_on_commit_callbacks):
    link = emailed_link(Client(), practice, django_capture_on_commit_callbacks)
    Client().post(link)
    page = Client().get(link.replace("/en/", "/de/", 1))
    assert page.status_code == 410
    assert "Dieser Anmeldelink wurde bereits verwendet" in page.content.decode()
    confirm = Client().get(
        emailed_link(Client(), practice, django_capture_on_commit_callbacks).replace(
            "/en/", "/de/", 1
        )
    )
    assert ">Anmelden</button>" in confirm.content.decode()


def test_the_link_ends_after_thirty_minutes(
    practice, frozen_now, django_capture_on_commit_callbacks
):
    link = emailed_link(Client(), practice, django_capture_on_commit_callbacks)
    frozen_now.shift(timedelta(seconds=tokens.SIGNIN_MAX_AGE + 1))
    before = links()
    browser = Client()
    response = browser.post(link)
    assert response.status_code == 400
    assert "invalid or has expired" in response.content.decode()
    assert not signed_in(browser, practice)
    assert links() == before


def test_a_link_of_another_company_or_a_forged_one_does_not_work(practice):
    token = domain.signin_link_issue(company=CompanyFactory(), email=EMAIL)
    before = links()
    for bad in (token, "not-a-token", tokens.signin_token(practice.company.pk, "guessed")):
        with pytest.raises(NotFound):
            domain.signin_link_use(company=practice.company, token=bad)
        response = Client().post(f"/en/{practice.company.slug}/my/signin/{bad}/")
        assert response.status_code == 400
    assert links() == before


def test_the_database_holds_only_the_nonce_hash(practice):
    token = domain.signin_link_issue(company=practice.company, email=" Ana@Example.com ")
    row = SignInLink.objects.get()
    nonce = tokens.signin_nonce(practice.company.pk, token)
    assert row.nonce_hash == tokens.hash_token(nonce) and nonce not in row.nonce_hash
    assert row.email == "ana@example.com"
    assert domain.signin_link_use(company=practice.company, token=token) == "ana@example.com"
    before = links()
    with pytest.raises(InvalidState):
        domain.signin_link_use(company=practice.company, token=token)
    assert links() == before


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_two_presses_at_once_sign_in_once(transactional_db):
    company = CompanyFactory(slug="race-signin")
    token = domain.signin_link_issue(company=company, email=EMAIL)
    barrier = threading.Barrier(4)

    def press() -> str:
        try:
            connection.ensure_connection()
            barrier.wait(timeout=60)
            domain.signin_link_use(company=company, token=token)
            return "ok"
        except InvalidState:
            return "used"
        except Exception as exc:  # a lock error would hide in a retry otherwise
            return f"!{type(exc).__name__}: {exc}"
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = sorted(pool.map(lambda _: press(), range(4)))
    assert answers == ["ok", "used", "used", "used"]
    assert SignInLink.objects.get().used_at is not None
