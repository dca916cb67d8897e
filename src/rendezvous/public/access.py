"""Who may see a booking on the public site: the one place that checks a manage link.

A manage link is `/manage/<booking id>/<token>/`. Two kinds of token open it:

| token | made by | stored | ends |
| --- | --- | --- | --- |
| the manage token | booking_create (256 random bits, shown once) | SHA-256 only | never |
| a signed token | `signed_manage_token` (My bookings, emails) | nothing: signed with SECRET_KEY (core.tokens.manage_token) | never; a new manage token would end them |

My bookings signs customers in with a link that works once (bookings.domain.signin).
"""

from __future__ import annotations

import uuid

from django.http import HttpRequest

from rendezvous.bookings.models import Booking, Customer
from rendezvous.companies.models import Company
from rendezvous.core import tokens
from rendezvous.core.errors import NotFound

SESSION_KEY = "rendezvous_customer_email:%s"  # per company id


def signed_manage_token(booking: Booking) -> str:
    """A manage token for links we send later (My bookings, emails): nothing stored."""
    return tokens.manage_token(booking.id, booking.manage_token_hash)


def manage_token_valid(booking: Booking, token: str) -> bool:
    """Does this token open this booking's manage page? Every kind of manage link ends here."""
    return tokens.manage_token_valid(booking.id, booking.manage_token_hash, token)


def booking_for_manage(booking_id: uuid.UUID | str, token: str) -> Booking:
    """The booking behind a manage link, or NotFound (the same for a wrong id or token)."""
    try:
        pk = uuid.UUID(str(booking_id))
    except ValueError as exc:
        raise NotFound() from exc
    booking = (
        Booking.objects.filter(pk=pk)
        .select_related(
            "company", "service", "service__company", "service__location", "staff", "session"
        )
        .first()
    )
    if booking is None or not manage_token_valid(booking, token):
        raise NotFound()
    return booking


def customer_bookings(company: Company, email: str):
    """Every booking of this email at this company (requests included)."""
    # service__company: the service's texts fall back to its company's default language.
    return Booking.objects.filter(company=company, email__iexact=email).select_related(
        "service", "staff", "service__location", "service__company", "company"
    )


def signed_in_email(request: HttpRequest, company: Company) -> str | None:
    """The address signed in to this company's My bookings in this browser, or None."""
    email = request.session.get(SESSION_KEY % company.pk)
    return email if isinstance(email, str) and email else None


def signed_in_customer(request: HttpRequest, company: Company) -> Customer | None:
    """The customer record behind the signed-in address (one per address and company,
    in any case), or None: signed out, or booked before customer records existed."""
    email = signed_in_email(request, company)
    if email is None:
        return None
    return Customer.objects.filter(company=company, email__iexact=email).first()
