from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .audit import who_label
from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit log, read-only: entries are written by the domain functions alone."""

    list_display = ("at", "entity", "entity_id", "action", "actor_kind", "who")
    list_filter = ("entity", "action", "actor_kind")
    search_fields = ("entity_id__exact",)
    date_hierarchy = "at"
    list_select_related = ("user",)

    @admin.display(description=_("who"))
    def who(self, obj: AuditEntry) -> str:
        return who_label(obj)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
