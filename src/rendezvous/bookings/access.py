"""Which bookings and customer records a staff actor may see: the row scopes of
companies.access (who may do what) applied to this app's rows. Views and API handlers
call these; they never filter by role themselves (docs/architecture.md invariant 6)."""

from django.db.models import QuerySet

from rendezvous.companies.access import Actor, access_staff_scope
from rendezvous.core.errors import Forbidden, NotFound

from .models import Booking, Customer


def access_bookings(actor: Actor) -> QuerySet[Booking]:
    """The bookings this actor may see."""
    return Booking.objects.filter(access_staff_scope(actor, "staff_id"), company=actor.company)


def access_booking(actor: Actor, booking_id) -> Booking:
    """One booking the actor may see: NotFound for another company's, Forbidden for a
    junior reaching a colleague's booking."""
    booking = Booking.objects.filter(pk=booking_id).select_related("company", "service").first()
    if booking is None or booking.company_id != actor.company.id:
        raise NotFound()
    if not access_bookings(actor).filter(pk=booking.pk).exists():
        raise Forbidden()
    return booking


def access_customers(actor: Actor) -> QuerySet[Customer]:
    """The customer records the actor may see: the company's, or for a junior those
    with a booking in their own column."""
    customers = Customer.objects.filter(company=actor.company)
    if actor.sees_own_only:
        customers = customers.filter(
            pk__in=access_bookings(actor).filter(customer__isnull=False).values("customer_id")
        )
    return customers
