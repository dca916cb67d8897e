"""Customer records: made by a booking (customer_get_or_create), corrected, merged,
exported and erased by staff in the back office; each change is in the audit log."""

from contextlib import nullcontext

from django.db import IntegrityError, connection, transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from rendezvous.bookings.models import Booking, Customer
from rendezvous.companies.models import Company
from rendezvous.core.audit import logged
from rendezvous.core.errors import ValidationFailed

from .details import CustomerDetails, clean_details


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


CUSTOMER_ENTITY = "customer"
ERASED_NAME = "—"


def is_erased(first_name: str, last_name: str) -> bool:
    """An erased customer's bookings keep ERASED_NAME in both names (customer_erase)."""
    return first_name == ERASED_NAME and last_name == ERASED_NAME


def display_name(first_name: str, last_name: str) -> str:
    """A customer's name as staff read it: an erased one's is one label, not "— —"."""
    if is_erased(first_name, last_name):
        return str(_("Erased customer"))
    return f"{first_name} {last_name}"


def _customer_logged(customer: Customer, action: str, **changes) -> None:
    logged(customer, CUSTOMER_ENTITY, action, changes)


def customer_update(
    *,
    customer: Customer,
    details: CustomerDetails,
    language: str,
    notes: str,
) -> Customer:
    """Staff correct a customer's contact details, language or notes.

    Side effects, in order:
    1. validate: the details as the booking form checks them, a language of the
       company, notes; the email not another customer's of the company
    2. lock: the customer row
    3. write: the customer; the audit entry names the fields changed (not their values)
    Raises ValidationFailed; nothing is written then.
    """
    details = clean_details(details, notes=notes)
    if language not in customer.company.languages:
        raise ValidationFailed(fields={"language": [_("Pick one of the company's languages.")]})
    email = details.email.lower()
    if _same_email(customer.company, email).exclude(pk=customer.pk).exists():
        raise ValidationFailed(
            fields={"email": [_("Another customer has this email: merge the two instead.")]}
        )
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        values = {
            "first_name": details.first_name,
            "last_name": details.last_name,
            "email": email,
            "phone": details.phone,
            "language": language,
            "notes": notes.strip(),
        }
        changed = [name for name, value in values.items() if getattr(locked, name) != value]
        if not changed:
            return locked
        for name in changed:
            setattr(locked, name, values[name])
        locked.save(update_fields=changed)
        _customer_logged(locked, "updated", fields=changed)
    return locked


def customer_merge(*, keep: Customer, duplicate: Customer) -> Customer:
    """Fold a duplicate customer record into `keep`: its bookings move over, its notes
    are appended, and the duplicate row is deleted.

    Side effects, in order:
    1. validate: two different customers of one company
    2. lock: both rows, in id order
    3. write: the duplicate's bookings point at `keep`; notes joined; the duplicate
       deleted; an audit entry on `keep` (with how many bookings moved)
    Raises ValidationFailed.
    """
    if keep.pk == duplicate.pk or keep.company_id != duplicate.company_id:
        raise ValidationFailed(fields={"duplicate": [_("Pick another customer of this company.")]})
    with transaction.atomic():
        rows = {
            row.pk: row
            for row in Customer.objects.select_for_update()
            .filter(pk__in=[keep.pk, duplicate.pk])
            .order_by("pk")
        }
        if len(rows) != 2:
            raise ValidationFailed(fields={"duplicate": [_("This customer does not exist.")]})
        kept, gone = rows[keep.pk], rows[duplicate.pk]
        moved = Booking.objects.filter(customer=gone).update(customer=kept)
        if gone.notes:
            kept.notes = "\n\n".join(n for n in (kept.notes, gone.notes) if n)
            kept.save(update_fields=["notes"])
        _customer_logged(kept, "merged", duplicate=gone.pk, bookings=moved)
        gone.delete()
    return kept


def customer_export(*, customer: Customer) -> dict:
    """Everything we hold on one customer, for their access request (JSON-ready).

    Side effects: an audit entry ("exported") on the customer.
    """
    bookings = list(
        Booking.objects.filter(customer=customer)
        .select_related("service", "staff")
        .order_by("start")
    )
    with transaction.atomic():
        _customer_logged(customer, "exported")
    return {
        "customer": {
            "first_name": customer.first_name,
            "last_name": customer.last_name,
            "email": customer.email,
            "phone": customer.phone,
            "language": customer.language,
            "notes": customer.notes,
            "created_at": customer.created_at.isoformat(),
        },
        "bookings": [
            {
                "id": str(b.pk),
                "service": b.service.name,
                "staff": b.staff.name if b.staff else None,
                "start": b.start.isoformat(),
                "end": b.end.isoformat(),
                "status": b.status,
                "online": b.online,
                "payment_status": b.payment_status,
                "first_name": b.first_name,
                "last_name": b.last_name,
                "email": b.email,
                "phone": b.phone,
                "notes": b.notes,
                "source": b.source,
                "created_at": b.created_at.isoformat(),
            }
            for b in bookings
        ],
    }


def customer_erase(*, customer: Customer) -> int:
    """Erase a customer on request: their bookings stay (the counts and the calendar
    keep their shape) with every personal field blanked, and the customer row goes.

    Side effects, in order:
    1. lock: the customer row
    2. write: each booking's name, email, phone, notes and zone blanked; the customer
       deleted; an audit entry ("erased", with the number of bookings, no personal data)
    Returns how many bookings were anonymised.
    """
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        count = Booking.objects.filter(customer=locked).update(
            first_name=ERASED_NAME,
            last_name=ERASED_NAME,
            email=f"erased-{locked.pk}@erased.invalid",
            phone="",
            notes="",
            timezone="",
            customer=None,
        )
        _customer_logged(locked, "erased", bookings=count)
        locked.delete()
    return count
