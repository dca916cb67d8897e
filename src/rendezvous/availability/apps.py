from django.apps import AppConfig


class AvailabilityConfig(AppConfig):
    name = "rendezvous.availability"

    def ready(self) -> None:
        from . import signals

        signals.connect()
