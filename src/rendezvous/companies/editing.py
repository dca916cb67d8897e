"""Back-office writes to staff members, the API tokens' "last used" time, and the field
checks the editing modules share (catalog.editing, availability.editing).

| function | writes | availability version |
| --- | --- | --- |
| staff_create | the StaffMember, its locations and the services it gives | signals (row save, its locations, Service.staff) |
| staff_update | the fields given, nothing else | signals (row save, its locations, Service.staff) |
| staff_deactivate | `active` off: no new bookings; existing ones stay | signals |
| api_token_touch | the token's `last_used_at`, at most once a minute | none |

Every function checks all fields first and raises one ValidationFailed naming each
bad field, so a refused request writes nothing. An id of another company's row is a
field error like any other: it is never dropped silently, and its message does not
say whether the row exists elsewhere.

Inputs arrive as the API schemas typed them (ints, bools, strings, lists of id
strings); `values` holds only the fields the caller sent, so a PATCH changes exactly
those. `None` clears a field that may be empty and is an error for one that may not.
"""

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from rendezvous.core.errors import ValidationFailed
from rendezvous.core.text import has_control_chars

from .models import ApiToken, Company, Location, StaffMember

NAME_MAX = 200
EMAIL_MAX = 254
ID_MAX_DIGITS = 18
# How stale an API token's "last used" may be: a busy integration costs one write a
# minute, not one a request.
TOKEN_TOUCH_EVERY = timedelta(minutes=1)


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


def _clean_staff(company: Company, values: Mapping[str, Any], *, creating: bool):
    from rendezvous.catalog.models import Service  # noqa: PLC0415 (catalog sits above companies)

    errors = FieldErrors()
    cleaned: dict[str, Any] = {}
    if creating or "name" in values:
        cleaned["name"] = clean_text(errors, "name", values.get("name"), max_length=NAME_MAX)
    if "email" in values:
        cleaned["email"] = clean_email(errors, "email", values["email"])
    for flag in ("online_bookable", "active"):
        if flag in values:
            cleaned[flag] = clean_bool(errors, flag, values[flag])
    relations: dict[str, list] = {}
    if "locations" in values:
        relations["locations"] = company_rows(
            errors, "locations", Location, company, values["locations"]
        )
    if "services" in values:
        relations["services"] = company_rows(
            errors, "services", Service, company, values["services"]
        )
    errors.raise_if_any()
    return cleaned, relations


def _set_relations(staff: StaffMember, relations: Mapping[str, Iterable]) -> None:
    if "locations" in relations:
        staff.locations.set(relations["locations"])
    if "services" in relations:
        staff.services.set(relations["services"])


def staff_create(*, company: Company, values: Mapping[str, Any]) -> StaffMember:
    """Add a staff member.

    Side effects, in order:
    1. validate: name, email, flags, locations and services of this company
    2. write: the StaffMember, its locations and services
    3. after commit: the availability version bumped (signals)
    Raises ValidationFailed; nothing is written then.
    """
    cleaned, relations = _clean_staff(company, values, creating=True)
    with transaction.atomic():
        staff = StaffMember.objects.create(company=company, **cleaned)
        _set_relations(staff, relations)
    return staff


def staff_update(*, staff: StaffMember, values: Mapping[str, Any]) -> StaffMember:
    """Change the given fields of a staff member (a PATCH).

    Side effects, in order:
    1. validate: as staff_create, only the fields given
    2. lock: the staff row, so a concurrent booking's re-check sees the old or the new
       state, never half of it
    3. write: the fields given, then locations and services
    4. after commit: the availability version bumped
    Raises ValidationFailed; nothing is written then.
    """
    cleaned, relations = _clean_staff(staff.company, values, creating=False)
    with transaction.atomic():
        locked = StaffMember.objects.select_for_update(of=("self",)).get(pk=staff.pk)
        for name, value in cleaned.items():
            setattr(locked, name, value)
        if cleaned:
            locked.save(update_fields=list(cleaned))
        _set_relations(locked, relations)
    return locked


def staff_deactivate(*, staff: StaffMember) -> StaffMember:
    """Take a staff member off the booking pages. Their existing bookings stay (the back
    office moves or cancels them); `staff_update(values={"active": True})` undoes it."""
    return staff_update(staff=staff, values={"active": False})


def api_token_touch(*, token: ApiToken, now: datetime) -> None:
    """Record that `token` answered a request at `now`, unless it was recorded less than
    TOKEN_TOUCH_EVERY ago. The update re-checks the age, so concurrent requests of one
    token write once."""
    if token.last_used_at is not None and now - token.last_used_at < TOKEN_TOUCH_EVERY:
        return
    ApiToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - TOKEN_TOUCH_EVERY)
    ).update(last_used_at=now)
    token.last_used_at = now
