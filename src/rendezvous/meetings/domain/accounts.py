"""Meeting accounts: a company's (or one staff member's) video provider and its settings.

| function | writes | refuses (400, field errors; 409) |
| --- | --- | --- |
| meeting_account_create | a MeetingAccount | an unknown provider, a staff member of another company, a URL that is not http(s), no URL for a provider that needs one, texts too long or with control characters |
| meeting_account_update | only the fields given (a PATCH); a company account's new app or server settings also on the staff members' copies of its old ones | the same, for the account it becomes |
| meeting_account_delete | the account | one whose meetings are still to come (409: make it inactive instead) |
| meeting_default_set | which company-level account is active (the company's default provider) | a staff member's account or another company's |
| meeting_staff_assign | a staff member's own account (created, changed or made the only active one), or none active (the company's default) | an unknown provider, a provider the company has no account of to copy, a static link that is not a link, a Zoom user for a Zoom app that signs in |
| meeting_account_test | nothing of ours: a meeting created and deleted at the provider | (never raises: the result says what the provider answered) |

The secret is encrypted at rest (core.crypto): these functions take it in clear and
the model field encrypts it; none of them returns or logs it. An update writes only the
columns it was given: the OAuth tokens on the row are rotated by token refreshes
(providers.oauth, under the same row lock), and writing back a copy loaded earlier
would spend a rotated-away refresh token. Changing the provider does not clear a
connection: the new provider refuses the old tokens and the account shows "needs
reconnecting".
"""

import uuid
from collections.abc import Container, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rendezvous.companies.domain import (
    COMPANY,
    STAFF,
    FieldErrors,
    clean_bool,
    clean_text,
    parse_ref,
)
from rendezvous.companies.models import Company, StaffMember
from rendezvous.core.audit import field_changes, logged, row_values
from rendezvous.core.errors import InvalidState
from rendezvous.core.fields import UNSET, Maybe, Ref, given, or_none

from ..models import MeetingAccount, MeetingState
from ..providers import REGISTRY, MeetingSpec, ProviderError, get_provider

URL_MAX = 500
APP_ID_MAX = 200
SECRET_MAX = 4000
TENANT_MAX = 100
# Providers that cannot make a meeting without the account's URL.
NEEDS_URL = {"static_link", "jitsi", "bigbluebutton"}
FIELDS = ("staff", "provider", "active", "url", "app_id", "secret", "tenant")
# Providers a staff member's own account works with without anything from the company.
STANDALONE = {"builtin", "manual", "static_link"}
# What a staff member's own account copies from the company's account of its provider.
SHARED = ("provider", "url", "app_id", "secret", "tenant")
ZOOM_USER_MAX = 120
# The audit log's entities (core.audit): the account; the staff member, whose page shows
# which provider hosts them; the company, whose default provider it is. Its secret is
# recorded as changed, never with its value (nor the OAuth tokens, which no form writes).
ACCOUNT = "meeting_account"
SECRETS = ("secret",)


@dataclass(frozen=True, kw_only=True)
class MeetingAccountFields:
    """A meeting account's writable fields; UNSET ones are left as they are (the
    provider is required to create one). `secret` is in clear (the model field
    encrypts it); None empties the texts and, for `staff`, makes it the company's."""

    staff: Maybe[Ref | None] = UNSET
    provider: Maybe[str | None] = UNSET
    active: Maybe[bool | None] = UNSET
    url: Maybe[str | None] = UNSET
    app_id: Maybe[str | None] = UNSET
    secret: Maybe[str | None] = UNSET
    tenant: Maybe[str | None] = UNSET


@dataclass(frozen=True, kw_only=True)
class StaffMeetingFields:
    """Who hosts a staff member's meetings: `provider` ("", None or UNSET for the
    company's default), `url` (a static room link), `zoom_user` (the Zoom user of the
    company's Server-to-Server app who hosts them; empty: the staff member's email)."""

    provider: Maybe[str | None] = UNSET
    url: Maybe[str | None] = UNSET
    zoom_user: Maybe[str | None] = UNSET


def _clean_account(
    company: Company, fields: MeetingAccountFields, *, creating: bool
) -> dict[str, Any]:
    """The fields given, checked; raises ValidationFailed listing every problem."""
    errors = FieldErrors()
    cleaned: dict[str, Any] = {}
    if fields.staff is not UNSET:
        staff = None
        if fields.staff is not None:
            staff_id = parse_ref(fields.staff)
            staff = StaffMember.objects.filter(pk=staff_id).first() if staff_id else None
            if staff is None or staff.company_id != company.pk:
                errors.add("staff", _("This staff member works for another company."))
        cleaned["staff"] = staff
    if creating or fields.provider is not UNSET:
        provider = or_none(fields.provider)
        if provider not in REGISTRY:
            errors.add("provider", _("Choose one of the video providers."))
        cleaned["provider"] = provider
    if fields.active is not UNSET:
        cleaned["active"] = clean_bool(errors, "active", fields.active)
    if fields.url is not UNSET:
        url = clean_text(errors, "url", fields.url, max_length=URL_MAX, required=False)
        if url and "url" not in errors:
            try:
                URLValidator(schemes=["https", "http"])(url)
            except ValidationError:
                errors.add("url", _("Enter a link that starts with https://."))
        cleaned["url"] = url
    for name, value, limit in (
        ("app_id", fields.app_id, APP_ID_MAX),
        ("tenant", fields.tenant, TENANT_MAX),
    ):
        if value is not UNSET:
            cleaned[name] = clean_text(errors, name, value, max_length=limit, required=False)
    if fields.secret is not UNSET:
        cleaned["secret"] = clean_text(
            errors, "secret", fields.secret, max_length=SECRET_MAX, required=False
        )
    errors.raise_if_any()
    return cleaned


def _check_whole(provider: str, url: str) -> None:
    if provider in NEEDS_URL and not url:
        errors = FieldErrors()
        errors.add("url", _("This provider needs the URL of its room or server."))
        errors.raise_if_any()


def meeting_account_create(*, company: Company, fields: MeetingAccountFields) -> MeetingAccount:
    """Add a video provider account to `company`.

    Side effects, in order:
    1. validate: every field, and the URL the provider needs
    2. write: the MeetingAccount (its secret encrypted by the field)
    Raises ValidationFailed; nothing is written then.
    """
    with transaction.atomic():
        account = _account_create(company, fields)
        logged(account, ACCOUNT, "created", _changes({}, account, given(fields)), secrets=SECRETS)
    return account


def _changes(
    before: Mapping[str, Any], account: MeetingAccount, names: Container[str]
) -> dict[str, Any]:
    """The audit log's changes of the fields in `names` (a secret set to empty and
    back counts as none)."""
    return field_changes(before, row_values(account, [n for n in FIELDS if n in names]))


def _account_create(company: Company, fields: MeetingAccountFields) -> MeetingAccount:
    cleaned = _clean_account(company, fields, creating=True)
    _check_whole(cleaned["provider"], cleaned.get("url", ""))
    return MeetingAccount.objects.create(company=company, **cleaned)


def meeting_account_update(
    *, account: MeetingAccount, fields: MeetingAccountFields
) -> MeetingAccount:
    """Change the fields of an account that are given (a PATCH); a secret is changed
    only when one is given.

    Side effects, in order:
    1. validate: the fields given, and the URL the account's provider needs then
    2. lock: the account row (the lock a token refresh takes)
    3. write: only the columns given; for a company-level account whose app or server
       settings change (a new client secret ...), the same change on the staff
       members' own accounts that carry its old ones (meeting_staff_assign copied them)
    Raises ValidationFailed; nothing is written then.
    """
    with transaction.atomic():
        locked, changes = _account_update(account, fields)
        if changes:
            logged(locked, ACCOUNT, "updated", changes, secrets=SECRETS)
    return locked


def _account_update(
    account: MeetingAccount, fields: MeetingAccountFields
) -> tuple[MeetingAccount, dict[str, Any]]:
    cleaned = _clean_account(account.company, fields, creating=False)
    if not cleaned:
        return account, {}
    with transaction.atomic():
        locked = MeetingAccount.objects.select_for_update(of=("self",)).get(pk=account.pk)
        _check_whole(cleaned.get("provider", locked.provider), cleaned.get("url", locked.url))
        before = {name: getattr(locked, name) for name in SHARED}
        old = row_values(locked, cleaned)
        for name, value in cleaned.items():
            setattr(locked, name, value)
        locked.save(update_fields=list(cleaned))
        shared = locked.staff_id is None and locked.provider not in STANDALONE
        if shared and locked.provider == before["provider"]:
            _follow_company_account(locked, before)
    return locked, _changes(old, locked, cleaned)


def _app_part(provider: str, app_id: str) -> str:
    """What a staff member's copy shares with the company's app id: all of it, but for a
    Zoom Server-to-Server app the account and client id (the host user is theirs)."""
    if provider == "zoom" and ":" in app_id:
        return ":".join(app_id.split(":", 2)[:2])
    return app_id


def _follow_company_account(company_account: MeetingAccount, before: Mapping[str, Any]) -> None:
    """Give the staff members' copies of `company_account`'s old settings its new ones
    (inside the caller's transaction, the company account locked)."""
    provider = company_account.provider
    copies = MeetingAccount.objects.select_for_update(of=("self",)).filter(
        company_id=company_account.company_id, staff__isnull=False, provider=provider
    )
    old_app = _app_part(provider, before["app_id"])
    new_app = _app_part(provider, company_account.app_id)
    for copy in copies:
        if (copy.url, copy.secret, copy.tenant) != (
            before["url"],
            before["secret"],
            before["tenant"],
        ) or _app_part(provider, copy.app_id) != old_app:
            continue
        app_id = company_account.app_id
        if provider == "zoom" and ":" in copy.app_id and ":" in company_account.app_id:
            user = copy.app_id.split(":", 2)[2] if copy.app_id.count(":") == 2 else ""
            app_id = _zoom_app_id(new_app, user)
        changed = {
            "url": company_account.url,
            "app_id": app_id,
            "secret": company_account.secret,
            "tenant": company_account.tenant,
        }
        fields = [name for name, value in changed.items() if getattr(copy, name) != value]
        for name in fields:
            setattr(copy, name, changed[name])
        if fields:
            copy.save(update_fields=fields)


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
        logged(locked, ACCOUNT, "deleted", {"provider": (locked.provider, None)})
        locked.delete()


def meeting_default_set(*, company: Company, account: MeetingAccount | None) -> None:
    """Make `account` (one of the company's accounts without a staff member) the
    company's default provider, or, with None, Rendezvous's own video room.

    Meetings take the first active company-level account (lifecycle.account_for), so
    the default is the only one left active; the others keep their settings and
    connection for later. Side effects: lock the company's accounts; write `active`.
    Raises ValidationFailed (a staff member's or another company's account).
    """
    if account is not None and (account.company_id != company.pk or account.staff_id):
        errors = FieldErrors()
        errors.add("default", _("Choose one of the company's own accounts."))
        errors.raise_if_any()
    with transaction.atomic():
        rows = list(
            MeetingAccount.objects.select_for_update(of=("self",))
            .filter(company=company, staff__isnull=True)
            .order_by()
        )
        before = next((row.provider for row in rows if row.active), None)
        for row in rows:
            active = account is not None and row.pk == account.pk
            if row.active != active:
                row.active = active
                row.save(update_fields=["active"])
        after = account.provider if account is not None else None
        if before != after:
            logged(
                company,
                COMPANY,
                "meeting_default_set",
                {"default": (before, after)},
                company_id=company.pk,
            )


def _company_account(company: Company, provider: str) -> MeetingAccount | None:
    """The company-level account of `provider` a staff member's own account copies its
    app and server settings from: the active one first."""
    return (
        MeetingAccount.objects.filter(company=company, staff__isnull=True, provider=provider)
        .order_by("-active", "id")
        .first()
    )


def _zoom_app_id(app_id: str, user: str) -> str:
    """A Server-to-Server Zoom app id that hosts as `user` (none: the staff member's email)."""
    account_id, client_id = app_id.split(":", 2)[:2]
    return f"{account_id}:{client_id}:{user}" if user else f"{account_id}:{client_id}"


def _staff_account_values(staff: StaffMember, fields: StaffMeetingFields) -> dict[str, Any] | None:
    """The settings of the staff member's own account, checked; None for "the company's
    default". Raises ValidationFailed."""
    errors = FieldErrors()
    provider = or_none(fields.provider) or ""
    if not provider:
        return None
    if provider not in REGISTRY:
        errors.add("provider", _("Choose one of the video providers."))
        errors.raise_if_any()
    if provider == "static_link":
        url = or_none(fields.url) or ""
        if not url.strip():
            errors.add("url", _("Enter the link of the staff member's video room."))
            errors.raise_if_any()
        return {"provider": provider, "url": url, "app_id": "", "secret": "", "tenant": ""}
    if provider in STANDALONE:
        return {"provider": provider, "url": "", "app_id": "", "secret": "", "tenant": ""}
    source = _company_account(staff.company, provider)
    if source is None:
        errors.add(
            "provider",
            _(
                "Add the company's account of this provider first: the staff member's "
                "own account uses its app and server settings."
            ),
        )
        errors.raise_if_any()
    assert source is not None  # raise_if_any raised otherwise
    cleaned = {
        "provider": provider,
        "url": source.url,
        "app_id": source.app_id,
        "secret": source.secret,
        "tenant": source.tenant,
    }
    if provider == "zoom":
        user = clean_text(
            errors,
            "zoom_user",
            or_none(fields.zoom_user) or "",
            max_length=ZOOM_USER_MAX,
            required=False,
        )
        if user and ":" not in source.app_id:
            errors.add(
                "zoom_user",
                _(
                    "This Zoom app connects by signing in: the staff member connects their "
                    "own Zoom user instead."
                ),
            )
        elif ":" in user:
            errors.add("zoom_user", _("Enter a Zoom user's email address or id."))
        errors.raise_if_any()
        if ":" in source.app_id:
            cleaned["app_id"] = _zoom_app_id(source.app_id, user)
    return cleaned


def meeting_staff_assign(
    *, staff: StaffMember, fields: StaffMeetingFields
) -> MeetingAccount | None:
    """Which video provider hosts `staff`'s online meetings (the "meeting providers and
    meeting services" table), as StaffMeetingFields says.

    The staff member's own account of that provider is changed (its connection kept
    while the app stays the same) or created, with the company's app and server
    settings of that provider copied; their other own accounts are made inactive,
    and with "the company's default" all of them (kept for later, never deleted: past
    meetings keep their account). Side effects, in order:
    1. validate: the provider, the company's account to copy, the link or Zoom user
    2. lock: the staff member's accounts
    3. write: the account (meeting_account_create/update), `active` of the others
    Raises ValidationFailed; nothing is written then.
    """
    cleaned = _staff_account_values(staff, fields)
    if cleaned is not None:
        # Validated before anything is written, as the account it becomes.
        _check_whole(cleaned["provider"], cleaned["url"])
        _clean_account(staff.company, MeetingAccountFields(**cleaned), creating=True)
    with transaction.atomic():
        own = list(
            MeetingAccount.objects.select_for_update(of=("self",))
            .filter(staff=staff)
            .order_by("-active", "id")
        )
        chosen = None
        was = next((a for a in own if a.active), None)
        before = {"provider": was.provider, "url": was.url} if was else {}
        if cleaned is not None:
            same = next((a for a in own if a.provider == cleaned["provider"]), None)
            if same is None:
                chosen = _account_create(
                    staff.company, MeetingAccountFields(**cleaned, staff=str(staff.pk))
                )
            else:
                changed = {k: v for k, v in cleaned.items() if getattr(same, k) != v}
                if not same.active:
                    changed["active"] = True
                chosen = _account_update(same, MeetingAccountFields(**changed))[0]
        for row in own:
            if row.active and (chosen is None or row.pk != chosen.pk):
                row.active = False
                row.save(update_fields=["active"])
        # One entry on the staff member: which provider hosts them now (the copied app
        # settings and secret are the company account's, recorded there).
        after = {"provider": chosen.provider, "url": chosen.url} if chosen else {}
        changes = field_changes(before, {"provider": None, "url": None, **after})
        if changes:
            logged(staff, STAFF, "meeting_provider_set", changes)
    return chosen


@dataclass(frozen=True)
class AccountTest:
    ok: bool
    message: str


def meeting_account_test(*, account: MeetingAccount, now: datetime | None = None) -> AccountTest:
    """Create a meeting tomorrow with the account at its provider and delete it again,
    to show an admin whether the account works; what the provider said, in words.

    Side effects: network (the provider's create and delete); an OAuth account may
    refresh its tokens, or be marked "needs reconnecting" when the provider refuses
    them (providers.oauth). Nothing else is written: no Meeting row, no email.
    Never raises for the provider's refusal; call it outside a transaction.
    """
    now = now or timezone.now()
    start = (now + timedelta(days=1)).replace(second=0, microsecond=0)
    staff = account.staff if account.staff_id else None
    spec = MeetingSpec(
        meeting_id=uuid.uuid4().hex,
        title=str(_("Test meeting (Rendezvous)")),
        start=start,
        end=start + timedelta(minutes=30),
        timezone=account.company.timezone,
        host_name=staff.name if staff else "",
        host_email=staff.email if staff else "",
    )
    try:
        provider = get_provider(account.provider, account)
        ref = provider.create_meeting(spec)
    except ProviderError as exc:
        return AccountTest(
            ok=False,
            message=_("The provider did not create the test meeting: %(detail)s")
            % {"detail": str(exc)},
        )
    if not ref.join_url:
        return AccountTest(
            ok=True,
            message=_("This provider makes no meeting by itself: staff type each meeting's link."),
        )
    try:
        provider.delete_meeting(ref)
    except ProviderError as exc:
        return AccountTest(
            ok=False,
            message=_(
                "The test meeting was created but not deleted (%(detail)s): delete it at the "
                "provider."
            )
            % {"detail": str(exc)},
        )
    return AccountTest(
        ok=True, message=_("The provider created a test meeting and deleted it: the account works.")
    )
