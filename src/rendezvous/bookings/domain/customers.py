from contextlib import nullcontext

from django.db import IntegrityError, connection, transaction

from rendezvous.bookings.models import Customer
from rendezvous.companies.models import Company

from .details import CustomerDetails


def customer_get_or_create(
    *, company: Company, details: CustomerDetails, language: str
) -> Customer:
    """The company's customer with this email, created from the details if new.

    Side effects: may insert a Customer. A concurrent insert of the same email is
    caught in a savepoint and the winner's row returned.
    """
    email = details.email.lower()
    existing = Customer.objects.filter(company=company, email__iexact=email).first()
    if existing:
        return existing
    # The savepoint keeps a PostgreSQL transaction usable after a lost race. SQLite
    # needs none: its writers run one at a time, and a failed INSERT there does not
    # spoil the transaction anyway.
    guard = nullcontext() if connection.vendor == "sqlite" else transaction.atomic()
    try:
        with guard:
            return Customer.objects.create(
                company=company,
                first_name=details.first_name,
                last_name=details.last_name,
                email=email,
                phone=details.phone,
                language=language,
            )
    except IntegrityError:
        return Customer.objects.get(company=company, email__iexact=email)
