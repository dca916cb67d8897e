"""A company's notification settings: when reminders go out, where replies go, and
whether staff members hear of their bookings.

| function | writes | refuses (400, field errors) |
| --- | --- | --- |
| notification_settings_save | the company's NotificationSettings, made when missing | offsets that are not whole minutes between 1 and 43200, more than five of them, a reply-to that is not an email address, notify_staff not true or false |
| notification_settings_delete | the row; the defaults apply again | - |

Reminders already scheduled keep their times: the offsets apply to bookings made or
moved from then on (reminders_schedule reads them then).
"""

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from rendezvous.companies.domain import COMPANY, FieldErrors, clean_bool, clean_email
from rendezvous.companies.models import Company
from rendezvous.core.audit import field_changes, logged, row_values
from rendezvous.core.fields import UNSET, Maybe

from ..models import NotificationSettings

OFFSET_MAX = 60 * 24 * 30
OFFSETS_MAX = 5


@dataclass(frozen=True, kw_only=True)
class NotificationSettingsFields:
    """A company's notification settings; UNSET ones keep their value (or the
    default, for a company that had none). None empties the offsets (no reminders)
    and reply_to; for notify_staff it is refused."""

    reminder_offsets_minutes: Maybe[list[int] | None] = UNSET
    reply_to: Maybe[str | None] = UNSET
    notify_staff: Maybe[bool | None] = UNSET


def _clean_offsets(errors: FieldErrors, value: Any) -> list[int]:
    if value is None:
        value = []
    # The admin's JSON field hands over whatever JSON was typed, so the shape is checked.
    if not isinstance(value, list) or not all(
        isinstance(m, int) and not isinstance(m, bool) and 0 < m <= OFFSET_MAX for m in value
    ):
        errors.add(
            "reminder_offsets_minutes",
            _("A list of whole minutes between 1 and 43200, e.g. [1440, 60]."),
        )
        return []
    if len(value) > OFFSETS_MAX:
        errors.add("reminder_offsets_minutes", _("At most five reminders."))
        return []
    return sorted(set(value), reverse=True)


def notification_settings_save(
    *, company: Company, fields: NotificationSettingsFields
) -> NotificationSettings:
    """Create or change the company's notification settings: only the fields given
    (reminder_offsets_minutes, reply_to, notify_staff); the others keep their value
    (or the default, for a company that had none).

    Side effects, in order:
    1. validate: every field given (offsets sorted, latest first, each once)
    2. lock: the company's settings row, when there is one
    3. write: the NotificationSettings row
    Raises ValidationFailed; nothing is written then.
    """
    errors = FieldErrors()
    cleaned: dict[str, Any] = {}
    if fields.reminder_offsets_minutes is not UNSET:
        cleaned["reminder_offsets_minutes"] = _clean_offsets(
            errors, fields.reminder_offsets_minutes
        )
    if fields.reply_to is not UNSET:
        cleaned["reply_to"] = clean_email(errors, "reply_to", fields.reply_to)
    if fields.notify_staff is not UNSET:
        cleaned["notify_staff"] = clean_bool(errors, "notify_staff", fields.notify_staff)
    errors.raise_if_any()
    with transaction.atomic():
        row = (
            NotificationSettings.objects.select_for_update(of=("self",))
            .filter(company=company)
            .first()
        )
        if row is None:
            row = NotificationSettings(company=company)
            before = row_values(row, cleaned)
            for name, value in cleaned.items():
                setattr(row, name, value)
            row.save()
        else:
            before = row_values(row, cleaned)
            for name, value in cleaned.items():
                setattr(row, name, value)
            if cleaned:
                row.save(update_fields=list(cleaned))
        changes = field_changes(before, cleaned)
        if changes:
            logged(company, COMPANY, "notifications_changed", changes, company_id=company.pk)
    return row


def notification_settings_delete(*, settings: NotificationSettings) -> None:
    """Remove a company's settings: the defaults apply from then on (settings_for).
    Side effects: deletes the row."""
    with transaction.atomic():
        logged(settings.company, COMPANY, "notifications_reset", company_id=settings.company_id)
        settings.delete()
