"""Writes to memberships: who may sign in to a company's back office, in which role.

| function | writes | availability version |
| --- | --- | --- |
| membership_create / membership_update / membership_delete | the Membership | none |
| member_invite | a User (without a usable password) when the email is new, and its Membership | none |

A junior (a membership with the junior role) sees only the bookings of one staff
profile (companies.access), so it is always tied to a staff member of its own company:
the functions refuse a junior without one.
"""

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from rendezvous.core.audit import field_changes, logged, update_logged
from rendezvous.core.errors import ValidationFailed

from ..models import Company, Membership, Role, StaffMember
from .cleaning import (
    UNSET,
    USERNAME_MAX,
    FieldErrors,
    Maybe,
    Ref,
    clean_choice,
    clean_email,
    clean_user,
    company_row,
    junior_needs_staff,
    or_none,
)

# The audit log's entity name (core.audit) of memberships.
MEMBERSHIP = "membership"


@dataclass(frozen=True, kw_only=True)
class MembershipFields:
    """A membership's writable fields; UNSET ones are left as they are (user and role
    are required to create one). `staff`: the profile whose bookings a junior sees."""

    user: Maybe[Ref | None] = UNSET
    role: Maybe[str | None] = UNSET
    staff: Maybe[Ref | None] = UNSET


def _clean_membership(
    company: Company, fields: MembershipFields, *, membership: Membership | None
) -> dict[str, Any]:
    errors = FieldErrors()
    cleaned: dict[str, Any] = {}
    creating = membership is None
    if creating or fields.user is not UNSET:
        cleaned["user"] = clean_user(errors, "user", or_none(fields.user))
    if creating or fields.role is not UNSET:
        cleaned["role"] = clean_choice(errors, "role", or_none(fields.role), Role)
    if fields.staff is not UNSET:
        cleaned["staff"] = company_row(errors, "staff", StaffMember, company, fields.staff)
    role = cleaned.get("role", getattr(membership, "role", None))
    staff = cleaned["staff"] if "staff" in cleaned else getattr(membership, "staff", None)
    junior_needs_staff(errors, role, staff)
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


def membership_create(*, company: Company, fields: MembershipFields) -> Membership:
    """Make a user a member of a company, with a role.

    Side effects, in order:
    1. validate: the user, the role; the staff member of this company, required for
       a junior (whose bookings they see)
    2. lock: the company row, so two requests do not both add the user
    3. re-check: the user is not a member yet
    4. write: the Membership
    Raises ValidationFailed; nothing is written then.
    """
    cleaned = _clean_membership(company, fields, membership=None)
    with transaction.atomic():
        Company.objects.select_for_update().filter(pk=company.pk).first()
        _check_one_membership(company, cleaned["user"], None)
        membership = Membership.objects.create(company=company, **cleaned)
        logged(membership, MEMBERSHIP, "created", field_changes({}, cleaned))
        return membership


def membership_update(*, membership: Membership, fields: MembershipFields) -> Membership:
    """Change the fields given of a membership (a PATCH). The user's API tokens follow
    at once: their role is capped by the membership's (companies.access).

    Side effects, in order:
    1. validate: as membership_create, only the fields given, with the role and staff
       member it ends up with
    2. lock: the membership row
    3. re-check: the user (if changed) is not a member yet
    4. write: the fields given
    Raises ValidationFailed; nothing is written then.
    """
    cleaned = _clean_membership(membership.company, fields, membership=membership)
    with transaction.atomic():
        locked = Membership.objects.select_for_update(of=("self",)).get(pk=membership.pk)
        if "user" in cleaned:
            _check_one_membership(locked.company, cleaned["user"], locked)
        update_logged(locked, MEMBERSHIP, cleaned)
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


@dataclass(frozen=True)
class Invited:
    membership: Membership
    # False when the email already had an account (of another company): it keeps its
    # password, so nobody is asked to set one.
    new_user: bool


def member_invite(*, company: Company, email: str | None, role: str, staff: StaffMember) -> Invited:
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
    cleaned_role = clean_choice(errors, "role", role, Role)
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
