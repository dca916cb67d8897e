"""Writes to staff members.

| function | writes | availability version |
| --- | --- | --- |
| staff_create | the StaffMember, its locations and the services it gives | signals (row save, its locations, Service.staff) |
| staff_update | the fields given, nothing else | signals (row save, its locations, Service.staff) |
| staff_deactivate | `active` off: no new bookings; existing ones stay | signals |
| staff_delete | the StaffMember, its hours and time off; refused while bookings, sessions or a junior's membership use it | signals |

A junior's membership or API token is tied to a staff profile (companies.domain.members,
companies.domain.tokens): staff_delete refuses to take that profile away.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from rendezvous.core.audit import field_changes, logged, row_values
from rendezvous.core.errors import InvalidState, ValidationFailed

from ..models import ApiToken, Company, Location, Membership, Role, StaffMember
from .cleaning import (
    NAME_MAX,
    UNSET,
    FieldErrors,
    Maybe,
    Ref,
    clean_bool,
    clean_email,
    clean_text,
    clean_user,
    company_rows,
    or_none,
)

# The audit log's entity name (core.audit) of staff members.
STAFF = "staff"


@dataclass(frozen=True, kw_only=True)
class StaffFields:
    """A staff member's writable fields; UNSET ones are left as they are (the name is
    required to create one). `user` is the account they sign in as (None: none);
    `locations` and `services` replace the ones they work at and give."""

    name: Maybe[str | None] = UNSET
    email: Maybe[str | None] = UNSET
    online_bookable: Maybe[bool | None] = UNSET
    active: Maybe[bool | None] = UNSET
    user: Maybe[Ref | None] = UNSET
    locations: Maybe[list[Ref] | None] = UNSET
    services: Maybe[list[Ref] | None] = UNSET


def _clean_staff(company: Company, fields: StaffFields, *, creating: bool):
    errors = FieldErrors()
    cleaned: dict[str, Any] = {}
    if creating or fields.name is not UNSET:
        cleaned["name"] = clean_text(errors, "name", or_none(fields.name), max_length=NAME_MAX)
    if fields.email is not UNSET:
        cleaned["email"] = clean_email(errors, "email", fields.email)
    for flag, on in (("online_bookable", fields.online_bookable), ("active", fields.active)):
        if on is not UNSET:
            cleaned[flag] = clean_bool(errors, flag, on)
    if fields.user is not UNSET:
        cleaned["user"] = clean_user(errors, "user", fields.user, nullable=True)
    relations: dict[str, list] = {}
    if fields.locations is not UNSET:
        relations["locations"] = company_rows(
            errors, "locations", Location, company, fields.locations
        )
    if fields.services is not UNSET:
        # The services a member gives are catalog's (Service.staff): reached through
        # that relation, as staff_delete reaches their bookings, since catalog sits above.
        services = StaffMember._meta.get_field("services").related_model
        relations["services"] = company_rows(errors, "services", services, company, fields.services)
    errors.raise_if_any()
    return cleaned, relations


def _user_has_other_profile(user, staff: StaffMember | None) -> bool:
    others = StaffMember.objects.filter(user=user)
    if staff is not None:
        others = others.exclude(pk=staff.pk)
    return user is not None and others.exists()


def _set_relations(staff: StaffMember, relations: Mapping[str, Iterable]) -> None:
    if "locations" in relations:
        staff.locations.set(relations["locations"])
    if "services" in relations:
        staff.services.set(relations["services"])


def staff_create(*, company: Company, fields: StaffFields) -> StaffMember:
    """Add a staff member.

    Side effects, in order:
    1. validate: name, email, flags, locations and services of this company, the
       user it signs in as (no other staff profile's)
    2. write: the StaffMember, its locations and services
    3. after commit: the availability version bumped (signals)
    Raises ValidationFailed; nothing is written then.
    """
    cleaned, relations = _clean_staff(company, fields, creating=True)
    with transaction.atomic():
        _check_profile_free(cleaned, staff=None)
        staff = StaffMember.objects.create(company=company, **cleaned)
        _set_relations(staff, relations)
        logged(staff, STAFF, "created", field_changes({}, {**cleaned, **relations}))
    return staff


def _check_profile_free(cleaned: Mapping[str, Any], *, staff: StaffMember | None) -> None:
    # A user signs in as one staff profile (StaffMember.user is one-to-one).
    if _user_has_other_profile(cleaned.get("user"), staff):
        raise ValidationFailed(fields={"user": [_("This user already has a staff profile.")]})


def staff_update(*, staff: StaffMember, fields: StaffFields) -> StaffMember:
    """Change the fields given of a staff member (a PATCH).

    Side effects, in order:
    1. validate: as staff_create, only the fields given
    2. lock: the staff row, so a concurrent booking's re-check sees the old or the new
       state, never half of it
    3. write: the fields given, then locations and services
    4. after commit: the availability version bumped
    Raises ValidationFailed; nothing is written then.
    """
    cleaned, relations = _clean_staff(staff.company, fields, creating=False)
    with transaction.atomic():
        locked = StaffMember.objects.select_for_update(of=("self",)).get(pk=staff.pk)
        _check_profile_free(cleaned, staff=locked)
        before = row_values(locked, cleaned)
        before.update({name: list(getattr(locked, name).all()) for name in relations})
        for name, value in cleaned.items():
            setattr(locked, name, value)
        if cleaned:
            locked.save(update_fields=list(cleaned))
        _set_relations(locked, relations)
        changes = field_changes(before, {**cleaned, **relations})
        if changes:
            logged(locked, STAFF, "updated", changes)
    return locked


def staff_deactivate(*, staff: StaffMember) -> StaffMember:
    """Take a staff member off the booking pages. Their existing bookings stay (the back
    office moves or cancels them); `staff_update(fields=StaffFields(active=True))` undoes it."""
    return staff_update(staff=staff, fields=StaffFields(active=False))


def staff_delete(*, staff: StaffMember) -> None:
    """Delete a staff member who never had a booking or a class session.

    Side effects, in order:
    1. lock: the staff row (the lock booking_create takes, so no booking slips in)
    2. re-check: no booking (of any status) or class session names them, and no junior
       membership or token sees the company through their profile
    3. write: delete the row, with their working hours, exceptions and time off
    4. after commit: the availability version bumped (signals)
    Raises InvalidState: someone with bookings is deactivated instead, so the bookings
    keep their history.
    """
    with transaction.atomic():
        locked = StaffMember.objects.select_for_update(of=("self",)).filter(pk=staff.pk).first()
        if locked is None:
            return
        if locked.bookings.exists() or locked.sessions.exists():
            raise InvalidState(
                _("This staff member has bookings or class sessions; deactivate them instead.")
            )
        juniors = Q(role=Role.JUNIOR, staff=locked)
        if Membership.objects.filter(juniors).exists() or ApiToken.objects.filter(juniors).exists():
            raise InvalidState(
                _(
                    "A junior membership or API token sees the bookings of this staff "
                    "member; change it first."
                )
            )
        logged(locked, STAFF, "deleted", {"name": (locked.name, None)})
        locked.delete()
