"""Who may see and change what. Views and API handlers call these helpers; they never
check roles themselves (DESIGN.md invariant 6).

| role | bookings |
| --- | --- |
| admin | every booking of the company; may change settings |
| senior | every booking of the company |
| junior | only the bookings of the staff profile tied to them |
"""

from dataclasses import dataclass

from django.db.models import QuerySet

from rendezvous.bookings.models import Booking
from rendezvous.core.errors import Forbidden, NotFound

from .models import Company, Role


@dataclass(frozen=True)
class Actor:
    """A staff identity in one company: a logged-in member or an API token."""

    company: Company
    role: str
    staff_id: int | None

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


def access_bookings(actor: Actor) -> QuerySet[Booking]:
    """The bookings this actor may see."""
    qs = Booking.objects.filter(company=actor.company)
    if actor.role == Role.JUNIOR:
        qs = qs.filter(staff_id=actor.staff_id) if actor.staff_id else qs.none()
    return qs


def access_booking(actor: Actor, booking_id) -> Booking:
    """One booking the actor may see: NotFound for another company's, Forbidden for a
    junior reaching a colleague's booking."""
    booking = Booking.objects.filter(pk=booking_id).select_related("company", "service").first()
    if booking is None or booking.company_id != actor.company.id:
        raise NotFound()
    if not access_bookings(actor).filter(pk=booking.pk).exists():
        raise Forbidden()
    return booking


def access_company(actor: Actor, slug: str) -> Company:
    if actor.company.slug != slug:
        raise Forbidden()
    return actor.company
