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
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from rendezvous.companies.domain import (
    FieldErrors,
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
from .texts import DESCRIPTION_MAX, NAME_MAX, SERVICE_TEXTS, clean_translations

DAY_MINUTES = 24 * 60
PRICE_MAX = Decimal("99999999.99")
PER_DAY_MAX = 1000
CURRENCY = re.compile(r"[A-Z]{3}")
SLUG = re.compile(r"[-a-zA-Z0-9_]+")
# The audit log's entity name (core.audit) of services.
SERVICE = "service"


def _clean_service(company: Company, values: Mapping[str, Any], *, service: Service | None):
    errors = FieldErrors()
    cleaned: dict[str, Any] = {}
    creating = service is None
    if creating or "name" in values:
        cleaned["name"] = clean_text(errors, "name", values.get("name"), max_length=NAME_MAX)
    if "description" in values:
        cleaned["description"] = clean_text(
            errors,
            "description",
            values["description"],
            max_length=DESCRIPTION_MAX,
            required=False,
            multiline=True,
        )
    if "translations" in values:
        cleaned["translations"] = clean_translations(
            errors, company, values["translations"], texts=SERVICE_TEXTS
        )
    if "kind" in values:
        if values["kind"] not in ServiceKind.values:
            errors.add("kind", _("Choose appointment or class."))
        else:
            cleaned["kind"] = values["kind"]
    if creating or "duration_minutes" in values:
        cleaned["duration_minutes"] = clean_int(
            errors, "duration_minutes", values.get("duration_minutes"), low=5, high=DAY_MINUTES
        )
    for name in ("buffer_before_minutes", "buffer_after_minutes"):
        if name in values:
            cleaned[name] = clean_int(errors, name, values[name], low=0, high=DAY_MINUTES)
    if "price" in values:
        cleaned["price"] = _clean_price(errors, values["price"])
    if "currency" in values:
        currency = values["currency"] or ""
        if currency and not (isinstance(currency, str) and CURRENCY.fullmatch(currency)):
            errors.add("currency", _("Enter a three-letter currency code such as EUR, or nothing."))
        else:
            cleaned["currency"] = currency
    for flag in ("online_meeting", "requires_confirmation", "requires_payment", "active"):
        if flag in values:
            cleaned[flag] = clean_bool(errors, flag, values[flag])
    if "resource_kind" in values:
        kind = values["resource_kind"] or ""
        if kind and not (isinstance(kind, str) and len(kind) <= 60 and SLUG.fullmatch(kind)):
            errors.add("resource_kind", _("Letters, digits, - and _ only, at most 60 characters."))
        else:
            cleaned["resource_kind"] = kind
    if "max_per_staff_per_day" in values:
        cleaned["max_per_staff_per_day"] = clean_int(
            errors,
            "max_per_staff_per_day",
            values["max_per_staff_per_day"],
            low=1,
            high=PER_DAY_MAX,
            nullable=True,
        )
    if "position" in values:
        cleaned["position"] = clean_int(
            errors, "position", values["position"], low=0, high=POSITION_MAX
        )
    if "category" in values:
        cleaned["category"] = company_row(errors, "category", Category, company, values["category"])
    if "location" in values:
        cleaned["location"] = company_row(errors, "location", Location, company, values["location"])
    staff = None
    if "staff" in values:
        staff = company_rows(errors, "staff", StaffMember, company, values["staff"])
    errors.raise_if_any()
    return cleaned, staff


def _clean_price(errors: FieldErrors, value: Any) -> Decimal | None:
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


def service_create(*, company: Company, values: Mapping[str, Any]) -> Service:
    """Add a service (an appointment type, or a class whose sessions come later).

    Side effects, in order:
    1. validate: every field given; category, location and staff of this company;
       translations only in the company's languages (clean_translations)
    2. write: the Service, then its staff
    3. after commit: the availability version bumped (signals)
    Raises ValidationFailed; nothing is written then.
    """
    cleaned, staff = _clean_service(company, values, service=None)
    with transaction.atomic():
        service = Service.objects.create(company=company, **cleaned)
        if staff:
            service.staff.set(staff)
        logged(service, SERVICE, "created", field_changes({}, {**cleaned, "staff": staff or []}))
    return service


def service_update(*, service: Service, values: Mapping[str, Any]) -> Service:
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
    cleaned, staff = _clean_service(service.company, values, service=service)
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
    `service_update(values={"active": True})` brings it back."""
    return service_update(service=service, values={"active": False})


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
