"""Writes to companies, locations, resources, staff members, memberships and API
tokens, and the field checks the editing modules share (catalog.editing,
availability.editing). The staff API and the Django admin both write through here.

| function | writes | availability version |
| --- | --- | --- |
| company_create / company_update | the Company | signals (row save) |
| company_setup | a Company, its first admin: a new User with a password and an admin Membership | signals (row save) |
| company_delete | the Company and every row of it; refused while it has bookings | - |
| location_create / location_update | the Location | signals (row save) |
| location_delete | the Location, its resources and the working hours there; refused while services, sessions or bookings use it | signals |
| resource_create / resource_update | the Resource | signals (row save) |
| resource_delete | the Resource; refused while bookings or sessions use it | signals |
| staff_create | the StaffMember, its locations and the services it gives | signals (row save, its locations, Service.staff) |
| staff_update | the fields given, nothing else | signals (row save, its locations, Service.staff) |
| staff_deactivate | `active` off: no new bookings; existing ones stay | signals |
| staff_delete | the StaffMember, its hours and time off; refused while bookings, sessions or a junior's membership use it | signals |
| membership_create / membership_update / membership_delete | the Membership | none |
| member_invite | a User (without a usable password) when the email is new, and its Membership | none |
| api_token_issue / api_token_update / api_token_revoke / api_token_delete | the ApiToken | none |
| api_token_touch | the token's `last_used_at`, at most once a minute | none |

A junior (a membership or an API token with the junior role) sees only the bookings
of one staff profile (companies.access), so it is always tied to a staff member of
its own company: the functions refuse a junior without one, and staff_delete refuses
to take the profile away.

Every function checks all fields first and raises one ValidationFailed naming each
bad field, so a refused request writes nothing. An id of another company's row is a
field error like any other: it is never dropped silently, and its message does not
say whether the row exists elsewhere.

Inputs arrive as the API schemas typed them (ints, bools, strings, lists of id
strings); `values` holds only the fields the caller sent, so a PATCH changes exactly
those. `None` clears a field that may be empty and is an error for one that may not.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from rendezvous.core.audit import field_changes, logged, row_values
from rendezvous.core.errors import InvalidState, ValidationFailed
from rendezvous.core.text import has_control_chars
from rendezvous.core.zones import is_known_zone

from .models import ApiToken, Company, Location, Membership, Resource, Role, StaffMember
from .validators import validate_frame_ancestors

NAME_MAX = 200
TOKEN_NAME_MAX = 100
EMAIL_MAX = 254
ADDRESS_MAX = 2000
SLUG_MAX = 60
FRAME_ANCESTORS_MAX = 500
SLUG = re.compile(r"[-a-zA-Z0-9_]+")
CURRENCY = re.compile(r"[A-Z]{3}")
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
ID_MAX_DIGITS = 18
# The audit log's entity names (core.audit) of the rows written here.
COMPANY, LOCATION, RESOURCE, STAFF = "company", "location", "resource", "staff"
MEMBERSHIP, API_TOKEN = "membership", "api_token"
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
    errors = FieldErrors()
    cleaned: dict[str, Any] = {}
    if creating or "name" in values:
        cleaned["name"] = clean_text(errors, "name", values.get("name"), max_length=NAME_MAX)
    if "email" in values:
        cleaned["email"] = clean_email(errors, "email", values["email"])
    for flag in ("online_bookable", "active"):
        if flag in values:
            cleaned[flag] = clean_bool(errors, flag, values[flag])
    if "user" in values:
        cleaned["user"] = clean_user(errors, "user", values["user"], nullable=True)
    relations: dict[str, list] = {}
    if "locations" in values:
        relations["locations"] = company_rows(
            errors, "locations", Location, company, values["locations"]
        )
    if "services" in values:
        # The services a member gives are catalog's (Service.staff): reached through
        # that relation, as staff_delete reaches their bookings, since catalog sits above.
        services = StaffMember._meta.get_field("services").related_model
        relations["services"] = company_rows(
            errors, "services", services, company, values["services"]
        )
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


def staff_create(*, company: Company, values: Mapping[str, Any]) -> StaffMember:
    """Add a staff member.

    Side effects, in order:
    1. validate: name, email, flags, locations and services of this company, the
       user it signs in as (no other staff profile's)
    2. write: the StaffMember, its locations and services
    3. after commit: the availability version bumped (signals)
    Raises ValidationFailed; nothing is written then.
    """
    cleaned, relations = _clean_staff(company, values, creating=True)
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
    office moves or cancels them); `staff_update(values={"active": True})` undoes it."""
    return staff_update(staff=staff, values={"active": False})


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


# -- users -----------------------------------------------------------------------------


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


def _clean_choice(errors: FieldErrors, field: str, value: Any, choices) -> Any:
    if value not in choices.values:
        errors.add(field, _("Choose one of: %(choices)s.") % {"choices": ", ".join(choices.values)})
        return None
    return value


def _junior_needs_staff(errors: FieldErrors, role: str | None, staff) -> None:
    if role == Role.JUNIOR and staff is None and "staff" not in errors:
        errors.add("staff", _("A junior employee must be tied to a staff member."))


# -- companies -------------------------------------------------------------------------


def _clean_company(values: Mapping[str, Any], *, company: Company | None) -> dict[str, Any]:
    errors = FieldErrors()
    cleaned: dict[str, Any] = {}
    creating = company is None
    if creating or "name" in values:
        cleaned["name"] = clean_text(errors, "name", values.get("name"), max_length=NAME_MAX)
    if creating or "slug" in values:
        slug = values.get("slug")
        if not (isinstance(slug, str) and len(slug) <= SLUG_MAX and SLUG.fullmatch(slug)):
            errors.add(
                "slug",
                _("Letters, digits, - and _ only, at most %(n)d characters.") % {"n": SLUG_MAX},
            )
        elif _slug_taken(slug, company):
            errors.add("slug", _("Another company has this slug."))
        else:
            cleaned["slug"] = slug
    if creating or "timezone" in values:
        zone = values.get("timezone")
        if not (isinstance(zone, str) and is_known_zone(zone)):
            errors.add("timezone", _("Choose a time zone from the list."))
        else:
            cleaned["timezone"] = zone
    if "languages" in values:
        cleaned["languages"] = _clean_languages(errors, values["languages"])
    if "currency" in values:
        currency = values["currency"]
        if not (isinstance(currency, str) and CURRENCY.fullmatch(currency)):
            errors.add("currency", _("Enter a three-letter currency code such as EUR."))
        else:
            cleaned["currency"] = currency
    for flag in ("online_meetings_enabled", "altcha_enabled"):
        if flag in values:
            cleaned[flag] = clean_bool(errors, flag, values[flag])
    for name, (low, high) in COMPANY_NUMBERS.items():
        if name in values:
            cleaned[name] = clean_int(errors, name, values[name], low=low, high=high)
    if "frame_ancestors" in values:
        value = clean_text(
            errors,
            "frame_ancestors",
            values["frame_ancestors"],
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


def company_create(*, values: Mapping[str, Any]) -> Company:
    """Add a company (a tenant): name, slug and time zone, the rest as given or the
    defaults.

    Side effects, in order:
    1. validate: every field given; the slug free
    2. write: the Company
    Raises ValidationFailed; nothing is written then.
    """
    cleaned = _clean_company(values, company=None)
    with transaction.atomic():
        company = Company(**cleaned)
        _save_company(company, None)
        logged(company, COMPANY, "created", field_changes({}, cleaned), company_id=company.pk)
    return company


def company_update(*, company: Company, values: Mapping[str, Any]) -> Company:
    """Change the given settings of a company (a PATCH).

    Side effects, in order:
    1. validate: as company_create, only the fields given
    2. lock: the company row
    3. write: the fields given (never `availability_version`, which moves by itself)
    4. after commit: the availability version bumped (signals): notice, steps and
       the days ahead change the free times
    Raises ValidationFailed; nothing is written then.
    """
    cleaned = _clean_company(values, company=company)
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


# -- setting a company up --------------------------------------------------------------


@dataclass(frozen=True)
class SetUp:
    company: Company
    user: Any
    membership: Membership


def is_first_run() -> bool:
    """A fresh installation: no company and no user yet, so nobody could sign in to
    set one up (the back office offers its setup page then)."""
    return not Company.objects.exists() and not get_user_model().objects.exists()


def _account_taken(name: str) -> bool:
    # People sign in with their username or their email (allauth, case-insensitive):
    # a new name must be neither of any other account's.
    users = get_user_model().objects
    return users.filter(Q(username__iexact=name) | Q(email__iexact=name)).exists()


def _clean_admin(errors: FieldErrors, admin: Mapping[str, Any]):
    """The new admin user, unsaved, with its password set; None when a field is bad."""
    model = get_user_model()
    username = clean_text(errors, "username", admin.get("username"), max_length=USERNAME_MAX)
    if username and "username" not in errors:
        try:
            model.username_validator(username)
        except ValidationError as exc:
            errors.add("username", exc.messages[0])
        else:
            if _account_taken(username):
                errors.add("username", _("Another account already has this name."))
    email = clean_email(errors, "email", admin.get("email"))
    if not email and "email" not in errors:
        errors.add("email", _("This field is required."))
    elif email and "email" not in errors and _account_taken(email):
        errors.add("email", _("Another account already uses this email."))
    password = admin.get("password")
    if not isinstance(password, str) or not password:
        errors.add("password", _("This field is required."))
        password = None
    elif "password_again" in admin and admin["password_again"] != password:
        errors.add("password_again", _("The two passwords differ."))
    user = model(username=username, email=email)
    if password is not None:
        try:
            password_validation.validate_password(password, user=user)
        except ValidationError as exc:
            for message in exc.messages:
                errors.add("password", message)
    if errors.fields:
        return None
    user.set_password(password)
    return user


def _lock_first_run() -> None:
    """Hold off every other writer of companies and users until this transaction ends,
    so that two first-run setups cannot both see an empty installation. SQLite needs
    nothing: its transactions begin IMMEDIATE, one writer at a time."""
    if connection.vendor == "postgresql":
        tables = ", ".join(
            connection.ops.quote_name(model._meta.db_table) for model in (Company, get_user_model())
        )
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE")


def company_setup(
    *, company: Mapping[str, Any], admin: Mapping[str, Any], first_run: bool = False
) -> SetUp:
    """Start a company with the person who runs it: the Company (name, slug, time zone,
    languages, currency, the rest the defaults), a new User who signs in with the
    password given, and that user's admin Membership.

    `admin` holds username, email, password and, where the person typed it twice,
    password_again. `first_run`: only while the installation is new (is_first_run),
    for the setup page anyone may open then.

    Side effects, in order:
    1. validate: the company's fields as company_create; the username and email of no
       other account; the password by Django's validators (and its second copy)
    2. lock: with first_run, the company and user tables (SQLite: the IMMEDIATE
       transaction)
    3. re-check: with first_run, still no company and no user; the slug and the
       username still free
    4. write: the Company, the User, the Membership (role admin)
    5. after commit: the availability version bumped (signals)
    Raises ValidationFailed, or InvalidState when first_run finds the installation set
    up; nothing is written then.
    """
    errors = FieldErrors()
    try:
        cleaned = _clean_company(company, company=None)
    except ValidationFailed as exc:
        cleaned = {}
        for field, problems in (exc.fields or {}).items():
            for problem in problems:
                errors.add(field, problem)
    # The password's hash is made here, outside the transaction: it takes a while, and
    # SQLite lets no other writer in meanwhile.
    user = _clean_admin(errors, admin)
    errors.raise_if_any()
    with transaction.atomic():
        if first_run:
            _lock_first_run()
            if not is_first_run():
                raise InvalidState(_("This installation is already set up."))
        created = Company(**cleaned)
        _save_company(created, None)
        logged(created, COMPANY, "created", field_changes({}, cleaned), company_id=created.pk)
        if _account_taken(user.username):
            raise ValidationFailed(
                fields={"username": [_("Another account already has this name.")]}
            )
        if _account_taken(user.email):
            raise ValidationFailed(
                fields={"email": [_("Another account already uses this email.")]}
            )
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError as exc:
            raise ValidationFailed(
                fields={"username": [_("Another account already has this name.")]}
            ) from exc
        membership = Membership.objects.create(company=created, user=user, role=Role.ADMIN)
        logged(
            membership, MEMBERSHIP, "created", {"user": (None, user), "role": (None, Role.ADMIN)}
        )
    return SetUp(company=created, user=user, membership=membership)


# -- locations -------------------------------------------------------------------------


def _clean_location(values: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
    errors = FieldErrors()
    cleaned: dict[str, Any] = {}
    if creating or "name" in values:
        cleaned["name"] = clean_text(errors, "name", values.get("name"), max_length=NAME_MAX)
    if creating or "timezone" in values:
        zone = values.get("timezone")
        if not (isinstance(zone, str) and is_known_zone(zone)):
            errors.add("timezone", _("Choose a time zone from the list."))
        else:
            cleaned["timezone"] = zone
    if "address" in values:
        cleaned["address"] = clean_text(
            errors,
            "address",
            values["address"],
            max_length=ADDRESS_MAX,
            required=False,
            multiline=True,
        )
    errors.raise_if_any()
    return cleaned


def location_create(*, company: Company, values: Mapping[str, Any]) -> Location:
    """Add a location (a branch, with its own time zone).

    Side effects, in order:
    1. validate: name, time zone, address
    2. write: the Location
    3. after commit: the availability version bumped (signals)
    Raises ValidationFailed; nothing is written then.
    """
    cleaned = _clean_location(values, creating=True)
    with transaction.atomic():
        location = Location.objects.create(company=company, **cleaned)
        logged(location, LOCATION, "created", field_changes({}, cleaned))
    return location


def location_update(*, location: Location, values: Mapping[str, Any]) -> Location:
    """Change the given fields of a location (a PATCH).

    Side effects, in order:
    1. validate: as location_create, only the fields given
    2. lock: the location row
    3. write: the fields given
    4. after commit: the availability version bumped (signals): its time zone places
       the working hours there
    Raises ValidationFailed; nothing is written then.
    """
    cleaned = _clean_location(values, creating=False)
    with transaction.atomic():
        locked = Location.objects.select_for_update().get(pk=location.pk)
        changes = field_changes(row_values(locked, cleaned), cleaned)
        for name, value in cleaned.items():
            setattr(locked, name, value)
        if cleaned:
            locked.save(update_fields=list(cleaned))
        if changes:
            logged(locked, LOCATION, "updated", changes)
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


def _clean_resource(company: Company, values: Mapping[str, Any], *, creating: bool):
    errors = FieldErrors()
    cleaned: dict[str, Any] = {}
    if creating or "name" in values:
        cleaned["name"] = clean_text(errors, "name", values.get("name"), max_length=NAME_MAX)
    if creating or "kind" in values:
        kind = values.get("kind")
        if not (isinstance(kind, str) and len(kind) <= SLUG_MAX and SLUG.fullmatch(kind)):
            errors.add(
                "kind",
                _("Letters, digits, - and _ only, at most %(n)d characters.") % {"n": SLUG_MAX},
            )
        else:
            cleaned["kind"] = kind
    if "location" in values:
        cleaned["location"] = company_row(errors, "location", Location, company, values["location"])
    for flag in ("online_bookable", "active"):
        if flag in values:
            cleaned[flag] = clean_bool(errors, flag, values[flag])
    errors.raise_if_any()
    return cleaned


def resource_create(*, company: Company, values: Mapping[str, Any]) -> Resource:
    """Add a resource (a room, a cabin, a device) that services of its kind need.

    Side effects, in order:
    1. validate: name, kind, flags; the location of this company
    2. write: the Resource
    3. after commit: the availability version bumped (signals)
    Raises ValidationFailed; nothing is written then.
    """
    cleaned = _clean_resource(company, values, creating=True)
    with transaction.atomic():
        resource = Resource.objects.create(company=company, **cleaned)
        logged(resource, RESOURCE, "created", field_changes({}, cleaned))
    return resource


def resource_update(*, resource: Resource, values: Mapping[str, Any]) -> Resource:
    """Change the given fields of a resource (a PATCH).

    Side effects, in order:
    1. validate: as resource_create, only the fields given
    2. lock: the resource row (the lock booking_create takes on a resource)
    3. write: the fields given
    4. after commit: the availability version bumped (signals)
    Raises ValidationFailed; nothing is written then.
    """
    cleaned = _clean_resource(resource.company, values, creating=False)
    with transaction.atomic():
        locked = Resource.objects.select_for_update(of=("self",)).get(pk=resource.pk)
        changes = field_changes(row_values(locked, cleaned), cleaned)
        for name, value in cleaned.items():
            setattr(locked, name, value)
        if cleaned:
            locked.save(update_fields=list(cleaned))
        if changes:
            logged(locked, RESOURCE, "updated", changes)
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


# -- memberships -----------------------------------------------------------------------


def _clean_membership(
    company: Company, values: Mapping[str, Any], *, membership: Membership | None
) -> dict[str, Any]:
    errors = FieldErrors()
    cleaned: dict[str, Any] = {}
    creating = membership is None
    if creating or "user" in values:
        cleaned["user"] = clean_user(errors, "user", values.get("user"))
    if creating or "role" in values:
        cleaned["role"] = _clean_choice(errors, "role", values.get("role"), Role)
    if "staff" in values:
        cleaned["staff"] = company_row(errors, "staff", StaffMember, company, values["staff"])
    role = cleaned.get("role", getattr(membership, "role", None))
    staff = cleaned["staff"] if "staff" in cleaned else getattr(membership, "staff", None)
    _junior_needs_staff(errors, role, staff)
    errors.raise_if_any()
    return cleaned


def _check_one_membership(company: Company, user, membership: Membership | None) -> None:
    others = Membership.objects.filter(company=company, user=user)
    if membership is not None:
        others = others.exclude(pk=membership.pk)
    if user is not None and others.exists():
        raise ValidationFailed(
            fields={"user": [_("This user is already a member of this company.")]}
        )


def membership_create(*, company: Company, values: Mapping[str, Any]) -> Membership:
    """Make a user a member of a company, with a role.

    Side effects, in order:
    1. validate: the user, the role; the staff member of this company, required for
       a junior (whose bookings they see)
    2. lock: the company row, so two requests do not both add the user
    3. re-check: the user is not a member yet
    4. write: the Membership
    Raises ValidationFailed; nothing is written then.
    """
    cleaned = _clean_membership(company, values, membership=None)
    with transaction.atomic():
        Company.objects.select_for_update().filter(pk=company.pk).first()
        _check_one_membership(company, cleaned["user"], None)
        membership = Membership.objects.create(company=company, **cleaned)
        logged(membership, MEMBERSHIP, "created", field_changes({}, cleaned))
        return membership


def membership_update(*, membership: Membership, values: Mapping[str, Any]) -> Membership:
    """Change the given fields of a membership (a PATCH). The user's API tokens follow
    at once: their role is capped by the membership's (companies.access).

    Side effects, in order:
    1. validate: as membership_create, only the fields given, with the role and staff
       member it ends up with
    2. lock: the membership row
    3. re-check: the user (if changed) is not a member yet
    4. write: the fields given
    Raises ValidationFailed; nothing is written then.
    """
    cleaned = _clean_membership(membership.company, values, membership=membership)
    with transaction.atomic():
        locked = Membership.objects.select_for_update(of=("self",)).get(pk=membership.pk)
        if "user" in cleaned:
            _check_one_membership(locked.company, cleaned["user"], locked)
        changes = field_changes(row_values(locked, cleaned), cleaned)
        for name, value in cleaned.items():
            setattr(locked, name, value)
        if cleaned:
            locked.save(update_fields=list(cleaned))
        if changes:
            logged(locked, MEMBERSHIP, "updated", changes)
    return locked


def membership_delete(*, membership: Membership) -> None:
    """Take a user out of a company. Their API tokens for it stop answering at once
    (companies.access reads the membership on every request).

    Side effects, in order: lock the membership row; delete it.
    """
    with transaction.atomic():
        locked = Membership.objects.select_for_update().filter(pk=membership.pk).first()
        if locked is not None:
            logged(locked, MEMBERSHIP, "deleted", {"user": (locked.user_id, None)})
            locked.delete()


USERNAME_MAX = 150


@dataclass(frozen=True)
class Invited:
    membership: Membership
    # False when the email already had an account (of another company): it keeps its
    # password, so nobody is asked to set one.
    new_user: bool


def member_invite(*, company: Company, email: Any, role: Any, staff: StaffMember) -> Invited:
    """Make the person with `email` a member of `company` in `role`, tied to the staff
    member `staff`: a new account (no usable password: they set one through the link
    the back office emails them), or the existing account with that email.

    Side effects, in order:
    1. validate: the email, the role, the staff member of this company
    2. lock: the company row, so two invitations do not both add the person
    3. re-check: the account with that email is not a member yet
    4. write: the User (when new, its username the email), the Membership
    Raises ValidationFailed; nothing is written then.
    """
    errors = FieldErrors()
    address = clean_email(errors, "email", email)
    if not address and "email" not in errors:
        errors.add("email", _("This field is required."))
    if len(address) > USERNAME_MAX and "email" not in errors:
        errors.add("email", _("At most %(n)d characters.") % {"n": USERNAME_MAX})
    cleaned_role = _clean_choice(errors, "role", role, Role)
    if staff is None or staff.company_id != company.pk:
        errors.add("staff", _("Unknown id: %(id)s.") % {"id": str(getattr(staff, "pk", ""))})
    errors.raise_if_any()
    users = get_user_model().objects
    with transaction.atomic():
        Company.objects.select_for_update().filter(pk=company.pk).first()
        user = users.filter(email__iexact=address).order_by("pk").first()
        new_user = user is None
        if user is not None and Membership.objects.filter(company=company, user=user).exists():
            raise ValidationFailed(
                fields={"email": [_("This person is already a member of this company.")]}
            )
        if user is None:
            if users.filter(username__iexact=address).exists():
                raise ValidationFailed(
                    fields={"email": [_("Another account already uses this email as its name.")]}
                )
            user = users.create_user(address.lower(), address, password=None)
        membership = Membership.objects.create(
            company=company, user=user, role=cleaned_role, staff=staff
        )
        logged(
            membership,
            MEMBERSHIP,
            "invited",
            {"user": (None, user), "role": (None, cleaned_role), "staff": (None, staff)},
        )
    return Invited(membership=membership, new_user=new_user)


# -- API tokens ------------------------------------------------------------------------


def _clean_token(
    company: Company, values: Mapping[str, Any], *, token: ApiToken | None
) -> dict[str, Any]:
    errors = FieldErrors()
    cleaned: dict[str, Any] = {}
    creating = token is None
    if creating or "name" in values:
        cleaned["name"] = clean_text(errors, "name", values.get("name"), max_length=TOKEN_NAME_MAX)
    if creating or "role" in values:
        cleaned["role"] = _clean_choice(errors, "role", values.get("role"), Role)
    if "staff" in values:
        cleaned["staff"] = company_row(errors, "staff", StaffMember, company, values["staff"])
    if "user" in values:
        cleaned["user"] = clean_user(errors, "user", values["user"], nullable=True)
    if "expires_at" in values:
        expires = values["expires_at"]
        if expires is not None and not (isinstance(expires, datetime) and expires.tzinfo):
            errors.add("expires_at", _("Enter a date and time."))
        else:
            cleaned["expires_at"] = expires
    if "revoked" in values:
        revoked = clean_bool(errors, "revoked", values["revoked"])
        if token is not None and token.revoked and not revoked:
            errors.add("revoked", _("A revoked token stays revoked; issue a new one."))
        cleaned["revoked"] = revoked
    role = cleaned.get("role", getattr(token, "role", None))
    staff = cleaned["staff"] if "staff" in cleaned else getattr(token, "staff", None)
    _junior_needs_staff(errors, role, staff)
    errors.raise_if_any()
    return cleaned


def api_token_issue(*, company: Company, values: Mapping[str, Any]) -> tuple[ApiToken, str]:
    """Issue an API token for the staff API; returns it with its secret, which is shown
    once and never stored (only its hash).

    Side effects, in order:
    1. validate: name, role, user, expiry; the staff member of this company, required
       for a junior token
    2. write: the ApiToken (ApiToken.issue: the secret's prefix and hash)
    Raises ValidationFailed; nothing is written then.
    """
    cleaned = _clean_token(company, values, token=None)
    with transaction.atomic():
        token, secret = ApiToken.issue(company=company, **cleaned)
        # The secret is shown once and never stored: the entry says one was made.
        logged(
            token,
            API_TOKEN,
            "created",
            {"secret": True, **field_changes({}, cleaned)},
            secrets=["secret"],
        )
    return token, secret


def api_token_update(*, token: ApiToken, values: Mapping[str, Any]) -> ApiToken:
    """Change the given fields of a token (a PATCH); its secret stays.

    Side effects, in order:
    1. lock: the token row, whose `revoked` the check reads
    2. validate: as api_token_issue, only the fields given; a revoked token is never
       brought back (its secret may have leaked: issue a new one)
    3. write: the fields given
    Raises ValidationFailed; nothing is written then.
    """
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update(of=("self",)).get(pk=token.pk)
        cleaned = _clean_token(locked.company, values, token=locked)
        changes = field_changes(row_values(locked, cleaned), cleaned)
        for name, value in cleaned.items():
            setattr(locked, name, value)
        if cleaned:
            locked.save(update_fields=list(cleaned))
        if changes:
            logged(locked, API_TOKEN, "updated", changes)
    return locked


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke a token: it stops answering at once, for good."""
    return api_token_update(token=token, values={"revoked": True})


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


def api_token_delete(*, token: ApiToken) -> None:
    """Delete a token (revoking keeps it listed; this removes it): lock its row, delete it."""
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().filter(pk=token.pk).first()
        if locked is not None:
            logged(locked, API_TOKEN, "deleted", {"name": (locked.name, None)})
            locked.delete()
