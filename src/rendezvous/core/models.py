"""The audit log's rows (core.audit writes and reads them)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """One change to one entity: who made it, when, and what it changed.

    `company_id` and `entity_id` are plain values, not foreign keys: core sits below
    the apps whose rows it records, and an entry must outlive what it describes (an
    erased customer's booking keeps its history).
    """

    company_id = models.BigIntegerField(db_index=True)
    entity = models.CharField(_("entity"), max_length=40)
    # Ids are opaque: bookings have UUIDs, most other rows numbers.
    entity_id = models.CharField(max_length=40)
    action = models.CharField(_("action"), max_length=60)
    # customer, staff, operator (a superuser in the admin) or system (a task).
    actor_kind = models.CharField(_("by"), max_length=16)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    actor_label = models.CharField(_("who"), max_length=200, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["entity", "entity_id", "at"], name="audit_entity_at")]

    def __str__(self) -> str:
        return f"{self.entity} {self.entity_id}: {self.action}"
