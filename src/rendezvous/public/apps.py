from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicConfig(AppConfig):
    name = "rendezvous.public"
    label = "public"
    verbose_name = _("Booking site")
