"""Setting a company up: the company with its first admin, from the back office's
first-run page or `rendezvous create_company`.

| function | writes | availability version |
| --- | --- | --- |
| company_setup | a Company, its first admin: a new User with a password and an admin Membership | signals (row save) |
"""

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from rendezvous.core.audit import field_changes, logged
from rendezvous.core.errors import InvalidState, ValidationFailed

from ..models import Company, Membership, Role
from .cleaning import (
    UNSET,
    USERNAME_MAX,
    FieldErrors,
    Maybe,
    clean_email,
    clean_text,
    or_none,
)
from .company import COMPANY, CompanyFields, _clean_company, _save_company
from .members import MEMBERSHIP


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


@dataclass(frozen=True, kw_only=True)
class AdminFields:
    """The first admin of a new company: username, email and password (all required),
    and `password_again` where the person typed the password twice."""

    username: Maybe[str | None] = UNSET
    email: Maybe[str | None] = UNSET
    password: Maybe[str | None] = UNSET
    password_again: Maybe[str | None] = UNSET


def _clean_admin(errors: FieldErrors, fields: AdminFields):
    """The new admin user, unsaved, with its password set; None when a field is bad."""
    model = get_user_model()
    username = clean_text(errors, "username", or_none(fields.username), max_length=USERNAME_MAX)
    if username and "username" not in errors:
        try:
            model.username_validator(username)
        except ValidationError as exc:
            errors.add("username", exc.messages[0])
        else:
            if _account_taken(username):
                errors.add("username", _("Another account already has this name."))
    email = clean_email(errors, "email", or_none(fields.email))
    if not email and "email" not in errors:
        errors.add("email", _("This field is required."))
    elif email and "email" not in errors and _account_taken(email):
        errors.add("email", _("Another account already uses this email."))
    password = or_none(fields.password)
    if not isinstance(password, str) or not password:
        errors.add("password", _("This field is required."))
        password = None
    elif fields.password_again is not UNSET and fields.password_again != password:
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


def company_setup(*, company: CompanyFields, admin: AdminFields, first_run: bool = False) -> SetUp:
    """Start a company with the person who runs it: the Company (name, slug, time zone,
    languages, currency, the rest the defaults), a new User who signs in with the
    password given, and that user's admin Membership.

    `first_run`: only while the installation is new (is_first_run),
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
