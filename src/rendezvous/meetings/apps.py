from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    name = "rendezvous.meetings"
    label = "meetings"
    verbose_name = _("Online meetings")
    default_auto_field = "django.db.models.BigAutoField"
