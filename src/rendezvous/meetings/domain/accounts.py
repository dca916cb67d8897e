"""Meeting accounts: a company's (or one staff member's) video provider and its settings.

| function | writes | refuses (400, field errors; 409) |
| --- | --- | --- |
| meeting_account_create | a MeetingAccount | an unknown provider, a staff member of another company, a URL that is not http(s), no URL for a provider that needs one, texts too long or with control characters |
| meeting_account_update | only the fields given (a PATCH) | the same, for the account it becomes |
| meeting_account_delete | the account | one whose meetings are still to come (409: make it inactive instead) |

The secret is encrypted at rest (meetings.crypto): these functions take it in clear and
the model field encrypts it; none of them returns or logs it. An update writes only the
columns it was given: the OAuth tokens on the row are rotated by token refreshes
(providers.oauth, under the same row lock), and writing back a copy loaded earlier
would spend a rotated-away refresh token. Changing the provider does not clear a
connection: the new provider refuses the old tokens and the account shows "needs
reconnecting".
"""

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rendezvous.companies.editing import FieldErrors, clean_bool, clean_text, parse_ref
from rendezvous.companies.models import Company, StaffMember
from rendezvous.core.errors import InvalidState

from ..models import MeetingAccount, MeetingState
from ..providers import REGISTRY

URL_MAX = 500
APP_ID_MAX = 200
SECRET_MAX = 4000
TENANT_MAX = 100
# Providers that cannot make a meeting without the account's URL.
NEEDS_URL = {"static_link", "jitsi", "bigbluebutton"}
FIELDS = ("staff", "provider", "active", "url", "app_id", "secret", "tenant")


def _clean_account(company: Company, values: Mapping[str, Any]) -> dict[str, Any]:
    """The fields in `values`, checked; raises ValidationFailed listing every problem."""
    errors = FieldErrors()
    cleaned: dict[str, Any] = {}
    if "staff" in values:
        staff = None
        if values["staff"] is not None:
            staff_id = parse_ref(values["staff"])
            staff = StaffMember.objects.filter(pk=staff_id).first() if staff_id else None
            if staff is None or staff.company_id != company.pk:
                errors.add("staff", _("This staff member works for another company."))
        cleaned["staff"] = staff
    if "provider" in values:
        if values["provider"] not in REGISTRY:
            errors.add("provider", _("Choose one of the video providers."))
        cleaned["provider"] = values["provider"]
    if "active" in values:
        cleaned["active"] = clean_bool(errors, "active", values["active"])
    if "url" in values:
        url = clean_text(errors, "url", values["url"], max_length=URL_MAX, required=False)
        if url and "url" not in errors:
            try:
                URLValidator(schemes=["https", "http"])(url)
            except ValidationError:
                errors.add("url", _("Enter a link that starts with https://."))
        cleaned["url"] = url
    for name, limit in (("app_id", APP_ID_MAX), ("tenant", TENANT_MAX)):
        if name in values:
            cleaned[name] = clean_text(errors, name, values[name], max_length=limit, required=False)
    if "secret" in values:
        cleaned["secret"] = clean_text(
            errors, "secret", values["secret"], max_length=SECRET_MAX, required=False
        )
    errors.raise_if_any()
    return cleaned


def _check_whole(provider: str, url: str) -> None:
    if provider in NEEDS_URL and not url:
        errors = FieldErrors()
        errors.add("url", _("This provider needs the URL of its room or server."))
        errors.raise_if_any()


def meeting_account_create(*, company: Company, values: Mapping[str, Any]) -> MeetingAccount:
    """Add a video provider account to `company` (`values`: provider, staff id or None,
    active, url, app_id, secret in clear, tenant).

    Side effects, in order:
    1. validate: every field, and the URL the provider needs
    2. write: the MeetingAccount (its secret encrypted by the field)
    Raises ValidationFailed; nothing is written then.
    """
    cleaned = _clean_account(company, {"provider": None, **values})
    _check_whole(cleaned["provider"], cleaned.get("url", ""))
    return MeetingAccount.objects.create(company=company, **cleaned)


def meeting_account_update(*, account: MeetingAccount, values: Mapping[str, Any]) -> MeetingAccount:
    """Change the fields of an account given in `values` (a PATCH); a secret is changed
    only when one is given.

    Side effects, in order:
    1. validate: the fields given, and the URL the account's provider needs then
    2. lock: the account row (the lock a token refresh takes)
    3. write: only the columns given
    Raises ValidationFailed; nothing is written then.
    """
    cleaned = _clean_account(account.company, values)
    if not cleaned:
        return account
    with transaction.atomic():
        locked = MeetingAccount.objects.select_for_update(of=("self",)).get(pk=account.pk)
        _check_whole(cleaned.get("provider", locked.provider), cleaned.get("url", locked.url))
        for name, value in cleaned.items():
            setattr(locked, name, value)
        locked.save(update_fields=list(cleaned))
    return locked


def meeting_account_delete(*, account: MeetingAccount) -> None:
    """Delete an account that no meeting still to come depends on.

    Side effects: lock the account row; re-check its meetings; delete it (past meetings
    keep their link and lose the account). Raises InvalidState when a pending, ready
    or failing meeting that has not ended uses it: it creates, updates and deletes
    those at the provider.
    """
    with transaction.atomic():
        # No ordering: the default one joins the (nullable) staff row, which PostgreSQL
        # cannot lock.
        locked = (
            MeetingAccount.objects.select_for_update(of=("self",))
            .filter(pk=account.pk)
            .order_by()
            .first()
        )
        if locked is None:
            return
        upcoming = locked.meetings.filter(
            state__in=[MeetingState.PENDING, MeetingState.READY, MeetingState.FAILED],
            end__gt=timezone.now(),
        )
        if upcoming.exists():
            raise InvalidState(
                _("Meetings still to come use this account: make it inactive instead.")
            )
        locked.delete()
