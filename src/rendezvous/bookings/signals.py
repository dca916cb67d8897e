"""A booking saved or deleted bumps its company's availability version (availability.cache).

The same rule as availability.signals for the rows below it: a booking takes the time
it holds, and a signal cannot be missed by a write outside the domain functions (the
admin). Connected from here because bookings sits above availability.
"""

from django.db.models.signals import post_delete, post_save

from rendezvous.availability.cache import availability_changed

from .models import Booking


def _booking_changed(sender, instance: Booking, **kwargs) -> None:
    availability_changed(instance.company_id)


def connect() -> None:
    post_save.connect(_booking_changed, sender=Booking, dispatch_uid="availability-Booking-save")
    post_delete.connect(
        _booking_changed, sender=Booking, dispatch_uid="availability-Booking-delete"
    )
