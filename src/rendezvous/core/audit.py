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
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

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
    named = who is not None and kind != CUSTOMER
    return AuditEntry.objects.create(
        company_id=company_id,
        entity=entity,
        entity_id=str(entity_id),
        action=action,
        actor_kind=OPERATOR if named and who.kind == OPERATOR else kind,
        user_id=who.user_id if named else None,
        actor_label=who.label if named else "",
        changes=changes or {},
        at=timezone.now(),
    )


def audit_trail(entity: str, entity_id: object) -> list[AuditEntry]:
    """The entity's history, oldest first, with each entry's user."""
    return list(
        AuditEntry.objects.filter(entity=entity, entity_id=str(entity_id))
        .select_related("user")
        .order_by("at", "id")
    )


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
