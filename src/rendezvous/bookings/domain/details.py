"""Checks on what a customer types, shared by the API schemas and the booking forms."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from rendezvous.core.errors import ValidationFailed
from rendezvous.core.text import has_control_chars

NAME_MAX = 100
EMAIL_MAX = 254
PHONE_MAX = 40
NOTES_MAX = 2000


@dataclass(frozen=True)
class CustomerDetails:
    first_name: str
    last_name: str
    email: str
    phone: str = ""


def clean_details(details: CustomerDetails, *, notes: str = "") -> CustomerDetails:
    """Trimmed details, or ValidationFailed with every field's problems at once."""
    errors: dict[str, list[str]] = {}
    first, last = details.first_name.strip(), details.last_name.strip()
    email, phone = details.email.strip(), details.phone.strip()
    for field, value in (("first_name", first), ("last_name", last)):
        if not value:
            errors[field] = [_("This field is required.")]
        elif len(value) > NAME_MAX:
            errors[field] = [_("At most %(n)d characters.") % {"n": NAME_MAX}]
        elif has_control_chars(value):
            errors[field] = [_("Control characters such as line breaks are not allowed.")]
    try:
        if len(email) > EMAIL_MAX:
            raise ValidationError("too long")
        validate_email(email)
    except ValidationError:
        errors["email"] = [_("Enter a valid email address.")]
    if (
        len(phone) > PHONE_MAX
        or has_control_chars(phone)
        or (phone and not _looks_like_phone(phone))
    ):
        errors["phone"] = [_("Enter a valid phone number.")]
    if len(notes) > NOTES_MAX:
        errors["notes"] = [_("At most %(n)d characters.") % {"n": NOTES_MAX}]
    elif has_control_chars(notes, allow_newlines=True):
        errors["notes"] = [_("Control characters are not allowed.")]
    if errors:
        raise ValidationFailed(fields=errors)
    return CustomerDetails(first, last, email, phone)


def _looks_like_phone(value: str) -> bool:
    digits = sum(ch.isdigit() for ch in value)
    return digits >= 5 and all(ch.isdigit() or ch in "+-()./ " for ch in value)
