from django.apps import AppConfig


class BookingsConfig(AppConfig):
    name = "rendezvous.bookings"

    def ready(self) -> None:
        from rendezvous.core.demo import demo_seeded  # noqa: PLC0415 (apps are loaded only now)

        from .demo import on_demo_seeded  # noqa: PLC0415 (its models are loaded only now)

        demo_seeded.connect(on_demo_seeded, dispatch_uid="bookings-demo")
