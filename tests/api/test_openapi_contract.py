"""The OpenAPI document tells the whole contract: every error status an operation may
answer (in the error shape), and wall times as the server takes them. Schemathesis
then holds the running server to it, through the WSGI application."""

import re

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from rendezvous.companies.models import Role
from rendezvous.wsgi import application

from .staff_support import M, assert_error, send, state, token_for

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("frozen_now")]

OPENAPI = "/api/v1/openapi.json"


def operations(doc):
    for path, methods in doc["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


def test_every_operation_documents_its_errors_in_the_error_shape(client):
    doc = client.get(OPENAPI).json()
    for name, operation in operations(doc):
        responses = operation["responses"]
        errors = {int(s) for s in responses if s.startswith("4")}
        assert 404 in errors, name  # every path names a company or a booking
        if operation.get("security"):
            assert {401, 403} <= errors, name
        if "requestBody" in operation:
            assert {400, 413} <= errors, name
        for status in errors:
            schema = responses[str(status)]["content"]["application/json"]["schema"]
            body = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
            assert body["required"] == ["error"], name
    booking = dict(operations(doc))["POST /api/v1/companies/{company}/bookings"]["responses"]
    assert {"400", "404", "409", "413", "429"} <= set(booking)
    conflict = doc["components"]["schemas"]["Error409Body"]["properties"]["code"]
    assert conflict["enum"] == ["class_full", "invalid_state", "slot_unavailable"]


def test_wall_times_are_documented_as_the_server_takes_them(client):
    schemas = client.get(OPENAPI).json()["components"]["schemas"]
    span = schemas["HoursSpan"]["properties"]["start"]
    exception = schemas["DateExceptionIn"]["properties"]["start"]["anyOf"][0]
    for prop in (span, exception):
        # JSON Schema's "time" is RFC 3339's full-time, which requires an offset the
        # server refuses.
        assert "format" not in prop
        pattern = re.compile(prop["pattern"])
        assert pattern.match("09:30") and pattern.match("00:00:00")
        assert not pattern.match("09:30:00Z") and not pattern.match("09:30+01:00")


def test_a_time_with_an_offset_or_a_number_is_400(client, practice):
    headers = token_for(practice.company, Role.ADMIN)
    url = f"{M}/staff/{practice.staff[0].id}/hours"
    before = state()
    for start in ("09:00:00+01:00", 32400, "9:00"):
        body = {"hours": [{"weekday": 0, "start": start, "end": "12:00"}]}
        assert_error(
            send(client, "put", url, body, headers), 400, "validation_error", "hours.0.start"
        )
    assert state() == before


# What the document promises: no 5xx, only documented statuses and content types,
# answers of the documented shape, and refusal of what the schema rules out. Valid-looking
# data may still be refused (a date range, an end before its start): rules a schema cannot
# carry, so "positive data acceptance" is not among them.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@pytest.fixture
def admin_headers(practice):
    return token_for(practice.company, Role.ADMIN)


@pytest.fixture
def wsgi_in_test_transaction(db):
    """Requests through the WSGI application close the database connection when they
    finish, which would end the test's transaction; Django's test client keeps it open
    the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def exercise(operation, mode: GenerationMode, headers: dict) -> None:
    """Up to MAX_EXAMPLES requests of `mode` data to one operation, each checked."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case):
        if "company" in (case.path_parameters or {}):
            # A random slug is only ever a 404; the practice reaches the handlers.
            case.path_parameters["company"] = "practice"
        # The WSGI transport hands back the body as sent; over HTTP a client that asked
        # for gzip (as this one does by default) unpacks it. Plain JSON here.
        sent = {**(headers if operation.security else {}), "Accept-Encoding": "identity"}
        case.call_and_validate(headers=sent, checks=CHECKS)

    run()


# Bounded (derandomized, no shrinking, one fixture for all operations) so the run stays
# well under a minute on one core: the point is the contract, not a fuzzing campaign.
MAX_EXAMPLES = 5


def test_the_server_keeps_its_openapi_contract(practice, admin_headers, wsgi_in_test_transaction):
    schema = schemathesis.openapi.from_wsgi(OPENAPI, application)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 30
    for operation in operations:
        modes = [GenerationMode.POSITIVE]
        if operation.body or operation.query:
            # Free-form strings in the path and headers admit no invalid value.
            modes.append(GenerationMode.NEGATIVE)
        for mode in modes:
            try:
                exercise(operation, mode, admin_headers)
            except Exception as exc:
                exc.add_note(f"{operation.label}, {mode} data")
                raise
