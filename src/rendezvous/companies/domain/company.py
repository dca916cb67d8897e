"""Writes to companies (the tenants).

| function | writes | availability version |
| --- | --- | --- |
| company_create / company_update | the Company | signals (row save) |
| company_delete | the Company and every row of it; refused while it has bookings | - |
"""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from rendezvous.core.audit import field_changes, logged, row_values
from rendezvous.core.errors import InvalidState, ValidationFailed
from rendezvous.core.zones import is_known_zone

from ..models import Company
from ..validators import validate_frame_ancestors
from .cleaning import (
    CURRENCY,
    NAME_MAX,
    SLUG,
    SLUG_MAX,
    UNSET,
    FieldErrors,
    Maybe,
    clean_bool,
    clean_int,
    clean_text,
    or_none,
)

FRAME_ANCESTORS_MAX = 500
YEAR_HOURS = 366 * 24
# Company settings: (low, high) of each whole number.
COMPANY_NUMBERS = {
    "join_window_minutes": (0, 24 * 60),
    "cancel_cutoff_hours": (0, YEAR_HOURS),
    "reschedule_cutoff_hours": (0, YEAR_HOURS),
    "min_notice_minutes": (0, YEAR_HOURS * 60),
    "max_days_ahead": (0, 10 * 366),
    "slot_step_minutes": (1, 24 * 60),
}
# The audit log's entity name (core.audit) of companies.
COMPANY = "company"


@dataclass(frozen=True, kw_only=True)
class CompanyFields:
    """A company's writable settings; UNSET ones are left as they are (name, slug and
    time zone are required to create one). `languages`: the default first.
    Never `availability_version`, which moves by itself."""

    name: Maybe[str | None] = UNSET
    slug: Maybe[str | None] = UNSET
    timezone: Maybe[str | None] = UNSET
    languages: Maybe[list[str] | None] = UNSET
    currency: Maybe[str | None] = UNSET
    online_meetings_enabled: Maybe[bool | None] = UNSET
    altcha_enabled: Maybe[bool | None] = UNSET
    join_window_minutes: Maybe[int | None] = UNSET
    cancel_cutoff_hours: Maybe[int | None] = UNSET
    reschedule_cutoff_hours: Maybe[int | None] = UNSET
    min_notice_minutes: Maybe[int | None] = UNSET
    max_days_ahead: Maybe[int | None] = UNSET
    slot_step_minutes: Maybe[int | None] = UNSET
    frame_ancestors: Maybe[str | None] = UNSET


def _clean_company(fields: CompanyFields, *, company: Company | None) -> dict[str, Any]:
    errors = FieldErrors()
    cleaned: dict[str, Any] = {}
    creating = company is None
    if creating or fields.name is not UNSET:
        cleaned["name"] = clean_text(errors, "name", or_none(fields.name), max_length=NAME_MAX)
    if creating or fields.slug is not UNSET:
        slug = or_none(fields.slug)
        if not (isinstance(slug, str) and len(slug) <= SLUG_MAX and SLUG.fullmatch(slug)):
            errors.add(
                "slug",
                _("Letters, digits, - and _ only, at most %(n)d characters.") % {"n": SLUG_MAX},
            )
        elif _slug_taken(slug, company):
            errors.add("slug", _("Another company has this slug."))
        else:
            cleaned["slug"] = slug
    if creating or fields.timezone is not UNSET:
        zone = or_none(fields.timezone)
        if not (isinstance(zone, str) and is_known_zone(zone)):
            errors.add("timezone", _("Choose a time zone from the list."))
        else:
            cleaned["timezone"] = zone
    if fields.languages is not UNSET:
        cleaned["languages"] = _clean_languages(errors, fields.languages)
    if fields.currency is not UNSET:
        currency = fields.currency
        if not (isinstance(currency, str) and CURRENCY.fullmatch(currency)):
            errors.add("currency", _("Enter a three-letter currency code such as EUR."))
        else:
            cleaned["currency"] = currency
    for flag, on in (
        ("online_meetings_enabled", fields.online_meetings_enabled),
        ("altcha_enabled", fields.altcha_enabled),
    ):
        if on is not UNSET:
            cleaned[flag] = clean_bool(errors, flag, on)
    for name, (low, high) in COMPANY_NUMBERS.items():
        number = getattr(fields, name)
        if number is not UNSET:
            cleaned[name] = clean_int(errors, name, number, low=low, high=high)
    if fields.frame_ancestors is not UNSET:
        value = clean_text(
            errors,
            "frame_ancestors",
            fields.frame_ancestors,
            max_length=FRAME_ANCESTORS_MAX,
            required=False,
        )
        if "frame_ancestors" not in errors:
            try:
                validate_frame_ancestors(value)
            except ValidationError as exc:
                for message in exc.messages:
                    errors.add("frame_ancestors", message)
        cleaned["frame_ancestors"] = value
    errors.raise_if_any()
    return cleaned


def _slug_taken(slug: str, company: Company | None) -> bool:
    others = Company.objects.filter(slug=slug)
    if company is not None:
        others = others.exclude(pk=company.pk)
    return others.exists()


def _clean_languages(errors: FieldErrors, value: Any) -> list[str]:
    """A list of language codes, the default first, each once."""
    known = [code for code, _name in settings.LANGUAGES]
    if not (isinstance(value, list) and value and all(v in known for v in value)):
        errors.add("languages", _("Choose one or more of: %(codes)s") % {"codes": ", ".join(known)})
        return []
    return list(dict.fromkeys(value))


def _save_company(company: Company, fields: list[str] | None) -> None:
    # The slug is checked above; the unique index settles a race between two saves.
    try:
        with transaction.atomic():
            company.save(update_fields=fields)
    except IntegrityError as exc:
        raise ValidationFailed(fields={"slug": [_("Another company has this slug.")]}) from exc


def company_create(*, fields: CompanyFields) -> Company:
    """Add a company (a tenant): name, slug and time zone, the rest as given or the
    defaults.

    Side effects, in order:
    1. validate: every field given; the slug free
    2. write: the Company
    Raises ValidationFailed; nothing is written then.
    """
    cleaned = _clean_company(fields, company=None)
    with transaction.atomic():
        company = Company(**cleaned)
        _save_company(company, None)
        logged(company, COMPANY, "created", field_changes({}, cleaned), company_id=company.pk)
    return company


def company_update(*, company: Company, fields: CompanyFields) -> Company:
    """Change the given settings of a company (a PATCH).

    Side effects, in order:
    1. validate: as company_create, only the fields given
    2. lock: the company row
    3. write: the fields given (never `availability_version`, which moves by itself)
    4. after commit: the availability version bumped (signals): notice, steps and
       the days ahead change the free times
    Raises ValidationFailed; nothing is written then.
    """
    cleaned = _clean_company(fields, company=company)
    with transaction.atomic():
        locked = Company.objects.select_for_update().get(pk=company.pk)
        changes = field_changes(row_values(locked, cleaned), cleaned)
        for name, value in cleaned.items():
            setattr(locked, name, value)
        if cleaned:
            _save_company(locked, list(cleaned))
        if changes:
            logged(locked, COMPANY, "updated", changes, company_id=locked.pk)
    return locked


def company_delete(*, company: Company) -> None:
    """Delete a company that never had a booking, with every row of it (locations,
    staff, services, customers, settings).

    Side effects, in order: lock the company row; re-check that no booking of any
    status belongs to it; delete it and its rows. Raises InvalidState: bookings are a
    record that stays.
    """
    with transaction.atomic():
        locked = Company.objects.select_for_update().filter(pk=company.pk).first()
        if locked is None:
            return
        if locked.bookings.exists():
            raise InvalidState(_("This company has bookings; it cannot be deleted."))
        logged(locked, COMPANY, "deleted", {"name": (locked.name, None)}, company_id=locked.pk)
        locked.delete()
