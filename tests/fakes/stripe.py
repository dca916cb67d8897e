"""A local Stripe (docs/payments.md): a real HTTP server on 127.0.0.1 speaking the
subset of Stripe's documented API that payments.providers.stripe calls, and signing
its webhook calls as Stripe does.

    with FakeStripe(webhook_url=live_server.url + "/...") as fake:
        settings.STRIPE_API_BASE = fake.api_base

Requests are form-encoded with Stripe's bracket nesting (`metadata[booking]=7`,
`line_items[0][price_data][unit_amount]=1250`); answers are JSON objects; errors are
`{"error": {"type", "message", "code"?, "param"?}}` with Stripe's statuses.

| endpoint | checks | answers |
| --- | --- | --- |
| `POST /v1/checkout/sessions` | `mode=payment`; `success_url` a URL; one or more `line_items` with `quantity` and `price_data` (`currency`, integer `unit_amount`, `product_data[name]`); the total at least the currency's minimum; `expires_at` 30 min..24 h ahead; `metadata` (50 keys of 40 chars, values of 500); `customer_email`; unknown parameters | 200 session (`open`, `unpaid`, `url`) |
| `GET /v1/checkout/sessions/{id}` | | 200 session; 404 `resource_missing` |
| `POST /v1/checkout/sessions/{id}/expire` | the session is `open` | 200 session (`expired`); 400 otherwise |
| `GET /v1/payment_intents/{id}`, `GET /v1/refunds/{id}` | | 200; 404 `resource_missing` |
| `POST /v1/refunds` | `payment_intent` (or `charge`) with a succeeded charge; `amount` (default: what is left) at most what is left | 200 refund (`succeeded`); 400 `charge_already_refunded` / `amount_too_large` / `resource_missing` |

Every request needs `Authorization: Bearer <secret key>` (401 otherwise). POSTs honour
`Idempotency-Key` as Stripe does: the same key with the same parameters answers the
first answer again (`Idempotent-Replayed: true`); with other parameters or another
endpoint, 400 `idempotency_error`; while the first is still running, 409
`idempotency_key_in_use`.

Switches (each for the next API requests): `fail_next(n, status)` (Stripe's `api_error`
with that status, nothing done), `hang_next(n, seconds)` (answers nothing until after
the client's timeout, does nothing), `late_next(n, seconds)` (does the work, answers too
late), `slow_next(n, seconds)` (takes that long to do the work: its idempotency key
is in use meanwhile), `down()` / `up()` (the port refuses connections, then listens again).

What a customer does on the hosted page, as test-side actions that change the objects
and send the event Stripe would send: `complete(session_id)`, `expire(session_id)`,
`fail_payment(session_id)`, `refund_event(payment_intent)`. Each event is POSTed to
`webhook_url` signed with `Stripe-Signature: t=<ts>,v1=<hex hmac-sha256(secret,
"<ts>.<payload>")>`; `signed_event(...)` returns such a (payload, header) without
sending it, with `timestamp=` (stale ones) or `secret=` (forgeries) to override.

`requests` records every API request (method, path, flat form, nested params, headers
of interest); `deliveries` every webhook call and its answer.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import string
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

API_VERSION = "2026-10-28.endive"
SECRET_KEY = "sk_test_fake_4eC39HqLyjWDarjtT1zdp7dc"
WEBHOOK_SECRET = "whsec_fake_0123456789abcdefghijklmnopqrstuv"
# Stripe's smallest charge per currency, in minor units (others: 50).
MINIMUM = {"usd": 50, "eur": 50, "gbp": 30, "chf": 50, "jpy": 50, "dkk": 250, "sek": 300,
           "nok": 300, "pln": 200, "ron": 200, "huf": 17500, "czk": 1500}  # fmt: skip
SESSION_PARAMS = {
    "mode", "line_items", "success_url", "cancel_url", "client_reference_id", "metadata",
    "payment_intent_data", "expires_at", "customer_email", "locale", "payment_method_types",
    "currency", "customer", "expand", "submit_type",
}  # fmt: skip
URL = re.compile(r"^https?://[^\s/]+\S*$")
_ALNUM = string.ascii_letters + string.digits


def new_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_ALNUM) for _ in range(24))


def sign(payload: bytes, secret: str, timestamp: int) -> str:
    """Stripe's `Stripe-Signature` header for `payload` signed at `timestamp`."""
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


@dataclass
class Recorded:
    method: str
    path: str
    form: dict
    params: dict
    idempotency_key: str | None
    stripe_version: str | None


@dataclass
class Delivery:
    event: dict
    payload: bytes
    header: str
    status: int | None


@dataclass
class _Switch:
    kind: str
    count: int
    options: dict = field(default_factory=dict)


class StripeError(Exception):
    def __init__(self, status: int, message: str, *, type: str = "invalid_request_error",
                 code: str | None = None, param: str | None = None):  # fmt: skip
        super().__init__(message)
        self.status = status
        error = {"type": type, "message": message}
        if code:
            error["code"] = code
        if param:
            error["param"] = param
        self.body = {"error": error}


class FakeStripe:
    def __init__(
        self,
        *,
        secret_key: str = SECRET_KEY,
        webhook_secret: str = WEBHOOK_SECRET,
        webhook_url: str | None = None,
    ):
        self.secret_key, self.webhook_secret, self.webhook_url = (
            secret_key,
            webhook_secret,
            webhook_url,
        )
        self.sessions: dict[str, dict] = {}
        self.payment_intents: dict[str, dict] = {}
        self.charges: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.requests: list[Recorded] = []
        self.deliveries: list[Delivery] = []
        self._idempotency: dict[tuple[str, str], dict] = {}
        self._switches: list[_Switch] = []
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._port = 0

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> FakeStripe:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", self._port), handler)
        self._server.daemon_threads = True
        self._port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._close()

    def _close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeStripe:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def api_base(self) -> str:
        """What STRIPE_API_BASE is set to (the SDK adds `/v1/...`)."""
        return f"http://127.0.0.1:{self._port}"

    # -- switches ------------------------------------------------------------------------

    def down(self) -> None:
        """Stop listening: connections to the port are refused until `up()`."""
        self._close()

    def up(self) -> None:
        if self._server is None:
            self.start()

    def fail_next(self, n: int = 1, status: int = 500) -> None:
        self._add(_Switch("fail", n, {"status": status}))

    def hang_next(self, n: int = 1, seconds: float = 1.0) -> None:
        self._add(_Switch("hang", n, {"seconds": seconds}))

    def late_next(self, n: int = 1, seconds: float = 1.0) -> None:
        self._add(_Switch("late", n, {"seconds": seconds}))

    def slow_next(self, n: int = 1, seconds: float = 1.0) -> None:
        self._add(_Switch("slow", n, {"seconds": seconds}))

    def recover(self) -> None:
        with self._lock:
            self._switches.clear()

    def _add(self, switch: _Switch) -> None:
        with self._lock:
            self._switches.append(switch)

    def _take(self) -> _Switch | None:
        with self._lock:
            if not self._switches:
                return None
            switch = self._switches[0]
            switch.count -= 1
            if switch.count <= 0:
                self._switches.pop(0)
            return switch

    def calls(self, method: str, prefix: str = "/v1/") -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path.startswith(prefix)]

    # -- what the customer does on Stripe's page -------------------------------------------

    def complete(self, session_id: str) -> int | None:
        """The customer paid: the session completes, an intent and its charge succeed,
        and `checkout.session.completed` is sent. Returns the webhook's HTTP status."""
        with self._lock:
            session = self._open_session(session_id)
            intent = self._intent_for(session)
            charge = {
                "id": new_id("ch_"),
                "object": "charge",
                "amount": session["amount_total"],
                "amount_captured": session["amount_total"],
                "amount_refunded": 0,
                "currency": session["currency"],
                "payment_intent": intent["id"],
                "metadata": dict(intent["metadata"]),
                "paid": True,
                "captured": True,
                "refunded": False,
                "status": "succeeded",
                "created": int(time.time()),
                "livemode": False,
            }
            self.charges[charge["id"]] = charge
            intent.update(status="succeeded", amount_received=intent["amount"],
                          latest_charge=charge["id"], last_payment_error=None)  # fmt: skip
            session.update(status="complete", payment_status="paid", payment_intent=intent["id"],
                           customer_details={"email": session["customer_email"]})  # fmt: skip
            event = self.event("checkout.session.completed", session)
        return self.deliver(event)

    def expire(self, session_id: str) -> int | None:
        """The session ran out (or was expired): `checkout.session.expired` is sent."""
        with self._lock:
            session = self._open_session(session_id)
            session.update(status="expired", url=None)
            event = self.event("checkout.session.expired", session)
        return self.deliver(event)

    def fail_payment(
        self, session_id: str, *, code: str = "card_declined", decline_code: str = "generic_decline"
    ) -> int | None:
        """A card was declined: the session stays open (the customer may try another),
        its intent fails and `payment_intent.payment_failed` is sent."""
        with self._lock:
            session = self._open_session(session_id)
            intent = self._intent_for(session)
            intent.update(
                status="requires_payment_method",
                last_payment_error={
                    "type": "card_error",
                    "code": code,
                    "decline_code": decline_code,
                    "message": "Your card was declined.",
                },
            )
            session["payment_intent"] = intent["id"]
            event = self.event("payment_intent.payment_failed", intent)
        return self.deliver(event)

    def refund_event(self, payment_intent: str) -> int | None:
        """`charge.refunded` for the intent's charge as it stands (after `POST /v1/refunds`)."""
        with self._lock:
            charge = self.charges[self.payment_intents[payment_intent]["latest_charge"]]
            event = self.event("charge.refunded", charge)
        return self.deliver(event)

    def _open_session(self, session_id: str) -> dict:
        session = self.sessions[session_id]
        if session["status"] != "open":
            raise AssertionError(f"session {session_id} is {session['status']}, not open")
        return session

    def _intent_for(self, session: dict) -> dict:
        if session.get("payment_intent"):
            return self.payment_intents[session["payment_intent"]]
        intent = {
            "id": new_id("pi_"),
            "object": "payment_intent",
            "amount": session["amount_total"],
            "amount_received": 0,
            "currency": session["currency"],
            "metadata": dict(session["_intent_metadata"]),
            "status": "requires_payment_method",
            "latest_charge": None,
            "last_payment_error": None,
            "created": int(time.time()),
            "livemode": False,
        }
        self.payment_intents[intent["id"]] = intent
        return intent

    # -- events and signatures -------------------------------------------------------------

    def event(self, type: str, obj: dict) -> dict:  # noqa: A002 - Stripe's name
        """An Event as Stripe builds it, with a snapshot of `obj`."""
        return {
            "id": new_id("evt_"),
            "object": "event",
            "api_version": API_VERSION,
            "created": int(time.time()),
            "data": {"object": _public(obj)},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": type,
        }

    def signed_event(
        self,
        event: dict | str,
        obj: dict | None = None,
        *,
        timestamp: int | None = None,
        secret: str | None = None,
    ) -> tuple[bytes, str]:
        """(payload, Stripe-Signature header) for an event, or for `event(type, obj)`."""
        if isinstance(event, str):
            event = self.event(event, obj or {})
        payload = json.dumps(event, indent=2).encode()
        when = int(time.time()) if timestamp is None else timestamp
        return payload, sign(payload, self.webhook_secret if secret is None else secret, when)

    def deliver(
        self, event: dict, *, timestamp: int | None = None, secret: str | None = None
    ) -> int | None:
        """POST the signed event to `webhook_url` as Stripe does; its HTTP status (None
        without a URL, or when nothing answered)."""
        payload, header = self.signed_event(event, timestamp=timestamp, secret=secret)
        status = None
        if self.webhook_url:
            request = urllib.request.Request(
                self.webhook_url,
                data=payload,
                method="POST",
                headers={
                    "Content-Type": "application/json; charset=utf-8",
                    "Stripe-Signature": header,
                    "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                },
            )
            try:
                with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
                    status = answer.status
            except urllib.error.HTTPError as exc:
                status = exc.code
            except OSError:
                status = None
        with self._lock:
            self.deliveries.append(Delivery(event, payload, header, status))
        return status


def _public(obj: dict) -> dict:
    """A copy without the fake's own bookkeeping (keys starting with `_`)."""
    return json.loads(json.dumps({k: v for k, v in obj.items() if not k.startswith("_")}))


def unflatten(pairs: list[tuple[str, str]]) -> dict:
    """Stripe's form nesting as dicts and lists: `a[b][0][c]=v` -> {"a": {"b": [{"c": v}]}}."""
    root: dict = {}
    for key, value in pairs:
        names = [key.split("[", 1)[0], *re.findall(r"\[([^\]]*)\]", key)]
        node = root
        for name in names[:-1]:
            node = node.setdefault(name, {})
            if not isinstance(node, dict):
                raise StripeError(400, f"Invalid parameter nesting: {key}", param=key)
        node[names[-1]] = value

    def lists(node):
        if not isinstance(node, dict):
            return node
        node = {k: lists(v) for k, v in node.items()}
        if node and all(k.isdigit() for k in node):
            return [node[k] for k in sorted(node, key=int)]
        return node

    return lists(root)


def _integer(value, param: str, *, minimum: int = 0) -> int:
    if not isinstance(value, str) or not re.fullmatch(r"-?\d+", value):
        raise StripeError(400, f"Invalid integer: {value}", code="parameter_invalid_integer",
                          param=param)  # fmt: skip
    number = int(value)
    if number < minimum:
        raise StripeError(400, f"This value must be greater than or equal to {minimum}.",
                          code="parameter_invalid_integer", param=param)  # fmt: skip
    return number


def _missing(param: str) -> StripeError:
    return StripeError(400, f"Missing required param: {param}.", code="parameter_missing",
                       param=param)  # fmt: skip


def _metadata(value, param: str) -> dict:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise StripeError(400, "Invalid object", param=param)
    if len(value) > 50:
        raise StripeError(400, "Metadata can have up to 50 keys.", param=param)
    for key, item in value.items():
        if len(key) > 40 or not isinstance(item, str) or len(item) > 500:
            raise StripeError(400, f"Invalid metadata key or value: {key}", param=f"{param}[{key}]")
    return dict(value)


class _Handler(BaseHTTPRequestHandler):
    fake: FakeStripe
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 - quiet test output
        return

    def _send(self, status: int, body: dict, headers: dict | None = None) -> None:
        data = json.dumps(body, indent=2).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Request-Id", new_id("req_"))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _handle(self) -> None:
        fake = self.fake
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode() if length else ""
        source = raw if self.command == "POST" else parts.query
        pairs = parse_qsl(source, keep_blank_values=True)
        key = self.headers.get("Idempotency-Key")
        try:
            params = unflatten(pairs)
        except StripeError as exc:
            params = {}
            error: StripeError | None = exc
        else:
            error = None
        with fake._lock:
            fake.requests.append(Recorded(self.command, parts.path, dict(pairs), params, key,
                                          self.headers.get("Stripe-Version")))  # fmt: skip
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return self._send(401, StripeError(401, "You did not provide an API key.").body)
        if auth[7:] != fake.secret_key:
            masked = f"{auth[7:15]}****{auth[-4:]}"
            return self._send(401, StripeError(401, f"Invalid API Key provided: {masked}").body)
        if error is not None:
            return self._send(error.status, error.body)
        switch = fake._take()
        if switch is not None and switch.kind == "fail":
            failure = StripeError(switch.options["status"], "An unknown error occurred.",
                                  type="api_error")  # fmt: skip
            return self._send(failure.status, failure.body)
        if switch is not None and switch.kind == "hang":
            fake._stop.wait(switch.options["seconds"])
            return self._send(503, StripeError(503, "Too late.", type="api_error").body)
        slow = switch.options["seconds"] if switch is not None and switch.kind == "slow" else 0
        if self.command == "POST" and key:
            status, body, headers = self._idempotent(key, parts.path, sorted(pairs), params, slow)
        else:
            fake._stop.wait(slow)
            status, body = self._route(parts.path, params)
            headers = {}
        if switch is not None and switch.kind == "late":
            fake._stop.wait(switch.options["seconds"])
        self._send(status, body, headers)

    do_GET = do_POST = do_DELETE = _handle

    def _idempotent(self, key: str, path: str, pairs: list, params: dict, slow: float):
        fake = self.fake
        slot = (fake.secret_key, key)
        request = (self.command, path, pairs)
        with fake._lock:
            stored = fake._idempotency.get(slot)
            if stored is None:
                fake._idempotency[slot] = stored = {"request": request, "answer": None}
                first = True
            else:
                first = False
        if not first:
            if stored["request"] != request:
                error = StripeError(
                    400,
                    "Keys for idempotent requests can only be used with the same parameters "
                    "they were first used with. Try using a key other than "
                    f"'{key}' if you meant to execute a different request.",
                    type="idempotency_error",
                )
                return error.status, error.body, {}
            if stored["answer"] is None:
                error = StripeError(
                    409,
                    "There is currently another in-progress request using this Idempotent Key "
                    "(that probably means you submitted twice, and the other request is still "
                    "going through). Please retry this request later.",
                    code="idempotency_key_in_use",
                )
                return error.status, error.body, {}
            status, body = stored["answer"]
            return status, body, {"Idempotent-Replayed": "true", "Original-Request": "req_x"}
        fake._stop.wait(slow)  # the key stays in use meanwhile
        status, body = self._route(path, params)
        with fake._lock:
            stored["answer"] = (status, body)
        return status, body, {}

    def _route(self, path: str, params: dict) -> tuple[int, dict]:
        try:
            return 200, self._dispatch(path, params)
        except StripeError as exc:
            return exc.status, exc.body

    def _dispatch(self, path: str, params: dict) -> dict:
        fake = self.fake
        segments = path.strip("/").split("/")
        method = self.command
        if segments[:3] == ["v1", "checkout", "sessions"]:
            if len(segments) == 3 and method == "POST":
                return self._create_session(params)
            if len(segments) in (4, 5):
                with fake._lock:
                    session = fake.sessions.get(segments[3])
                if session is None:
                    raise StripeError(404, f"No such checkout.session: '{segments[3]}'",
                                      code="resource_missing", param="session")  # fmt: skip
                if len(segments) == 4 and method == "GET":
                    return _public(session)
                if segments[4:] == ["expire"] and method == "POST":
                    with fake._lock:
                        if session["status"] != "open":
                            raise StripeError(
                                400,
                                'Only Checkout Sessions with a status in ["open"] can be '
                                f"expired. This Checkout Session has a status of "
                                f'"{session["status"]}".',
                            )
                        session.update(status="expired", url=None)
                        return _public(session)
        if segments[:2] == ["v1", "refunds"]:
            if len(segments) == 2 and method == "POST":
                return self._create_refund(params)
            if len(segments) == 3 and method == "GET":
                return self._get(fake.refunds, "refund", segments[2])
        if segments[:2] == ["v1", "payment_intents"] and len(segments) == 3 and method == "GET":
            return self._get(fake.payment_intents, "payment_intent", segments[2])
        raise StripeError(404, f"Unrecognized request URL ({method}: {path}).")

    def _get(self, objects: dict, name: str, object_id: str) -> dict:
        with self.fake._lock:
            found = objects.get(object_id)
        if found is None:
            raise StripeError(404, f"No such {name}: '{object_id}'", code="resource_missing",
                              param="id")  # fmt: skip
        return _public(found)

    def _create_session(self, params: dict) -> dict:
        fake = self.fake
        for name in params:
            if name not in SESSION_PARAMS:
                raise StripeError(400, f"Received unknown parameter: {name}",
                                  code="parameter_unknown", param=name)  # fmt: skip
        mode = params.get("mode")
        if not mode:
            raise _missing("mode")
        if mode != "payment":
            raise StripeError(400, f"Invalid mode: {mode} (this fake speaks `payment`).",
                              param="mode")  # fmt: skip
        for name in ("success_url", "cancel_url"):
            value = params.get(name)
            if value is None and name == "success_url":
                raise _missing(name)
            if value is not None and not URL.match(value):
                raise StripeError(400, "Not a valid URL", code="url_invalid", param=name)
        items = params.get("line_items")
        if not items:
            raise _missing("line_items")
        if not isinstance(items, list):
            raise StripeError(400, "Invalid array", param="line_items")
        total, currency = 0, None
        for i, item in enumerate(items):
            where = f"line_items[{i}]"
            if not isinstance(item, dict):
                raise StripeError(400, "Invalid object", param=where)
            quantity = _integer(item.get("quantity"), f"{where}[quantity]", minimum=1)
            price = item.get("price_data")
            if not isinstance(price, dict):
                raise _missing(f"{where}[price_data]")
            item_currency = price.get("currency")
            if not item_currency:
                raise _missing(f"{where}[price_data][currency]")
            if not re.fullmatch(r"[a-zA-Z]{3}", item_currency):
                raise StripeError(400, f"Invalid currency: {item_currency}",
                                  param=f"{where}[price_data][currency]")  # fmt: skip
            if currency not in (None, item_currency.lower()):
                raise StripeError(400, "All line items must have the same currency.",
                                  param=f"{where}[price_data][currency]")  # fmt: skip
            currency = item_currency.lower()
            if "unit_amount" not in price:
                raise _missing(f"{where}[price_data][unit_amount]")
            unit = _integer(price["unit_amount"], f"{where}[price_data][unit_amount]")
            product = price.get("product_data")
            if not isinstance(product, dict) or not product.get("name"):
                raise _missing(f"{where}[price_data][product_data][name]")
            total += unit * quantity
        if total < MINIMUM.get(currency, 50):
            raise StripeError(
                400,
                "The Checkout Session's total amount due must add up to at least "
                f"{MINIMUM.get(currency, 50)} {currency} (in its smallest unit).",
                code="amount_too_small",
            )
        now = int(time.time())
        expires_at = now + 24 * 3600
        if "expires_at" in params:
            expires_at = _integer(params["expires_at"], "expires_at")
            if not now + 30 * 60 <= expires_at <= now + 24 * 3600:
                raise StripeError(
                    400,
                    "The `expires_at` timestamp must be between 30 minutes and 24 hours from "
                    "Checkout Session creation.",
                    param="expires_at",
                )
        email = params.get("customer_email")
        if email is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
            raise StripeError(400, f"Invalid email address: {email}", code="email_invalid",
                              param="customer_email")  # fmt: skip
        reference = params.get("client_reference_id")
        if reference is not None and not 1 <= len(reference) <= 200:
            raise StripeError(400, "client_reference_id must be 1 to 200 characters.",
                              param="client_reference_id")  # fmt: skip
        metadata = _metadata(params.get("metadata"), "metadata")
        intent_data = params.get("payment_intent_data") or {}
        if not isinstance(intent_data, dict):
            raise StripeError(400, "Invalid object", param="payment_intent_data")
        intent_metadata = _metadata(intent_data.get("metadata"), "payment_intent_data[metadata]")
        session_id = new_id("cs_test_")
        session = {
            "id": session_id,
            "object": "checkout.session",
            "amount_subtotal": total,
            "amount_total": total,
            "cancel_url": params.get("cancel_url"),
            "client_reference_id": reference,
            "created": now,
            "currency": currency,
            "customer_details": None,
            "customer_email": email,
            "expires_at": expires_at,
            "livemode": False,
            "locale": params.get("locale"),
            "metadata": metadata,
            "mode": "payment",
            "payment_intent": None,
            "payment_status": "unpaid",
            "status": "open",
            "success_url": params.get("success_url"),
            "url": f"{fake.api_base}/c/pay/{session_id}",
            "_intent_metadata": intent_metadata,
            "_line_items": items,
        }
        with fake._lock:
            fake.sessions[session_id] = session
        return _public(session)

    def _create_refund(self, params: dict) -> dict:
        fake = self.fake
        with fake._lock:
            if params.get("payment_intent"):
                intent = fake.payment_intents.get(params["payment_intent"])
                if intent is None:
                    raise StripeError(400, f"No such payment_intent: '{params['payment_intent']}'",
                                      code="resource_missing", param="payment_intent")  # fmt: skip
                charge = fake.charges.get(intent.get("latest_charge") or "")
                if charge is None or intent["status"] != "succeeded":
                    raise StripeError(
                        400,
                        f"This PaymentIntent ({intent['id']}) does not have a successful charge "
                        "to refund.",
                        code="charge_not_refundable",
                        param="payment_intent",
                    )
            elif params.get("charge"):
                charge = fake.charges.get(params["charge"])
                if charge is None:
                    raise StripeError(400, f"No such charge: '{params['charge']}'",
                                      code="resource_missing", param="charge")  # fmt: skip
            else:
                raise StripeError(400, "One of the following params should be provided for "
                                  "this request: payment_intent or charge.")  # fmt: skip
            left = charge["amount"] - charge["amount_refunded"]
            if left <= 0:
                raise StripeError(400, f"Charge {charge['id']} has already been refunded.",
                                  code="charge_already_refunded")  # fmt: skip
            amount = left
            if "amount" in params:
                amount = _integer(params["amount"], "amount", minimum=1)
            if amount > left:
                raise StripeError(
                    400,
                    f"Refund amount ({amount} {charge['currency']}) is greater than unrefunded "
                    f"amount on charge ({left} {charge['currency']})",
                    code="amount_too_large",
                    param="amount",
                )
            charge["amount_refunded"] += amount
            charge["refunded"] = charge["amount_refunded"] == charge["amount"]
            refund = {
                "id": new_id("re_"),
                "object": "refund",
                "amount": amount,
                "charge": charge["id"],
                "currency": charge["currency"],
                "created": int(time.time()),
                "metadata": _metadata(params.get("metadata"), "metadata"),
                "payment_intent": charge["payment_intent"],
                "reason": params.get("reason"),
                "status": "succeeded",
            }
            fake.refunds[refund["id"]] = refund
        return _public(refund)
