"""Domain errors. Each carries the machine code of docs/api.md, and STATUS maps codes
to HTTP statuses; error_response is the one JSON shape of every API error (the API's
handlers, and the site's error handlers for /api/ paths no route matched)."""

from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext_lazy as _

STATUS = {
    "validation_error": 400,
    "unauthenticated": 401,
    "forbidden": 403,
    "not_found": 404,
    "slot_unavailable": 409,
    "class_full": 409,
    "invalid_state": 409,
    "payload_too_large": 413,
    "rate_limited": 429,
}


def error_response(
    code: str, message: str, *, fields=None, status: int | None = None, headers=None
) -> HttpResponse:
    """{"error": {"code", "message", "fields"?}} with the code's status."""
    body: dict = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    response = JsonResponse({"error": body}, status=status or STATUS.get(code, 400))
    for name, value in (headers or {}).items():
        response[name] = value
    return response


class DomainError(Exception):
    code = "invalid_state"
    default_message = _("This action is not possible now.")

    def __init__(self, message=None, *, fields: dict[str, list[str]] | None = None):
        self.message = str(message or self.default_message)
        self.fields = fields
        super().__init__(self.message)

    @property
    def reason(self) -> str:
        """One sentence for a page that has no field to show it beside: the first
        field's problem where there is one, the message otherwise."""
        for problems in (self.fields or {}).values():
            if problems:
                return str(problems[0])
        return self.message


class ValidationFailed(DomainError):
    code = "validation_error"
    default_message = _("Some fields are not valid.")


class NotFound(DomainError):
    code = "not_found"
    default_message = _("Not found.")


class Forbidden(DomainError):
    code = "forbidden"
    default_message = _("You are not allowed to do this.")


class SlotUnavailable(DomainError):
    code = "slot_unavailable"
    default_message = _("This time is no longer available. Please pick another.")


class ClassFull(DomainError):
    code = "class_full"
    default_message = _("No seat is left in this class session.")


class InvalidState(DomainError):
    code = "invalid_state"
