"""Domain errors. Each carries the machine code of docs/api.md; the API maps codes to statuses."""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code = "invalid_state"
    default_message = _("This action is not possible now.")

    def __init__(self, message=None, *, fields: dict[str, list[str]] | None = None):
        self.message = str(message or self.default_message)
        self.fields = fields
        super().__init__(self.message)


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
