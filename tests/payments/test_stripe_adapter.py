"""The Stripe adapter against a local fake of Stripe's documented API, over real HTTP.

The adapter is never patched: STRIPE_API_BASE points at the fake, and the timeout cases
build the provider with a shorter timeout.
"""

import json
import threading
import time
from datetime import UTC, timedelta
from decimal import Decimal

import pytest

from rendezvous.payments.models import PaymentSettings
from rendezvous.payments.providers.base import (
    CHARGE_REFUNDED,
    CHECKOUT_COMPLETED,
    CHECKOUT_EXPIRED,
    PAYMENT_FAILED,
    ProviderDown,
    ProviderRefused,
    WebhookRefused,
    get_provider,
)
from rendezvous.payments.providers.stripe import Provider, clamp_expiry
from tests.conftest import NOW
from tests.fakes.stripe import SECRET_KEY, WEBHOOK_SECRET, FakeStripe, sign

BOOKING = "5f0c3a2e-8d1b-4c7e-9a6f-2b4d8e1f3a70"

pytestmark = pytest.mark.integration

COMPANY = 41


@pytest.fixture
def fake(settings):
    with FakeStripe() as stripe_fake:
        settings.STRIPE_API_BASE = stripe_fake.api_base
        yield stripe_fake


def company_settings(key=SECRET_KEY, webhook_secret=WEBHOOK_SECRET) -> PaymentSettings:
    return PaymentSettings(
        company_id=COMPANY, card=True, stripe_secret_key=key, stripe_webhook_secret=webhook_secret
    )


def provider(**kwargs) -> Provider:
    p = get_provider("stripe", company_settings(**kwargs))
    assert isinstance(p, Provider)
    return p


def checkout(p=None, **overrides):
    args = {
        "payment_id": 7,
        "booking_id": BOOKING,
        "amount": Decimal("12.50"),
        "currency": "EUR",
        "description": "Online yoga, 2 December 09:00",
        "customer_email": "ada@example.com",
        "success_url": "https://practice.example/pay/7/done?session={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://practice.example/pay/7/cancelled",
        "expires_at": NOW + timedelta(minutes=15),
        "idempotency_key": "payment-7-checkout",
    }
    return (p or provider()).create_checkout(**{**args, **overrides})


def paid(fake, **overrides):
    """A completed checkout: (session id, payment intent id)."""
    session = checkout(**overrides)
    fake.complete(session.id)
    return session.id, fake.sessions[session.id]["payment_intent"]


# -- checkout --------------------------------------------------------------------------------


@pytest.mark.usefixtures("frozen_now")
class TestCheckout:
    def test_a_session_carries_our_ids_and_the_amount_in_cents(self, fake):
        session = checkout()
        (post,) = fake.calls("POST")
        assert post.path == "/v1/checkout/sessions"
        assert post.idempotency_key == "payment-7-checkout"
        assert post.stripe_version  # the SDK pins its API version
        item = post.params["line_items"][0]
        assert item["quantity"] == "1"
        assert item["price_data"] == {
            "currency": "eur",
            "unit_amount": "1250",
            "product_data": {"name": "Online yoga, 2 December 09:00"},
        }
        ours = {"payment": "7", "booking": BOOKING, "company": str(COMPANY)}
        assert post.params["metadata"] == ours
        assert post.params["payment_intent_data"] == {"metadata": ours}
        assert post.params["client_reference_id"] == "7"
        assert post.params["mode"] == "payment"
        assert post.params["customer_email"] == "ada@example.com"
        stored = fake.sessions[session.id]
        assert (stored["amount_total"], stored["currency"], stored["status"]) == (
            1250,
            "eur",
            "open",
        )
        assert session.url == stored["url"] and session.id.startswith("cs_test_")

    def test_a_zero_decimal_currency_is_sent_in_whole_yen(self, fake):
        session = checkout(amount=Decimal("3000"), currency="JPY")
        (post,) = fake.calls("POST")
        assert post.params["line_items"][0]["price_data"]["unit_amount"] == "3000"
        assert post.params["line_items"][0]["price_data"]["currency"] == "jpy"
        assert fake.sessions[session.id]["amount_total"] == 3000

    def test_a_pass_purchase_has_no_booking_in_the_metadata(self, fake):
        checkout(booking_id=None)
        (post,) = fake.calls("POST")
        assert post.params["metadata"] == {"payment": "7", "company": str(COMPANY)}

    def test_an_amount_finer_than_the_currency_is_refused_before_any_call(self, fake):
        with pytest.raises(ValueError):
            checkout(amount=Decimal("12.505"))
        with pytest.raises(ValueError):
            checkout(amount=Decimal("100.5"), currency="JPY")
        assert fake.requests == [] and fake.sessions == {}

    def test_a_short_hold_is_clamped_to_stripes_thirty_minutes(self, fake):
        session = checkout(expires_at=NOW + timedelta(minutes=15))
        assert session.expires_at == (NOW + timedelta(minutes=31)).astimezone(UTC)
        (post,) = fake.calls("POST")
        assert int(post.params["expires_at"]) == int((NOW + timedelta(minutes=31)).timestamp())

    def test_expiry_clamps(self):
        assert clamp_expiry(NOW + timedelta(hours=2), now=NOW) == NOW + timedelta(hours=2)
        assert clamp_expiry(NOW + timedelta(days=3), now=NOW) == NOW + timedelta(
            hours=23, minutes=59
        )
        assert clamp_expiry(NOW - timedelta(hours=1), now=NOW) == NOW + timedelta(minutes=31)

    def test_a_long_hold_is_clamped_to_a_day(self, fake):
        session = checkout(expires_at=NOW + timedelta(days=3))
        assert session.expires_at == NOW + timedelta(hours=23, minutes=59)

    def test_a_double_click_sends_the_same_key_and_gets_one_session(self, fake):
        first = checkout()
        second = checkout()
        assert first == second
        assert len(fake.sessions) == 1
        assert [r.idempotency_key for r in fake.calls("POST")] == ["payment-7-checkout"] * 2

    def test_two_clicks_at_once_get_one_session(self, fake):
        # The first request is still running when the second arrives: Stripe answers 409
        # "in use", the SDK waits and retries with the same key and gets the first answer.
        fake.slow_next(1, seconds=0.4)
        answers = []
        threads = [threading.Thread(target=lambda: answers.append(checkout())) for _ in range(2)]
        threads[0].start()
        while not fake.calls("POST"):
            time.sleep(0.01)
        threads[1].start()
        for t in threads:
            t.join(10)
        assert len(answers) == 2 and answers[0] == answers[1]
        assert len(fake.sessions) == 1
        # the first, the one refused as "in use", its retry
        assert len(fake.calls("POST")) == 3

    def test_the_same_key_with_another_amount_is_refused(self, fake):
        first = checkout()
        with pytest.raises(ProviderRefused) as refused:
            checkout(amount=Decimal("20.00"))
        assert "same parameters" in refused.value.message
        assert list(fake.sessions) == [first.id]
        assert fake.sessions[first.id]["amount_total"] == 1250

    def test_a_bad_parameter_is_refused_with_stripes_message(self, fake):
        with pytest.raises(ProviderRefused) as refused:
            checkout(success_url="not a url")
        assert (refused.value.code, refused.value.status) == ("url_invalid", 400)
        assert refused.value.message == "Not a valid URL"
        assert fake.sessions == {}

    def test_too_small_an_amount_is_refused(self, fake):
        with pytest.raises(ProviderRefused) as refused:
            checkout(amount=Decimal("0.20"))
        assert refused.value.code == "amount_too_small"
        assert fake.sessions == {}

    def test_a_wrong_key_is_refused_and_the_error_does_not_carry_it(self, fake):
        key = "sk_test_someone_elses_key_0123456789"
        with pytest.raises(ProviderRefused) as refused:
            checkout(provider(key=key))
        assert refused.value.status == 401
        assert key not in str(refused.value) and key not in repr(refused.value)
        assert fake.sessions == {}

    def test_no_key_no_call(self, fake):
        with pytest.raises(ProviderRefused) as refused:
            checkout(provider(key=""))
        assert refused.value.code == "no_key"
        assert fake.requests == []

    def test_no_idempotency_key_no_call(self, fake):
        with pytest.raises(ValueError):
            checkout(idempotency_key="")
        assert fake.requests == []


# -- Stripe down ---------------------------------------------------------------------------


@pytest.mark.usefixtures("frozen_now")
class TestStripeDown:
    def test_connection_refused_is_provider_down_and_nothing_is_made(self, fake):
        fake.down()
        with pytest.raises(ProviderDown) as down:
            checkout()
        assert "stripe" in str(down.value) and "ada@example.com" not in str(down.value)
        fake.up()
        assert fake.sessions == {}
        # Back up: the same click's key makes the one session.
        session = checkout()
        assert list(fake.sessions) == [session.id]

    def test_a_5xx_is_retried_once_with_the_same_key(self, fake):
        fake.fail_next(1, 503)
        session = checkout()
        posts = fake.calls("POST")
        assert [p.idempotency_key for p in posts] == ["payment-7-checkout"] * 2
        assert list(fake.sessions) == [session.id]

    def test_5xx_twice_is_provider_down_and_nothing_is_made(self, fake):
        fake.fail_next(2, 500)
        with pytest.raises(ProviderDown):
            checkout()
        assert len(fake.calls("POST")) == 2
        assert fake.sessions == {}

    def test_rate_limited_is_provider_down(self, fake):
        fake.fail_next(2, 429)
        with pytest.raises(ProviderDown):
            checkout()
        assert fake.sessions == {}

    def test_no_answer_in_time_is_provider_down_and_nothing_is_made(self, fake):
        fake.hang_next(2, seconds=1.5)
        with pytest.raises(ProviderDown):
            checkout(Provider(company_settings(), timeout=(1.0, 0.3)))
        assert fake.sessions == {}

    def test_an_answer_lost_after_the_work_is_found_again_by_its_key(self, fake):
        # Stripe made the session but the answer came too late; the retry replays it.
        fake.late_next(1, seconds=1.0)
        session = checkout(Provider(company_settings(), timeout=(1.0, 0.3)))
        assert list(fake.sessions) == [session.id]

    def test_down_on_refund_changes_nothing(self, fake):
        _session, intent = paid(fake)
        fake.fail_next(2, 502)
        with pytest.raises(ProviderDown):
            provider().refund(
                payment_intent=intent, amount=Decimal("5"), currency="EUR", idempotency_key="r-1"
            )
        assert fake.refunds == {}
        assert fake.charges[fake.payment_intents[intent]["latest_charge"]]["amount_refunded"] == 0


# -- expire and refund ---------------------------------------------------------------------


@pytest.mark.usefixtures("frozen_now")
class TestExpireAndRefund:
    def test_expire_an_open_session(self, fake):
        session = checkout()
        assert provider().expire_checkout(session.id) == "expired"
        assert fake.sessions[session.id]["status"] == "expired"
        (post,) = fake.calls("POST", "/v1/checkout/sessions/")
        assert post.path.endswith("/expire") and post.idempotency_key == f"expire:{session.id}"

    def test_expire_twice_is_still_expired(self, fake):
        session = checkout()
        provider().expire_checkout(session.id)
        assert provider().expire_checkout(session.id) == "expired"

    def test_expire_a_session_paid_just_before_says_complete(self, fake):
        session_id, _intent = paid(fake)
        assert provider().expire_checkout(session_id) == "complete"
        assert fake.sessions[session_id]["status"] == "complete"

    def test_expire_an_unknown_session_is_refused(self, fake):
        with pytest.raises(ProviderRefused) as refused:
            provider().expire_checkout("cs_test_nothing")
        assert refused.value.code == "resource_missing"

    def test_partial_refund_then_the_rest(self, fake):
        _session, intent = paid(fake, amount=Decimal("40.00"))
        p = provider()
        first = p.refund(
            payment_intent=intent, amount=Decimal("15.50"), currency="EUR", idempotency_key="r-1"
        )
        assert (first.state, first.amount) == ("done", Decimal("15.50"))
        (post,) = fake.calls("POST", "/v1/refunds")
        assert post.params == {"payment_intent": intent, "amount": "1550"}
        assert post.idempotency_key == "r-1"
        rest = p.refund(
            payment_intent=intent, amount=Decimal("24.50"), currency="EUR", idempotency_key="r-2"
        )
        assert rest.amount == Decimal("24.50") and rest.id != first.id
        charge = fake.charges[fake.payment_intents[intent]["latest_charge"]]
        assert (charge["amount_refunded"], charge["refunded"]) == (4000, True)

    def test_a_refund_retried_with_its_key_refunds_once(self, fake):
        _session, intent = paid(fake)
        args = {"payment_intent": intent, "amount": Decimal("5"), "currency": "EUR"}
        first = provider().refund(**args, idempotency_key="r-1")
        again = provider().refund(**args, idempotency_key="r-1")
        assert first == again and len(fake.refunds) == 1

    def test_refund_in_yen(self, fake):
        _session, intent = paid(fake, amount=Decimal("3000"), currency="JPY")
        result = provider().refund(
            payment_intent=intent, amount=Decimal("1000"), currency="JPY", idempotency_key="r-1"
        )
        assert result.amount == Decimal("1000")
        (post,) = fake.calls("POST", "/v1/refunds")
        assert post.params["amount"] == "1000"

    def test_over_refund_is_refused_and_changes_nothing(self, fake):
        _session, intent = paid(fake)
        p = provider()
        p.refund(payment_intent=intent, amount=Decimal("10"), currency="EUR", idempotency_key="r-1")
        with pytest.raises(ProviderRefused) as refused:
            p.refund(
                payment_intent=intent, amount=Decimal("2.51"), currency="EUR", idempotency_key="r-2"
            )
        assert refused.value.code == "amount_too_large"
        assert "greater than unrefunded amount" in refused.value.message
        assert len(fake.refunds) == 1
        assert (
            fake.charges[fake.payment_intents[intent]["latest_charge"]]["amount_refunded"] == 1000
        )

    def test_refund_of_a_fully_refunded_charge_is_refused(self, fake):
        _session, intent = paid(fake)
        p = provider()
        p.refund(
            payment_intent=intent, amount=Decimal("12.50"), currency="EUR", idempotency_key="a"
        )
        with pytest.raises(ProviderRefused) as refused:
            p.refund(
                payment_intent=intent, amount=Decimal("1"), currency="EUR", idempotency_key="b"
            )
        assert refused.value.code == "charge_already_refunded"
        assert len(fake.refunds) == 1

    def test_refund_of_an_unpaid_intent_is_refused(self, fake):
        session = checkout()
        fake.fail_payment(session.id)
        intent = fake.sessions[session.id]["payment_intent"]
        with pytest.raises(ProviderRefused) as refused:
            provider().refund(
                payment_intent=intent, amount=Decimal("1"), currency="EUR", idempotency_key="r"
            )
        assert refused.value.code == "charge_not_refundable"
        assert fake.refunds == {}

    def test_a_zero_refund_is_refused_before_any_call(self, fake):
        with pytest.raises(ValueError):
            provider().refund(
                payment_intent="pi_x", amount=Decimal("0"), currency="EUR", idempotency_key="r"
            )
        assert fake.requests == []


# -- webhooks --------------------------------------------------------------------------------


@pytest.fixture
def now(frozen_now):
    return NOW.astimezone(UTC)


class TestWebhook:
    def test_a_completed_checkout(self, fake, now):
        session_id, intent = paid(fake)
        delivery = fake.deliveries[-1]
        event = provider().parse_webhook(delivery.payload, delivery.header, now=now)
        assert event.type == CHECKOUT_COMPLETED
        assert event.id == delivery.event["id"] and event.id.startswith("evt_")
        assert (event.checkout_id, event.payment_intent) == (session_id, intent)
        assert (event.payment_id, event.booking_id, event.company_id) == (7, BOOKING, COMPANY)
        assert (event.amount, event.currency, event.payment_status) == (
            Decimal("12.50"),
            "EUR",
            "paid",
        )
        assert event.created == now and event.refunded is None

    def test_an_expired_checkout(self, fake, now):
        session = checkout(amount=Decimal("3000"), currency="JPY")
        fake.expire(session.id)
        d = fake.deliveries[-1]
        event = provider().parse_webhook(d.payload, d.header, now=now)
        assert (event.type, event.checkout_id, event.payment_id) == (
            CHECKOUT_EXPIRED,
            session.id,
            7,
        )
        assert (event.amount, event.currency) == (Decimal("3000"), "JPY")

    def test_a_failed_payment(self, fake, now):
        session = checkout()
        fake.fail_payment(session.id, decline_code="insufficient_funds")
        d = fake.deliveries[-1]
        event = provider().parse_webhook(d.payload, d.header, now=now)
        assert event.type == PAYMENT_FAILED
        assert event.payment_intent == fake.sessions[session.id]["payment_intent"]
        assert (event.payment_id, event.booking_id, event.checkout_id) == (7, BOOKING, "")
        assert (event.failure_code, event.payment_status) == (
            "insufficient_funds",
            "requires_payment_method",
        )

    def test_a_refunded_charge(self, fake, now):
        _session, intent = paid(fake)
        provider().refund(
            payment_intent=intent, amount=Decimal("2.50"), currency="EUR", idempotency_key="r"
        )
        fake.refund_event(intent)
        d = fake.deliveries[-1]
        event = provider().parse_webhook(d.payload, d.header, now=now)
        assert (event.type, event.payment_intent, event.payment_id) == (CHARGE_REFUNDED, intent, 7)
        assert (event.amount, event.refunded) == (Decimal("12.50"), Decimal("2.50"))

    def test_a_forged_signature_is_refused(self, fake, now):
        session = checkout()
        payload, header = fake.signed_event(
            "checkout.session.completed",
            {**fake.sessions[session.id], "status": "complete", "payment_status": "paid"},
            secret="whsec_guessed",
        )
        with pytest.raises(WebhookRefused) as refused:
            provider().parse_webhook(payload, header, now=now)
        assert refused.value.reason == WebhookRefused.SIGNATURE
        assert not refused.value.authentic

    def test_a_payload_changed_after_signing_is_refused(self, fake, now):
        session_id, _intent = paid(fake)
        d = fake.deliveries[-1]
        event = json.loads(d.payload)
        event["data"]["object"]["metadata"]["booking"] = "7a1d2c3b-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
        with pytest.raises(WebhookRefused) as refused:
            provider().parse_webhook(json.dumps(event).encode(), d.header, now=now)
        assert refused.value.reason == WebhookRefused.SIGNATURE

    @pytest.mark.parametrize("header", ["", "garbage", "t=abc,v1=00", "t=1796608124", "v1=00"])
    def test_a_missing_or_malformed_header_is_refused(self, fake, now, header):
        payload, _header = fake.signed_event("checkout.session.completed", {})
        with pytest.raises(WebhookRefused) as refused:
            provider().parse_webhook(payload, header, now=now)
        assert refused.value.reason == WebhookRefused.SIGNATURE

    def test_an_event_signed_too_long_ago_is_refused(self, fake, now):
        session_id, _intent = paid(fake)
        event = fake.deliveries[-1].event
        old = int(now.timestamp()) - 301
        payload, header = fake.signed_event(event, timestamp=old)
        with pytest.raises(WebhookRefused) as refused:
            provider().parse_webhook(payload, header, now=now)
        assert refused.value.reason == WebhookRefused.STALE
        # Just inside the tolerance it is taken.
        payload, header = fake.signed_event(event, timestamp=old + 1)
        assert provider().parse_webhook(payload, header, now=now).checkout_id == session_id

    def test_an_event_signed_in_the_future_is_refused(self, fake, now):
        paid(fake)
        event = fake.deliveries[-1].event
        payload, header = fake.signed_event(event, timestamp=int(now.timestamp()) + 301)
        with pytest.raises(WebhookRefused) as refused:
            provider().parse_webhook(payload, header, now=now)
        assert refused.value.reason == WebhookRefused.FUTURE

    def test_a_captured_call_replayed_later_is_refused(self, fake, frozen_now, now):
        paid(fake)
        d = fake.deliveries[-1]
        assert provider().parse_webhook(d.payload, d.header, now=now)
        frozen_now.shift(timedelta(minutes=10))
        later = now + timedelta(minutes=10)
        # The same bytes with their old timestamp: stale.
        with pytest.raises(WebhookRefused) as refused:
            provider().parse_webhook(d.payload, d.header, now=later)
        assert refused.value.reason == WebhookRefused.STALE
        # A fresh timestamp glued to the old signature: the signature covers the time.
        v1 = d.header.split("v1=")[1]
        header = f"t={int(later.timestamp())},v1={v1}"
        with pytest.raises(WebhookRefused) as refused:
            provider().parse_webhook(d.payload, header, now=later)
        assert refused.value.reason == WebhookRefused.SIGNATURE

    def test_an_unknown_event_type_is_refused_as_authentic(self, fake, now):
        payload, header = fake.signed_event(
            "customer.created", {"id": "cus_1", "object": "customer"}
        )
        with pytest.raises(WebhookRefused) as refused:
            provider().parse_webhook(payload, header, now=now)
        assert refused.value.reason == WebhookRefused.UNKNOWN_TYPE
        assert refused.value.authentic

    def test_a_signed_event_we_cannot_read_is_malformed(self, fake, now):
        stamp = int(now.timestamp())
        for payload in (
            b"not json",
            b"[]",
            json.dumps(
                fake.event("checkout.session.completed", {"object": "charge", "id": "ch_1"})
            ).encode(),
        ):
            with pytest.raises(WebhookRefused) as refused:
                provider().parse_webhook(payload, sign(payload, WEBHOOK_SECRET, stamp), now=now)
            assert refused.value.reason == WebhookRefused.MALFORMED

    def test_without_a_webhook_secret_nothing_is_accepted(self, fake, now):
        paid(fake)
        d = fake.deliveries[-1]
        with pytest.raises(WebhookRefused) as refused:
            provider(webhook_secret="").parse_webhook(d.payload, d.header, now=now)
        assert refused.value.reason == WebhookRefused.NOT_CONFIGURED

    def test_another_companys_secret_does_not_verify(self, fake, now):
        paid(fake)
        d = fake.deliveries[-1]
        with pytest.raises(WebhookRefused) as refused:
            provider(webhook_secret="whsec_other_company").parse_webhook(
                d.payload, d.header, now=now
            )
        assert refused.value.reason == WebhookRefused.SIGNATURE
