from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoomsConfig(AppConfig):
    name = "rendezvous.rooms"
    label = "rooms"
    verbose_name = _("Built-in video room")
    default_auto_field = "django.db.models.BigAutoField"
