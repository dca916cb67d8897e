"""The audit log: every domain write records who made it, when, and what changed.

Domain functions call `audit_log` inside their transaction, so an entry exists exactly
when the change committed. *Who* comes from the request: a middleware (signed-in users:
staff in the back office, operators in the admin) and the API's token check say who is
acting for the rest of the request, and `audit_log` reads it from a context variable.
That keeps the identity out of every domain function's signature, where it would be
passed along by each caller without being used; the *kind* of actor a rule depends on
(a customer's cut-off, for instance) stays an explicit argument of the domain function
and is passed here as `kind`.

| who acts | kind | user |
| --- | --- | --- |
| a customer (booking site, manage link, public API) | customer | none |
| a staff user (back office, staff API token) | staff | the user (the token's user) |
| a superuser in the Django admin | operator | the user |
| a task or command | system | none |

Every app records its rows through `logged` (one shape: each changed field's old and
new value, rows by id, secrets as SECRET_CHANGED); a staff member's schedule and
video provider are recorded on the staff member, notification settings and the
default video provider on the company, so each page reads one entity's `history`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import AuditEntry

CUSTOMER, STAFF, OPERATOR, SYSTEM = "customer", "staff", "operator", "system"


@dataclass(frozen=True)
class Who:
    kind: str
    user_id: int | None = None
    label: str = ""


_acting: ContextVar[Who | None] = ContextVar("rendezvous_acting", default=None)


def acting_as(who: Who | None) -> None:
    """Say who acts for the rest of this request (or task); the middleware resets it."""
    _acting.set(who)


@contextmanager
def acting(who: Who | None) -> Iterator[None]:
    """Say who acts inside a block (commands, tests, tasks run for a user)."""
    token = _acting.set(who)
    try:
        yield
    finally:
        _acting.reset(token)


def current_actor() -> Who | None:
    return _acting.get()


def audit_log(
    *,
    company_id: int,
    entity: str,
    entity_id: object,
    action: str,
    kind: str | None = None,
    changes: dict[str, Any] | None = None,
) -> AuditEntry:
    """Record one change, inside the caller's transaction.

    `kind` is the domain's own view of who acts (customer or staff) where it has one;
    a customer is never named after whoever happens to be signed in, so their
    entries carry no user.
    """
    who = _acting.get()
    if kind is None:
        kind = who.kind if who is not None else SYSTEM
    named = who if who is not None and kind != CUSTOMER else None
    return AuditEntry.objects.create(
        company_id=company_id,
        entity=entity,
        entity_id=str(entity_id),
        action=action,
        actor_kind=OPERATOR if named is not None and named.kind == OPERATOR else kind,
        user_id=named.user_id if named is not None else None,
        actor_label=named.label if named is not None else "",
        changes=changes or {},
        at=timezone.now(),
    )


# What an entry says instead of a secret's value: that it changed, never what to.
SECRET_CHANGED = "changed"


def _plain(value: Any) -> Any:
    """A JSON-ready copy of a field's value: rows by id, times as ISO text."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset | models.QuerySet):
        items = [_plain(v) for v in value]
        return sorted(items) if isinstance(value, set | frozenset | models.QuerySet) else items
    return value


def field_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """The (old, new) pair of each field of `after` whose value differs from `before`'s;
    a field `before` lacks was empty (a new row)."""
    return {
        name: (before.get(name), new)
        for name, new in after.items()
        if _plain(before.get(name)) != _plain(new)
    }


def row_values(row: models.Model, names: Iterable[str]) -> dict[str, Any]:
    """The current values of `names` on `row`, read before a write changes them."""
    return {name: getattr(row, name) for name in names}


def logged(
    row: models.Model,
    entity: str,
    action: str,
    changes: Mapping[str, Any] | None = None,
    *,
    company_id: int | None = None,
    kind: str | None = None,
    secrets: Iterable[str] = (),
) -> AuditEntry:
    """One entry for `row` (its company: `company_id`, else the row's own).

    Each of `changes` is a field's (old, new) pair, or a plain fact (a count, the names
    of the fields changed). A field named in `secrets` is recorded as SECRET_CHANGED,
    never with its value.
    """
    hidden = set(secrets)
    return audit_log(
        company_id=row.company_id if company_id is None else company_id,  # type: ignore[attr-defined]
        entity=entity,
        entity_id=row.pk,
        action=action,
        kind=kind,
        changes={
            name: SECRET_CHANGED if name in hidden else _plain(value)
            for name, value in (changes or {}).items()
        },
    )


def update_logged(locked: models.Model, entity: str, cleaned: Mapping[str, Any]) -> dict[str, Any]:
    """A PATCH of a locked row: `cleaned`'s fields written (only those) and, when a value
    changed, one "updated" entry of what did. Returns the changes."""
    changes = field_changes(row_values(locked, cleaned), cleaned)
    for name, value in cleaned.items():
        setattr(locked, name, value)
    if cleaned:
        locked.save(update_fields=list(cleaned))
    if changes:
        logged(locked, entity, "updated", changes)
    return changes


def audit_trail(entity: str, entity_id: object) -> list[AuditEntry]:
    """The entity's history, oldest first, with each entry's user."""
    return list(
        AuditEntry.objects.filter(entity=entity, entity_id=str(entity_id))
        .select_related("user")
        .order_by("at", "id")
    )


# What the back office calls the actions of the settings' entities (bookings have
# their own labels, bookings.domain.history).
ACTIONS = {
    "created": gettext_lazy("created"),
    "updated": gettext_lazy("changed"),
    "deleted": gettext_lazy("deleted"),
    "cancelled": gettext_lazy("cancelled"),
    "invited": gettext_lazy("invited"),
    "hours_replaced": gettext_lazy("weekly hours changed"),
    "hours_added": gettext_lazy("hours added"),
    "hours_changed": gettext_lazy("hours changed"),
    "hours_deleted": gettext_lazy("hours removed"),
    "time_off_added": gettext_lazy("time off added"),
    "time_off_changed": gettext_lazy("time off changed"),
    "time_off_deleted": gettext_lazy("time off removed"),
    "exception_added": gettext_lazy("date exception added"),
    "exception_changed": gettext_lazy("date exception changed"),
    "exception_deleted": gettext_lazy("date exception removed"),
    "meeting_provider_set": gettext_lazy("video provider chosen"),
    "meeting_default_set": gettext_lazy("default video provider chosen"),
    "notifications_changed": gettext_lazy("notification settings changed"),
    "notifications_reset": gettext_lazy("notification settings reset"),
    "paid": gettext_lazy("paid"),
    "failed": gettext_lazy("failed"),
    "payment_settings_changed": gettext_lazy("payment settings changed"),
    "archived": gettext_lazy("taken off sale"),
    "bought": gettext_lazy("bought"),
    "activated": gettext_lazy("activated"),
    "spent": gettext_lazy("entry spent"),
    "returned": gettext_lazy("entry given back"),
    "card_declined": gettext_lazy("card declined"),
    "amount_mismatch": gettext_lazy("amount did not match"),
    "paid_late": gettext_lazy("paid after the hold ended"),
    "checkout_started": gettext_lazy("card checkout opened"),
    "refund_requested": gettext_lazy("refund asked for"),
    "refund_answered": gettext_lazy("refund answered"),
    "refund_failed": gettext_lazy("refund failed"),
    "refunded": gettext_lazy("refunded"),
}
SHOWN_MAX = 80
ISO_MOMENT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?[+-]\d\d:\d\d")


@dataclass(frozen=True)
class HistoryRow:
    at: datetime
    who: str
    action: str
    summary: str


def _field_label(name: str, sources: Iterable[type[models.Model]]) -> str:
    for model in sources:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        # A reverse relation (a staff member's services) is named by the rows it holds.
        label = getattr(field, "verbose_name", None)
        if label:
            return str(label)
        related = field.related_model
        assert related is not None  # only a relation has no verbose name
        return str(related._meta.verbose_name_plural)
    return name.replace("_", " ")


def _shown(value: Any) -> str:
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    if value in (None, "", [], {}):
        return "—"
    if isinstance(value, list):
        text = ", ".join(str(v) for v in value)
    elif isinstance(value, dict):
        text = ", ".join(f"{k}: {v}" for k, v in value.items())
    elif isinstance(value, str) and ISO_MOMENT.fullmatch(value):
        # A moment was stored as ISO text (_plain): shown in the page's language and zone.
        moment = timezone.localtime(datetime.fromisoformat(value))
        text = formats.date_format(moment, "SHORT_DATETIME_FORMAT")
    else:
        text = str(value)
    return text if len(text) <= SHOWN_MAX else text[: SHOWN_MAX - 1] + "…"


def change_summary(changes: Mapping[str, Any], sources: Iterable[type[models.Model]] = ()) -> str:
    """ "name: Cut → Haircut; price: 30.00 → 35.00; secret changed", in the active language."""
    sources = tuple(sources)
    parts = []
    for name, value in changes.items():
        label = _field_label(name, sources)
        if value == SECRET_CHANGED:
            parts.append(_("%(field)s changed") % {"field": label})
        # A pair is (old, new); "fields" is a fact, the names a customer edit changed.
        elif isinstance(value, list) and len(value) == 2 and name != "fields":
            parts.append(f"{label}: {_shown(value[0])} → {_shown(value[1])}")
        else:
            parts.append(f"{label}: {_shown(value)}")
    return "; ".join(parts)


def history(
    entity: str,
    entity_id: object,
    *,
    sources: Iterable[type[models.Model]] = (),
    limit: int = 50,
) -> list[HistoryRow]:
    """The latest changes to one entity, newest first, each told in words: who, the
    action and its fields (labelled by the verbose names of the models in `sources`)."""
    entries = (
        AuditEntry.objects.filter(entity=entity, entity_id=str(entity_id))
        .select_related("user")
        .order_by("-at", "-id")[:limit]
    )
    return [
        HistoryRow(
            at=entry.at,
            who=who_label(entry),
            action=str(ACTIONS.get(entry.action, entry.action)),
            summary=change_summary(entry.changes, sources),
        )
        for entry in entries
    ]


def who_label(entry: AuditEntry) -> str:
    """ "the customer", "staff: ines", "operator: root", "the system"."""
    name = entry.actor_label or (entry.user.get_username() if entry.user else "")
    if entry.actor_kind == CUSTOMER:
        return _("the customer")
    if entry.actor_kind == SYSTEM:
        return _("the system")
    if entry.actor_kind == OPERATOR:
        return _("operator: %(name)s") % {"name": name} if name else _("an operator")
    return _("staff: %(name)s") % {"name": name} if name else _("staff")


class ActorMiddleware:
    """Who a signed-in user's request acts as (after AuthenticationMiddleware)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        who = None
        if user is not None and user.is_authenticated:
            # A superuser is an operator in the admin; in the back office they act as
            # the company member they also are.
            operator = user.is_superuser and request.path.startswith("/admin/")
            who = Who(OPERATOR if operator else STAFF, user.pk, user.get_username())
        token = _acting.set(who)
        try:
            return self.get_response(request)
        finally:
            _acting.reset(token)
