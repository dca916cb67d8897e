"""The field checks every setup write shares (companies.domain, catalog.domain,
availability.domain, and the session, meeting-account and notification settings writes).

Each check adds its problem to a FieldErrors under the field's name and returns the
cleaned value, so a write checks all its fields first and raises one ValidationFailed
naming each bad field: a refused request writes nothing. An id of another company's row
is a field error like any other: it is never dropped silently, and its message does not
say whether the row exists elsewhere.

The writes take their input as a frozen, keyword-only dataclass per entity (a
`<Entity>Fields`, declared beside its functions), each field defaulting to UNSET: a
field left UNSET is not written, so a PATCH passes only what changed, and a name the
entity does not have fails at construction (TypeError). Ids of rows are Refs, as the
API spells them; the checks here look them up in the company.
"""

import re
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from rendezvous.core.errors import ValidationFailed
from rendezvous.core.fields import UNSET as UNSET
from rendezvous.core.fields import Maybe as Maybe
from rendezvous.core.fields import Ref as Ref
from rendezvous.core.fields import Unset as Unset
from rendezvous.core.fields import given as given
from rendezvous.core.fields import or_none as or_none
from rendezvous.core.text import has_control_chars

from ..models import Company, Role

NAME_MAX = 200
EMAIL_MAX = 254
SLUG_MAX = 60
USERNAME_MAX = 150
SLUG = re.compile(r"[-a-zA-Z0-9_]+")
CURRENCY = re.compile(r"[A-Z]{3}")
ID_MAX_DIGITS = 18


class FieldErrors:
    """Collects every field's problems, then raises them together."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.fields.setdefault(field, []).append(str(message))

    def __contains__(self, field: str) -> bool:
        return field in self.fields

    def raise_if_any(self) -> None:
        if self.fields:
            raise ValidationFailed(fields=self.fields)


def clean_text(
    errors: FieldErrors,
    field: str,
    value: Any,
    *,
    max_length: int,
    required: bool = True,
    multiline: bool = False,
) -> str:
    """A trimmed text: required where asked, no longer than `max_length`, and no
    control characters (line breaks only in multi-line fields: names go into email
    headers and calendar files, where a CR/LF would inject lines)."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors.add(field, _("Enter a text."))
        return ""
    value = value.strip()
    if required and not value:
        errors.add(field, _("This field is required."))
    elif len(value) > max_length:
        errors.add(field, _("At most %(n)d characters.") % {"n": max_length})
    elif has_control_chars(value, allow_newlines=multiline):
        errors.add(
            field,
            _("Control characters are not allowed.")
            if multiline
            else _("Control characters such as line breaks are not allowed."),
        )
    return value


def clean_int(
    errors: FieldErrors, field: str, value: Any, *, low: int, high: int, nullable: bool = False
) -> int | None:
    if value is None:
        if not nullable:
            errors.add(field, _("This field cannot be empty."))
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        errors.add(
            field, _("Enter a whole number from %(low)d to %(high)d.") % {"low": low, "high": high}
        )
        return None
    return value


def clean_bool(errors: FieldErrors, field: str, value: Any) -> bool:
    if not isinstance(value, bool):
        errors.add(field, _("Enter true or false."))
        return False
    return value


def clean_email(errors: FieldErrors, field: str, value: Any) -> str:
    value = clean_text(errors, field, value, max_length=EMAIL_MAX, required=False)
    if value and field not in errors:
        try:
            validate_email(value)
        except ValidationError:
            errors.add(field, _("Enter a valid email address."))
    return value


def parse_ref(value: Any) -> int | None:
    """An id as the API spells it (a string of digits), or None when it cannot be one."""
    if isinstance(value, str) and value.isdigit() and len(value) <= ID_MAX_DIGITS:
        return int(value)
    return None


def company_row(errors: FieldErrors, field: str, model, company: Company, value: Any):
    """The row of `company` named by the id `value`; None (and a field error unless
    `value` is None, which clears the field) otherwise."""
    if value is None:
        return None
    row_id = parse_ref(value)
    row = model.objects.filter(pk=row_id, company=company).first() if row_id else None
    if row is None:
        errors.add(field, _("Unknown id: %(id)s.") % {"id": str(value)[:64]})
    return row


def company_rows(errors: FieldErrors, field: str, model, company: Company, values: Any) -> list:
    """The rows of `company` named by a list of ids, each once; a field error for
    any id that is not one of them."""
    if values is None:
        values = []
    if not isinstance(values, list) or len(values) > 1000:
        errors.add(field, _("Enter a list of ids."))
        return []
    ids = {parse_ref(v): v for v in values}
    rows = {
        row.pk: row for row in model.objects.filter(pk__in=[i for i in ids if i], company=company)
    }
    unknown = [str(v)[:64] for i, v in ids.items() if i not in rows]
    if unknown:
        errors.add(field, _("Unknown id: %(id)s.") % {"id": ", ".join(unknown[:10])})
    return list(rows.values())


def clean_user(errors: FieldErrors, field: str, value: Any, *, nullable: bool = False):
    """The user named by the id `value`. Users belong to no company: any account may
    be made a member or a staff profile."""
    if value is None:
        if not nullable:
            errors.add(field, _("This field is required."))
        return None
    user_id = parse_ref(value)
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    if user is None:
        errors.add(field, _("Unknown id: %(id)s.") % {"id": str(value)[:64]})
    return user


def clean_choice(errors: FieldErrors, field: str, value: Any, choices) -> Any:
    if value not in choices.values:
        errors.add(field, _("Choose one of: %(choices)s.") % {"choices": ", ".join(choices.values)})
        return None
    return value


def junior_needs_staff(errors: FieldErrors, role: str | None, staff) -> None:
    if role == Role.JUNIOR and staff is None and "staff" not in errors:
        errors.add("staff", _("A junior employee must be tied to a staff member."))
