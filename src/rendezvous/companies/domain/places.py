"""Writes to the places of a company: its locations and its resources.

| function | writes | availability version |
| --- | --- | --- |
| location_create / location_update | the Location | signals (row save) |
| location_delete | the Location, its resources and the working hours there; refused while services, sessions or bookings use it | signals |
| resource_create / resource_update | the Resource | signals (row save) |
| resource_delete | the Resource; refused while bookings or sessions use it | signals |
"""

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from rendezvous.core.audit import field_changes, logged, update_logged
from rendezvous.core.errors import InvalidState
from rendezvous.core.zones import is_known_zone

from ..models import Company, Location, Resource
from .cleaning import (
    NAME_MAX,
    SLUG,
    SLUG_MAX,
    UNSET,
    FieldErrors,
    Maybe,
    Ref,
    clean_bool,
    clean_text,
    company_row,
    or_none,
)

ADDRESS_MAX = 2000
# The audit log's entity names (core.audit).
LOCATION, RESOURCE = "location", "resource"


# -- locations -------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class LocationFields:
    """A location's writable fields; UNSET ones are left as they are (name and time
    zone are required to create one)."""

    name: Maybe[str | None] = UNSET
    timezone: Maybe[str | None] = UNSET
    address: Maybe[str | None] = UNSET


def _clean_location(fields: LocationFields, *, creating: bool) -> dict[str, Any]:
    errors = FieldErrors()
    cleaned: dict[str, Any] = {}
    if creating or fields.name is not UNSET:
        cleaned["name"] = clean_text(errors, "name", or_none(fields.name), max_length=NAME_MAX)
    if creating or fields.timezone is not UNSET:
        zone = or_none(fields.timezone)
        if not (isinstance(zone, str) and is_known_zone(zone)):
            errors.add("timezone", _("Choose a time zone from the list."))
        else:
            cleaned["timezone"] = zone
    if fields.address is not UNSET:
        cleaned["address"] = clean_text(
            errors,
            "address",
            fields.address,
            max_length=ADDRESS_MAX,
            required=False,
            multiline=True,
        )
    errors.raise_if_any()
    return cleaned


def location_create(*, company: Company, fields: LocationFields) -> Location:
    """Add a location (a branch, with its own time zone).

    Side effects, in order:
    1. validate: name, time zone, address
    2. write: the Location
    3. after commit: the availability version bumped (signals)
    Raises ValidationFailed; nothing is written then.
    """
    cleaned = _clean_location(fields, creating=True)
    with transaction.atomic():
        location = Location.objects.create(company=company, **cleaned)
        logged(location, LOCATION, "created", field_changes({}, cleaned))
    return location


def location_update(*, location: Location, fields: LocationFields) -> Location:
    """Change the fields given of a location (a PATCH).

    Side effects, in order:
    1. validate: as location_create, only the fields given
    2. lock: the location row
    3. write: the fields given
    4. after commit: the availability version bumped (signals): its time zone places
       the working hours there
    Raises ValidationFailed; nothing is written then.
    """
    cleaned = _clean_location(fields, creating=False)
    with transaction.atomic():
        locked = Location.objects.select_for_update().get(pk=location.pk)
        update_logged(locked, LOCATION, cleaned)
    return locked


def location_delete(*, location: Location) -> None:
    """Delete a location nothing is booked or held at.

    Side effects, in order:
    1. lock: the location row
    2. re-check: no service is bound to it, no class session meets there, and none of
       its resources has a booking
    3. write: delete it, with its resources and the working hours there
    4. after commit: the availability version bumped (signals)
    Raises InvalidState; nothing is deleted then.
    """
    with transaction.atomic():
        locked = Location.objects.select_for_update().filter(pk=location.pk).first()
        if locked is None:
            return
        if (
            locked.service_set.exists()
            or locked.classsession_set.exists()
            or Resource.objects.filter(location=locked, bookings__isnull=False).exists()
        ):
            raise InvalidState(
                _(
                    "Services, class sessions or bookings use this location; move or "
                    "remove them first."
                )
            )
        logged(locked, LOCATION, "deleted", {"name": (locked.name, None)})
        locked.delete()


# -- resources -------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ResourceFields:
    """A resource's writable fields; UNSET ones are left as they are (name and kind are
    required to create one). `location`: None for a resource of every location."""

    name: Maybe[str | None] = UNSET
    kind: Maybe[str | None] = UNSET
    location: Maybe[Ref | None] = UNSET
    online_bookable: Maybe[bool | None] = UNSET
    active: Maybe[bool | None] = UNSET


def _clean_resource(company: Company, fields: ResourceFields, *, creating: bool):
    errors = FieldErrors()
    cleaned: dict[str, Any] = {}
    if creating or fields.name is not UNSET:
        cleaned["name"] = clean_text(errors, "name", or_none(fields.name), max_length=NAME_MAX)
    if creating or fields.kind is not UNSET:
        kind = or_none(fields.kind)
        if not (isinstance(kind, str) and len(kind) <= SLUG_MAX and SLUG.fullmatch(kind)):
            errors.add(
                "kind",
                _("Letters, digits, - and _ only, at most %(n)d characters.") % {"n": SLUG_MAX},
            )
        else:
            cleaned["kind"] = kind
    if fields.location is not UNSET:
        cleaned["location"] = company_row(errors, "location", Location, company, fields.location)
    for flag, on in (("online_bookable", fields.online_bookable), ("active", fields.active)):
        if on is not UNSET:
            cleaned[flag] = clean_bool(errors, flag, on)
    errors.raise_if_any()
    return cleaned


def resource_create(*, company: Company, fields: ResourceFields) -> Resource:
    """Add a resource (a room, a cabin, a device) that services of its kind need.

    Side effects, in order:
    1. validate: name, kind, flags; the location of this company
    2. write: the Resource
    3. after commit: the availability version bumped (signals)
    Raises ValidationFailed; nothing is written then.
    """
    cleaned = _clean_resource(company, fields, creating=True)
    with transaction.atomic():
        resource = Resource.objects.create(company=company, **cleaned)
        logged(resource, RESOURCE, "created", field_changes({}, cleaned))
    return resource


def resource_update(*, resource: Resource, fields: ResourceFields) -> Resource:
    """Change the fields given of a resource (a PATCH).

    Side effects, in order:
    1. validate: as resource_create, only the fields given
    2. lock: the resource row (the lock booking_create takes on a resource)
    3. write: the fields given
    4. after commit: the availability version bumped (signals)
    Raises ValidationFailed; nothing is written then.
    """
    cleaned = _clean_resource(resource.company, fields, creating=False)
    with transaction.atomic():
        locked = Resource.objects.select_for_update(of=("self",)).get(pk=resource.pk)
        update_logged(locked, RESOURCE, cleaned)
    return locked


def resource_delete(*, resource: Resource) -> None:
    """Delete a resource that never held a booking or a class session.

    Side effects, in order: lock the resource row; re-check that no booking (of any
    status) or class session uses it; delete it; after commit the availability
    version bumped (signals). Raises InvalidState: a resource in use is deactivated
    instead (`active` off), so its bookings keep their history.
    """
    with transaction.atomic():
        locked = Resource.objects.select_for_update(of=("self",)).filter(pk=resource.pk).first()
        if locked is None:
            return
        if locked.bookings.exists() or locked.classsession_set.exists():
            raise InvalidState(
                _("This resource has bookings or class sessions; deactivate it instead.")
            )
        logged(locked, RESOURCE, "deleted", {"name": (locked.name, None)})
        locked.delete()
