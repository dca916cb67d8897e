"""ALTCHA proof of work on the booking form: off by default, and when a company switches
it on, a booking needs a valid, unexpired, unspent solution of our own challenge."""

import base64
import json
from datetime import timedelta

import altcha
import pytest
from django.test import Client

from rendezvous.bookings.models import Booking
from rendezvous.companies.models import Company
from rendezvous.public import proof_of_work
from rendezvous.public.selectors import encode_start
from tests.conftest import NOW, TOMORROW_10
from tests.public.test_pages import post_booking

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("frozen_now")]


@pytest.fixture(autouse=True)
def _small_counters(monkeypatch):
    """The same algorithm and cost with a smaller secret counter: fast tests."""
    monkeypatch.setattr(proof_of_work, "MIN_COUNTER", 1)
    monkeypatch.setattr(proof_of_work, "MAX_COUNTER", 50)


@pytest.fixture
def guarded(practice):
    practice.company.altcha_enabled = True
    practice.company.save(update_fields=["altcha_enabled"])
    return practice


def challenge_url(practice, lang="en") -> str:
    return f"/{lang}/{practice.company.slug}/altcha/challenge/"


def solved(client, practice) -> str:
    """What the widget posts: our challenge, solved by the library's solver."""
    response = client.get(challenge_url(practice))
    assert response.status_code == 200
    challenge = altcha.Challenge.from_dict(response.json())
    solution = altcha.solve_challenge(challenge, timeout=30)
    assert solution is not None
    return altcha.Payload(challenge, solution).to_base64()


def reencoded(payload: str, change) -> str:
    data = json.loads(base64.b64decode(payload))
    change(data)
    return base64.b64encode(json.dumps(data).encode()).decode()


LATER = TOMORROW_10 + timedelta(hours=2)


def test_switched_off_by_default_books_without_a_payload(client, practice):
    assert Company._meta.get_field("altcha_enabled").default is False
    query = {"service": practice.video.pk, "staff": "any", "start": encode_start(TOMORROW_10)}
    page = client.get(f"/en/{practice.company.slug}/book/", query)
    assert page.status_code == 200 and "altcha-widget" not in page.content.decode()
    assert client.get(challenge_url(practice)).status_code == 404
    assert post_booking(client, practice).status_code == 302
    assert Booking.objects.count() == 1


def test_details_step_shows_the_widget_and_explains_it_needs_javascript(client, guarded):
    query = {"service": guarded.video.pk, "staff": "any", "start": encode_start(TOMORROW_10)}
    page = client.get(f"/de/{guarded.company.slug}/book/", query)
    html = page.content.decode()
    assert page.status_code == 200
    assert '<altcha-widget name="altcha" auto="onfocus"' in html
    assert f'challenge="/de/{guarded.company.slug}/altcha/challenge/"' in html
    assert 'language="de"' in html and "Ich bin kein Roboter" in html
    assert "/static/vendor/altcha/pbkdf2.js" in html and "/static/public/altcha.js" in html
    assert "Das benötigt JavaScript" in html  # the help text, translated
    assert "<noscript>" in html
    # The widget's styles and worker are our own files: the strict CSP stays as it is.
    policy = page["Content-Security-Policy"]
    assert "worker-src 'self'" in policy and "blob:" not in policy
    assert "script-src 'self'" in policy and "unsafe" not in policy


def test_challenge_is_signed_expiring_json_for_the_company(client, guarded):
    response = client.get(challenge_url(guarded))
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    data = response.json()
    params = data["parameters"]
    assert params["algorithm"] == "PBKDF2/SHA-256" and params["cost"] == proof_of_work.COST
    assert params["data"] == {"company": guarded.company.pk}
    assert params["expiresAt"] == int(NOW.timestamp()) + proof_of_work.TTL_SECONDS
    assert len(data["signature"]) == 64 and "keySignature" in params


def test_missing_payload_is_refused_with_a_clear_error(client, guarded):
    response = post_booking(client, guarded, lang="da")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Spamtjekket kørte ikke" in html and "JavaScript" in html
    assert Booking.objects.count() == 0


def test_valid_solution_books_once_and_is_refused_the_second_time(client, guarded):
    payload = solved(client, guarded)
    response = post_booking(client, guarded, altcha=payload)
    assert response.status_code == 302
    assert Booking.objects.count() == 1
    # The same solution again (another free time, so only the replay can refuse it).
    again = post_booking(client, guarded, start=LATER, altcha=payload)
    assert again.status_code == 200
    assert "expired or was already used" in again.content.decode()
    # Re-encoding the spent solution does not make it new.
    respaced = base64.b64encode(
        json.dumps(json.loads(base64.b64decode(payload)), indent=1).encode()
    )
    assert post_booking(client, guarded, start=LATER, altcha=respaced.decode()).status_code == 200
    assert Booking.objects.count() == 1


def test_expired_solution_is_refused(client, guarded, frozen_now):
    payload = solved(client, guarded)
    frozen_now.shift(timedelta(seconds=proof_of_work.TTL_SECONDS + 1))
    response = post_booking(client, guarded, altcha=payload)
    assert response.status_code == 200 and "expired" in response.content.decode()
    assert Booking.objects.count() == 0


def _easier(data):
    data["challenge"]["parameters"]["cost"] = 1


def _longer(data):
    data["challenge"]["parameters"]["expiresAt"] += 3600


def _wrong_key(data):
    key = data["solution"]["derivedKey"]
    data["solution"]["derivedKey"] = ("0" if key[0] != "0" else "1") + key[1:]


def _unsigned(data):
    del data["challenge"]["signature"]


@pytest.mark.parametrize("change", [_easier, _longer, _wrong_key, _unsigned])
def test_tampered_solution_is_refused(client, guarded, change):
    payload = reencoded(solved(client, guarded), change)
    response = post_booking(client, guarded, altcha=payload)
    assert response.status_code == 200 and "already used" in response.content.decode()
    assert Booking.objects.count() == 0


@pytest.mark.parametrize("junk", ["x", "e30=", "bnVsbA==", "W10=", "!" * 5000])
def test_junk_payload_is_refused(client, guarded, junk):
    assert post_booking(client, guarded, altcha=junk).status_code == 200
    assert Booking.objects.count() == 0


def test_challenge_of_another_company_is_refused(client, guarded):
    other = Company.objects.create(slug="other", name="Other", altcha_enabled=True)
    response = client.get(f"/en/{other.slug}/altcha/challenge/")
    challenge = altcha.Challenge.from_dict(response.json())
    payload = altcha.Payload(challenge, altcha.solve_challenge(challenge)).to_base64()
    assert post_booking(client, guarded, altcha=payload).status_code == 200
    assert Booking.objects.count() == 0


def test_embed_booking_with_a_solution(guarded):
    client = Client(enforce_csrf_checks=True)
    payload = solved(client, guarded)
    data = {
        "service": guarded.video.pk,
        "staff": "any",
        "start": encode_start(TOMORROW_10),
        "tz": "Europe/Berlin",
        "first_name": "Em",
        "last_name": "Bed",
        "email": "em@example.com",
        "consent": "on",
        "altcha": payload,
    }
    response = client.post(f"/en/embed/{guarded.company.slug}/book/", data)
    assert response.status_code == 302 and Booking.objects.count() == 1


def test_challenge_endpoint_is_rate_limited(client, guarded):
    for _ in range(30):
        assert client.get(challenge_url(guarded)).status_code == 200
    response = client.get(challenge_url(guarded))
    assert response.status_code == 429 and response["Retry-After"] == "60"
