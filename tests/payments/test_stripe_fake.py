"""The fake Stripe itself: it signs webhook calls so that the real SDK verifies them, it
delivers them over HTTP, and it answers like Stripe where the adapter does not go."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
import stripe

from tests.fakes.stripe import SECRET_KEY, WEBHOOK_SECRET, FakeStripe, unflatten

pytestmark = pytest.mark.integration


class Receiver:
    """A webhook endpoint that records what reaches it and answers `status`."""

    def __init__(self, status=200):
        self.status = status
        self.calls: list[tuple[dict, bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format, *args):  # noqa: A002
                return

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.calls.append((dict(self.headers), body))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/stripe"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def fake(receiver):
    with FakeStripe(webhook_url=receiver.url) as f:
        yield f


def api(fake, method, path, data=None, key=SECRET_KEY, **headers):
    return httpx.request(
        method,
        fake.api_base + path,
        data=data,
        headers={"Authorization": f"Bearer {key}", **headers},
    )


SESSION = {
    "mode": "payment",
    "success_url": "https://practice.example/done",
    "line_items[0][quantity]": "1",
    "line_items[0][price_data][currency]": "eur",
    "line_items[0][price_data][unit_amount]": "1250",
    "line_items[0][price_data][product_data][name]": "Yoga",
    "metadata[payment]": "7",
    "payment_intent_data[metadata][payment]": "7",
}


def test_a_delivered_event_verifies_with_the_sdk(fake, receiver):
    session = api(fake, "POST", "/v1/checkout/sessions", SESSION).json()
    assert fake.complete(session["id"]) == 200
    ((headers, body),) = receiver.calls
    assert headers["Content-Type"].startswith("application/json")
    event = stripe.Webhook.construct_event(body, headers["Stripe-Signature"], WEBHOOK_SECRET)
    assert event["type"] == "checkout.session.completed"
    assert event["data"]["object"]["id"] == session["id"]
    assert event["data"]["object"]["metadata"].to_dict() == {"payment": "7"}
    assert "_intent_metadata" not in json.loads(body)["data"]["object"]
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, headers["Stripe-Signature"], "whsec_other")
    assert fake.deliveries[-1].status == 200


def test_the_endpoints_answer_is_recorded(fake, receiver):
    receiver.status = 400
    session = api(fake, "POST", "/v1/checkout/sessions", SESSION).json()
    assert fake.expire(session["id"]) == 400
    assert fake.deliveries[-1].event["type"] == "checkout.session.expired"


def test_without_a_key_or_with_a_wrong_one_401(fake):
    assert httpx.get(fake.api_base + "/v1/checkout/sessions/cs_1").status_code == 401
    answer = api(fake, "GET", "/v1/checkout/sessions/cs_1", key="sk_test_wrong_000000000000")
    assert answer.status_code == 401
    assert answer.json()["error"]["type"] == "invalid_request_error"
    assert "sk_test_wrong_000000000000" not in answer.text


def test_missing_and_unknown_parameters_are_refused(fake):
    answer = api(fake, "POST", "/v1/checkout/sessions", {**SESSION, "line_items[0][quantity]": ""})
    assert answer.status_code == 400
    assert answer.json()["error"]["param"] == "line_items[0][quantity]"
    answer = api(fake, "POST", "/v1/checkout/sessions", {**SESSION, "amount": "1250"})
    assert answer.json()["error"] == {
        "type": "invalid_request_error",
        "message": "Received unknown parameter: amount",
        "code": "parameter_unknown",
        "param": "amount",
    }
    data = {k: v for k, v in SESSION.items() if "product_data" not in k}
    answer = api(fake, "POST", "/v1/checkout/sessions", data)
    assert answer.json()["error"]["code"] == "parameter_missing"
    assert fake.sessions == {}


def test_idempotency_replays_and_refuses_other_parameters(fake):
    first = api(fake, "POST", "/v1/checkout/sessions", SESSION, **{"Idempotency-Key": "k"})
    again = api(fake, "POST", "/v1/checkout/sessions", SESSION, **{"Idempotency-Key": "k"})
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    other = {**SESSION, "line_items[0][price_data][unit_amount]": "999"}
    refused = api(fake, "POST", "/v1/checkout/sessions", other, **{"Idempotency-Key": "k"})
    assert refused.status_code == 400
    assert refused.json()["error"]["type"] == "idempotency_error"
    assert len(fake.sessions) == 1


def test_an_unknown_url_is_a_stripe_404(fake):
    answer = api(fake, "GET", "/v1/customers")
    assert (
        answer.status_code == 404
        and "Unrecognized request URL" in answer.json()["error"]["message"]
    )


@pytest.mark.unit
def test_unflatten_reads_stripes_nesting():
    pairs = [
        ("line_items[1][quantity]", "2"),
        ("line_items[0][price_data][unit_amount]", "1250"),
        ("metadata[booking]", "12"),
        ("mode", "payment"),
    ]
    assert unflatten(pairs) == {
        "line_items": [{"price_data": {"unit_amount": "1250"}}, {"quantity": "2"}],
        "metadata": {"booking": "12"},
        "mode": "payment",
    }
