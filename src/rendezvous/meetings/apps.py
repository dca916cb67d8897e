from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    name = "rendezvous.meetings"
    label = "meetings"
    verbose_name = _("Online meetings")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The retry sweep and the missing-link warning are periodic tasks: a worker
        # knows them only once this module is imported, and the domain imports it
        # lazily (on the first booking with a remote provider), so a restarted
        # worker would run neither until then.
        from . import tasks  # noqa: F401, PLC0415 (tasks register once the apps are loaded)
        from .subscribers import register_reveal, subscribe  # noqa: PLC0415 (it imports models: loaded only now)

        subscribe()
        register_reveal()
