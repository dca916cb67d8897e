from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "rendezvous.payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        # `rendezvous serve` starts the huey consumer without autodiscovery: importing
        # the sweep here gives every process that runs a worker the release of holds.
        from . import tasks  # noqa: F401, PLC0415 (tasks register once the apps are loaded)
        from .subscribers import subscribe  # noqa: PLC0415 (it imports models: loaded only now)

        subscribe()
