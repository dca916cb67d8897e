from contextlib import nullcontext

from django.db import IntegrityError, connection, transaction
from django.db.models.functions import Lower

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
    existing = _same_email(company, email).first()
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
        return _same_email(company, email).get()


def _same_email(company: Company, email: str):
    # LOWER(email) is what the unique index holds (Customer.Meta), so this lookup uses
    # it; email__iexact (LIKE on SQLite, UPPER on PostgreSQL) would scan the table.
    # Unordered: the model's default ordering would join the company for one row.
    return (
        Customer.objects.alias(email_lower=Lower("email"))
        .filter(company=company, email_lower=email)
        .order_by()
    )
