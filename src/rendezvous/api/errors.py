"""Every 4xx/5xx answer of the API has one shape (docs/api.md):
{"error": {"code", "message", "fields"?}}."""

import logging
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from pydantic import Field, JsonValue, create_model

from rendezvous.core.errors import STATUS, DomainError, error_response

logger = logging.getLogger(__name__)


def _error_schema(status: int) -> type[Schema]:
    """The error shape with `code` narrowed to the codes of `status`, so the OpenAPI
    document tells clients (and schemathesis) which codes each status carries."""
    codes = sorted(code for code, code_status in STATUS.items() if code_status == status)
    enum: list[JsonValue] = [*codes]
    body = create_model(
        f"Error{status}Body",
        __base__=Schema,
        code=(str, Field(json_schema_extra={"enum": enum})),
        message=(str, ...),
        fields=(
            dict[str, list[str]] | None,
            Field(default=None, description="validation errors only"),
        ),
    )
    return create_model(
        f"Error{status}",
        __base__=Schema,
        __doc__=" or ".join(f"`{code}`" for code in codes),
        error=(body, ...),
    )


ERROR_SCHEMAS: dict[int, type[Schema]] = {
    status: _error_schema(status) for status in sorted(set(STATUS.values()))
}


def answers(success: Any, *statuses: int) -> dict[int, Any]:
    """An operation's `response=`: its success answer (a schema, or a {status: schema}
    map) and every error status it may give, each with its error schema. A status of
    no code in STATUS fails here, at import, rather than in a client."""
    result = dict(success) if isinstance(success, dict) else {200: success}
    for status in statuses:
        result[status] = ERROR_SCHEMAS[status]
    return result


# The error statuses shared by operations of one kind; each operation adds its own.
STAFF_ERRORS = (400, 401, 403, 404)
STAFF_WRITE_ERRORS = (*STAFF_ERRORS, 413)


class RateLimited(Exception):
    def __init__(self, retry_after: int):
        self.retry_after = retry_after


def _field_name(loc: tuple) -> str:
    # ("body", "payload", "customer", "email") -> "customer.email"; query params keep their name.
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "payload")]
    return ".".join(parts) or "body"


def install(api) -> None:
    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError):
        return error_response(exc.code, exc.message, fields=exc.fields)

    @api.exception_handler(NinjaValidationError)
    def validation_error(request: HttpRequest, exc: NinjaValidationError):
        fields: dict[str, list[str]] = {}
        for err in exc.errors:
            fields.setdefault(_field_name(tuple(err.get("loc", ()))), []).append(
                err.get("msg", "invalid")
            )
        return error_response("validation_error", _("Some fields are not valid."), fields=fields)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc):
        return error_response("unauthenticated", _("A valid API token is required."))

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc):
        return error_response("not_found", _("Not found."))

    @api.exception_handler(RequestDataTooBig)
    def too_big(request: HttpRequest, exc: RequestDataTooBig):
        # DATA_UPLOAD_MAX_MEMORY_SIZE guards the JSON bodies; Django would answer 400 HTML.
        return error_response("payload_too_large", _("The request body is too large."))

    @api.exception_handler(RateLimited)
    def rate_limited(request: HttpRequest, exc: RateLimited):
        return error_response(
            "rate_limited",
            _("Too many requests. Please wait a moment."),
            headers={"Retry-After": str(exc.retry_after)},
        )

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError):
        if exc.status_code == 400:
            return error_response(
                "validation_error",
                _("The request body is not valid JSON."),
                fields={"body": [str(exc)]},
            )
        return error_response("error", str(exc), status=exc.status_code)

    @api.exception_handler(Exception)
    def server_error(request: HttpRequest, exc: Exception):
        logger.exception("API error on %s %s", request.method, request.path)
        return error_response("server_error", _("Something went wrong on our side."), status=500)
