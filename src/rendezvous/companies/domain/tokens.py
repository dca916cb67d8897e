"""Writes to API tokens of the staff API.

| function | writes | availability version |
| --- | --- | --- |
| api_token_issue / api_token_update / api_token_revoke / api_token_delete | the ApiToken | none |
| api_token_touch | the token's `last_used_at`, at most once a minute | none |

A junior token, like a junior membership, is always tied to a staff member of its own
company.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from rendezvous.core.audit import field_changes, logged, update_logged

from ..models import ApiToken, Company, Role, StaffMember
from .cleaning import (
    UNSET,
    FieldErrors,
    Maybe,
    Ref,
    clean_bool,
    clean_choice,
    clean_text,
    clean_user,
    company_row,
    junior_needs_staff,
    or_none,
)

TOKEN_NAME_MAX = 100
# The audit log's entity name (core.audit) of API tokens.
API_TOKEN = "api_token"
# How stale an API token's "last used" may be: a busy integration costs one write a
# minute, not one a request.
TOKEN_TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True, kw_only=True)
class ApiTokenFields:
    """An API token's writable fields; UNSET ones are left as they are (name and role
    are required to issue one). `staff`: the profile whose bookings a junior token
    sees; `user`: the member it acts for (its role caps the token's); `revoked` only
    ever goes on."""

    name: Maybe[str | None] = UNSET
    role: Maybe[str | None] = UNSET
    staff: Maybe[Ref | None] = UNSET
    user: Maybe[Ref | None] = UNSET
    expires_at: Maybe[datetime | None] = UNSET
    revoked: Maybe[bool | None] = UNSET


def _clean_token(
    company: Company, fields: ApiTokenFields, *, token: ApiToken | None
) -> dict[str, Any]:
    errors = FieldErrors()
    cleaned: dict[str, Any] = {}
    creating = token is None
    if creating or fields.name is not UNSET:
        cleaned["name"] = clean_text(
            errors, "name", or_none(fields.name), max_length=TOKEN_NAME_MAX
        )
    if creating or fields.role is not UNSET:
        cleaned["role"] = clean_choice(errors, "role", or_none(fields.role), Role)
    if fields.staff is not UNSET:
        cleaned["staff"] = company_row(errors, "staff", StaffMember, company, fields.staff)
    if fields.user is not UNSET:
        cleaned["user"] = clean_user(errors, "user", fields.user, nullable=True)
    if fields.expires_at is not UNSET:
        expires = fields.expires_at
        if expires is not None and not (isinstance(expires, datetime) and expires.tzinfo):
            errors.add("expires_at", _("Enter a date and time."))
        else:
            cleaned["expires_at"] = expires
    if fields.revoked is not UNSET:
        revoked = clean_bool(errors, "revoked", fields.revoked)
        if token is not None and token.revoked and not revoked:
            errors.add("revoked", _("A revoked token stays revoked; issue a new one."))
        cleaned["revoked"] = revoked
    role = cleaned.get("role", getattr(token, "role", None))
    staff = cleaned["staff"] if "staff" in cleaned else getattr(token, "staff", None)
    junior_needs_staff(errors, role, staff)
    errors.raise_if_any()
    return cleaned


def api_token_issue(*, company: Company, fields: ApiTokenFields) -> tuple[ApiToken, str]:
    """Issue an API token for the staff API; returns it with its secret, which is shown
    once and never stored (only its hash).

    Side effects, in order:
    1. validate: name, role, user, expiry; the staff member of this company, required
       for a junior token
    2. write: the ApiToken (ApiToken.issue: the secret's prefix and hash)
    Raises ValidationFailed; nothing is written then.
    """
    cleaned = _clean_token(company, fields, token=None)
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


def api_token_update(*, token: ApiToken, fields: ApiTokenFields) -> ApiToken:
    """Change the fields given of a token (a PATCH); its secret stays.

    Side effects, in order:
    1. lock: the token row, whose `revoked` the check reads
    2. validate: as api_token_issue, only the fields given; a revoked token is never
       brought back (its secret may have leaked: issue a new one)
    3. write: the fields given
    Raises ValidationFailed; nothing is written then.
    """
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update(of=("self",)).get(pk=token.pk)
        cleaned = _clean_token(locked.company, fields, token=locked)
        update_logged(locked, API_TOKEN, cleaned)
    return locked


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke a token: it stops answering at once, for good."""
    return api_token_update(token=token, fields=ApiTokenFields(revoked=True))


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
