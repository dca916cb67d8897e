from django.apps import AppConfig


class BookingsConfig(AppConfig):
    name = "rendezvous.bookings"

    def ready(self) -> None:
        from . import signals  # noqa: PLC0415 (signals connect once the models are loaded)

        signals.connect()
