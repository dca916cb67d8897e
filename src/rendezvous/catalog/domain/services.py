"""Writes to services (class sessions, which hold bookings, are
bookings.domain.sessions').

| function | writes | refuses |
| --- | --- | --- |
| service_create / service_update | the Service and its staff | bad fields (400); switching the kind of a service that has bookings or sessions (409) |
| service_deactivate | `active` off: gone from the booking pages; bookings stay | - |
| service_delete | the Service | one with bookings or class sessions (409: deactivate it instead) |

Saves go through the model, so availability.signals bump the availability version
after commit (Service and Service.staff are watched).
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from rendezvous.companies.domain.cleaning import (
    UNSET,
    FieldErrors,
    Maybe,
    Ref,
    clean_bool,
    clean_int,
    clean_text,
    company_row,
    company_rows,
)
from rendezvous.companies.models import Company, Location, StaffMember
from rendezvous.core.audit import field_changes, logged, row_values
from rendezvous.core.errors import InvalidState

from ..models import Category, Service, ServiceKind
from .categories import POSITION_MAX
from .texts import DESCRIPTION_MAX, NAME_MAX, SERVICE_TEXTS, Translations, clean_translations

DAY_MINUTES = 24 * 60
PRICE_MAX = Decimal("99999999.99")
PER_DAY_MAX = 1000
CURRENCY = re.compile(r"[A-Z]{3}")
SLUG = re.compile(r"[-a-zA-Z0-9_]+")
# The audit log's entity name (core.audit) of services.
SERVICE = "service"


@dataclass(frozen=True, kw_only=True)
class ServiceFields:
    """A service's writable fields; UNSET ones are left as they are (name and
    duration are required to create one). None empties the fields that may be empty
    (description, currency, resource kind, the daily cap, category, location, staff,
    translations); for the others it is refused."""

    name: Maybe[str | None] = UNSET
    description: Maybe[str | None] = UNSET
    translations: Maybe[Translations | None] = UNSET
    kind: Maybe[str | None] = UNSET
    category: Maybe[Ref | None] = UNSET
    duration_minutes: Maybe[int | None] = UNSET
    buffer_before_minutes: Maybe[int | None] = UNSET
    buffer_after_minutes: Maybe[int | None] = UNSET
    price: Maybe[Decimal | None] = UNSET
    currency: Maybe[str | None] = UNSET
    online_meeting: Maybe[bool | None] = UNSET
    requires_confirmation: Maybe[bool | None] = UNSET
    requires_payment: Maybe[bool | None] = UNSET
    resource_kind: Maybe[str | None] = UNSET
    max_per_staff_per_day: Maybe[int | None] = UNSET
    staff: Maybe[Sequence[Ref] | None] = UNSET
    location: Maybe[Ref | None] = UNSET
    active: Maybe[bool | None] = UNSET
    position: Maybe[int | None] = UNSET


def _clean_service(
    company: Company, fields: ServiceFields, *, service: Service | None
) -> tuple[dict[str, Any], list[StaffMember] | None]:
    errors = FieldErrors()
    cleaned: dict[str, Any] = {}
    creating = service is None
    if creating or fields.name is not UNSET:
        name = None if fields.name is UNSET else fields.name
        cleaned["name"] = clean_text(errors, "name", name, max_length=NAME_MAX)
    if fields.description is not UNSET:
        cleaned["description"] = clean_text(
            errors,
            "description",
            fields.description,
            max_length=DESCRIPTION_MAX,
            required=False,
            multiline=True,
        )
    if fields.translations is not UNSET:
        cleaned["translations"] = clean_translations(
            errors, company, fields.translations, texts=SERVICE_TEXTS
        )
    if fields.kind is not UNSET:
        if fields.kind not in ServiceKind.values:
            errors.add("kind", _("Choose appointment or class."))
        else:
            cleaned["kind"] = fields.kind
    if creating or fields.duration_minutes is not UNSET:
        duration = None if fields.duration_minutes is UNSET else fields.duration_minutes
        cleaned["duration_minutes"] = clean_int(
            errors, "duration_minutes", duration, low=5, high=DAY_MINUTES
        )
    for name, value in (
        ("buffer_before_minutes", fields.buffer_before_minutes),
        ("buffer_after_minutes", fields.buffer_after_minutes),
    ):
        if value is not UNSET:
            cleaned[name] = clean_int(errors, name, value, low=0, high=DAY_MINUTES)
    if fields.price is not UNSET:
        cleaned["price"] = _clean_price(errors, fields.price)
    if fields.currency is not UNSET:
        currency = fields.currency or ""
        if currency and not CURRENCY.fullmatch(currency):
            errors.add("currency", _("Enter a three-letter currency code such as EUR, or nothing."))
        else:
            cleaned["currency"] = currency
    for flag, on in (
        ("online_meeting", fields.online_meeting),
        ("requires_confirmation", fields.requires_confirmation),
        ("requires_payment", fields.requires_payment),
        ("active", fields.active),
    ):
        if on is not UNSET:
            cleaned[flag] = clean_bool(errors, flag, on)
    if fields.resource_kind is not UNSET:
        kind = fields.resource_kind or ""
        if kind and not (len(kind) <= 60 and SLUG.fullmatch(kind)):
            errors.add("resource_kind", _("Letters, digits, - and _ only, at most 60 characters."))
        else:
            cleaned["resource_kind"] = kind
    if fields.max_per_staff_per_day is not UNSET:
        cleaned["max_per_staff_per_day"] = clean_int(
            errors,
            "max_per_staff_per_day",
            fields.max_per_staff_per_day,
            low=1,
            high=PER_DAY_MAX,
            nullable=True,
        )
    if fields.position is not UNSET:
        cleaned["position"] = clean_int(
            errors, "position", fields.position, low=0, high=POSITION_MAX
        )
    if fields.category is not UNSET:
        cleaned["category"] = company_row(errors, "category", Category, company, fields.category)
    if fields.location is not UNSET:
        cleaned["location"] = company_row(errors, "location", Location, company, fields.location)
    staff = None
    if fields.staff is not UNSET:
        ids = None if fields.staff is None else list(fields.staff)
        staff = company_rows(errors, "staff", StaffMember, company, ids)
    errors.raise_if_any()
    return cleaned, staff


def _clean_price(errors: FieldErrors, value: Any) -> Decimal | None:
    # Read with Decimal: the back office hands over the amount as typed ("45.50").
    try:
        price = Decimal(value) if value is not None and not isinstance(value, bool) else None
    except (InvalidOperation, TypeError, ValueError):
        price = None
    if price is None or not price.is_finite() or not 0 <= price <= PRICE_MAX:
        errors.add("price", _("Enter an amount from 0 to %(max)s.") % {"max": PRICE_MAX})
        return None
    if price != price.quantize(Decimal("0.01")):
        errors.add("price", _("At most two decimal places."))
        return None
    return price.quantize(Decimal("0.01"))


def service_create(*, company: Company, fields: ServiceFields) -> Service:
    """Add a service (an appointment type, or a class whose sessions come later).

    Side effects, in order:
    1. validate: every field given (name and duration required); category, location and staff of this company;
       translations only in the company's languages (clean_translations)
    2. write: the Service, then its staff
    3. after commit: the availability version bumped (signals)
    Raises ValidationFailed; nothing is written then.
    """
    cleaned, staff = _clean_service(company, fields, service=None)
    with transaction.atomic():
        service = Service.objects.create(company=company, **cleaned)
        if staff:
            service.staff.set(staff)
        logged(service, SERVICE, "created", field_changes({}, {**cleaned, "staff": staff or []}))
    return service


def service_update(*, service: Service, fields: ServiceFields) -> Service:
    """Change the given fields of a service (a PATCH).

    Side effects, in order:
    1. validate: as service_create, only the fields given
    2. lock: the service row
    3. re-check: the kind only changes while no booking or session uses the service
       (they were made for that kind)
    4. write: the fields given, then the staff
    5. after commit: the availability version bumped (signals)
    Raises ValidationFailed or InvalidState; nothing is written then.
    """
    cleaned, staff = _clean_service(service.company, fields, service=service)
    with transaction.atomic():
        locked = Service.objects.select_for_update(of=("self",)).get(pk=service.pk)
        kind_changes = "kind" in cleaned and cleaned["kind"] != locked.kind
        if kind_changes and (locked.sessions.exists() or locked.bookings.exists()):
            raise InvalidState(
                _("This service has bookings or class sessions; its kind cannot change.")
            )
        before = row_values(locked, cleaned)
        after = dict(cleaned)
        if staff is not None:
            before["staff"], after["staff"] = list(locked.staff.all()), staff
        for name, value in cleaned.items():
            setattr(locked, name, value)
        if cleaned:
            locked.save(update_fields=list(cleaned))
        if staff is not None:
            locked.staff.set(staff)
        changes = field_changes(before, after)
        if changes:
            logged(locked, SERVICE, "updated", changes)
    return locked


def service_deactivate(*, service: Service) -> Service:
    """Take a service off the booking pages. Its bookings and sessions stay;
    `service_update(fields=ServiceFields(active=True))` brings it back."""
    return service_update(service=service, fields=ServiceFields(active=False))


def service_delete(*, service: Service) -> None:
    """Delete a service that never had a booking or a class session.

    Side effects, in order:
    1. lock: the service row (the lock service_update takes)
    2. re-check: no booking (of any status) and no class session uses it
    3. write: delete it, with its staff links
    4. after commit: the availability version bumped (signals)
    Raises InvalidState: a service with bookings or sessions is deactivated instead,
    so they keep their history.
    """
    with transaction.atomic():
        locked = Service.objects.select_for_update(of=("self",)).filter(pk=service.pk).first()
        if locked is None:
            return
        if locked.bookings.exists() or locked.sessions.exists():
            raise InvalidState(
                _("This service has bookings or class sessions; deactivate it instead.")
            )
        logged(locked, SERVICE, "deleted", {"name": (locked.name, None)})
        locked.delete()
