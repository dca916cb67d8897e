from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "rendezvous.notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        # `rendezvous serve` starts the huey consumer without autodiscovery: import the
        # periodic sweeps here so every process that runs a worker has them.
        from . import tasks  # noqa: F401, PLC0415 (tasks register once the apps are loaded)
        from .subscribers import subscribe  # noqa: PLC0415 (it imports models: loaded only now)

        subscribe()
