from django.apps import AppConfig

from rendezvous.availability import booked


class BookingsConfig(AppConfig):
    name = "rendezvous.bookings"

    def ready(self) -> None:
        from . import signals  # noqa: PLC0415 (signals connect once the models are loaded)
        from .busy import BookedTime  # noqa: PLC0415 (it imports models: loaded only now)

        signals.connect()
        # The slot search, below this app, reads bookings as busy time through a hook.
        booked.register(BookedTime())
