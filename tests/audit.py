"""The audit log as tests read it: every entry, and a staff user acting (core.audit)."""

import json

from rendezvous.core.audit import STAFF, Who, acting
from rendezvous.core.models import AuditEntry


def entries() -> list[AuditEntry]:
    return list(AuditEntry.objects.order_by("id"))


def as_staff(user):
    """Act as `user` in the back office (what ActorMiddleware says for a request)."""
    return acting(Who(STAFF, user.pk, user.get_username()))


def everything_logged() -> str:
    """Every entry as JSON, to prove a value appears nowhere in the log."""
    return json.dumps(list(AuditEntry.objects.values()), default=str)
