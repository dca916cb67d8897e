"""Passes: products on sale (N entries within D days, for some services), the passes
customers buy, and the entries they spend on bookings.

| function | writes | refuses |
| --- | --- | --- |
| pass_product_create / pass_product_update | the PassProduct and its services | bad fields, services of another company (400) |
| pass_product_archive | `active` off: no longer sold; passes sold stay usable | - |
| pass_product_delete | the PassProduct | one that was ever sold (409: archive it instead) |
| pass_purchase | a CustomerPass (inactive) and its pending Payment; by card, none while one of the product waits for its checkout (that one is returned) | a product of another company or off sale, a method the company does not take for passes (409) |
| pass_activate | the pass: active, `expires_at` = now + the product's days | a pass already active (409) |
| pass_spend | one entry fewer, a PassUse, a paid Payment (method `pass`), the booking paid | a booking with nothing to pay or for several people, no pass that covers it (409) |
| pass_return | the entry back, the PassUse's `returned_at`, the Payment and the booking refunded | a booking no entry was spent on (409) |
| passes_on_sale / passes_of | - (reads) | - |

The money came in when the pass was bought: the Payment a spent entry records has the
amount 0, so reports of payments per period count the pass once (its purchase) and
not again for each class it pays. It says that the booking is settled and how.

Locks, in this order everywhere: the booking row, then the customer's passes in id
order. Two spends of the last entry at once (two tabs, two bookings) queue on the
pass rows; the second re-reads `entries_left` under the lock and finds none. All the
customer's passes are locked, not only the one chosen, because on PostgreSQL a
locked `LIMIT 1` query that waited may come back empty although another pass fits.

pass_activate does not touch the pass's Payment: whatever confirms the payment (the
card webhook, staff marking a transfer received) marks it paid and calls
pass_activate in the same transaction. Whether a cancellation gives the entry back
(within the cut-off) is the caller's decision; pass_return does it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from rendezvous.bookings.domain import booking_record_payment
from rendezvous.bookings.domain.locking import booking_transaction
from rendezvous.bookings.models import ACTIVE_STATUSES, Booking, Customer, PaymentStatus
from rendezvous.catalog.domain import PRICE_MAX, clean_translations
from rendezvous.catalog.models import Service
from rendezvous.companies.domain import FieldErrors, clean_bool, clean_int, clean_text
from rendezvous.companies.models import Company
from rendezvous.core.audit import field_changes, logged, row_values
from rendezvous.core.errors import InvalidState, ValidationFailed

from ..models import (
    CustomerPass,
    Method,
    PassProduct,
    PassUse,
    Payment,
    PaymentSettings,
    PaymentState,
)
from .bank import transfer_start_for_pass
from .money import parse_amount, quantize

NAME_MAX = 200
DESCRIPTION_MAX = 5000
ENTRIES_MAX = 1000
VALID_DAYS_MAX = 3650
POSITION_MAX = 1_000_000
SERVICES_MAX = 1000
PASS_TEXTS = {"name": (NAME_MAX, False), "description": (DESCRIPTION_MAX, True)}
# How a pass may be paid for: not with itself or with credits; at the desk, yes.
PURCHASE_METHODS = (Method.CARD, Method.BANK_TRANSFER, Method.ON_SITE)
# The audit log's entity names (core.audit).
PASS_PRODUCT, CUSTOMER_PASS = "pass_product", "customer_pass"


@dataclass(frozen=True)
class PassProductFields:
    """Every field of a pass on sale; an update replaces them all. `services` are ids
    of the company's services, the ones an entry may pay for (at least one)."""

    name: str
    entries: int
    valid_days: int
    price: Decimal
    services: tuple[int, ...]
    description: str = ""
    translations: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    active: bool = True
    position: int = 0


@dataclass(frozen=True)
class _Cleaned:
    values: dict[str, object]
    services: list[Service]


def _clean_product(company: Company, fields: PassProductFields) -> _Cleaned:
    errors = FieldErrors()
    values: dict[str, object] = {
        "name": clean_text(errors, "name", fields.name, max_length=NAME_MAX),
        "description": clean_text(
            errors,
            "description",
            fields.description,
            max_length=DESCRIPTION_MAX,
            required=False,
            multiline=True,
        ),
        "translations": clean_translations(errors, company, fields.translations, texts=PASS_TEXTS),
        "entries": clean_int(errors, "entries", fields.entries, low=1, high=ENTRIES_MAX),
        "valid_days": clean_int(
            errors, "valid_days", fields.valid_days, low=1, high=VALID_DAYS_MAX
        ),
        "active": clean_bool(errors, "active", fields.active),
        "position": clean_int(errors, "position", fields.position, low=0, high=POSITION_MAX),
    }
    try:
        price = parse_amount(fields.price, company.currency, field="price")
    except ValidationFailed as exc:
        for problem in (exc.fields or {}).get("price", []):
            errors.add("price", problem)
    else:
        if price > PRICE_MAX:
            errors.add("price", _("Enter an amount from 0 to %(max)s.") % {"max": PRICE_MAX})
        values["price"] = price
    services: list[Service] = []
    ids = fields.services
    if not isinstance(ids, tuple) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in ids
    ):
        errors.add("services", _("Enter a list of ids."))
    elif not ids:
        errors.add("services", _("Choose at least one service the pass is good for."))
    elif len(ids) > SERVICES_MAX:
        errors.add("services", _("Enter a list of ids."))
    else:
        services = list(Service.objects.filter(company=company, pk__in=ids).order_by("pk"))
        unknown = sorted(set(ids) - {s.pk for s in services})
        if unknown:
            errors.add(
                "services", _("Unknown id: %(id)s.") % {"id": ", ".join(map(str, unknown))[:64]}
            )
    errors.raise_if_any()
    return _Cleaned(values, services)


def pass_product_create(*, company: Company, fields: PassProductFields) -> PassProduct:
    """Put a pass on sale.

    Side effects, in order:
    1. validate: name and description (length, control characters), translations in
       the company's languages, entries 1..1000, valid days 1..3650, the price in the
       company currency's minor units, services of this company (at least one)
    2. write: the PassProduct, then its services; an audit entry
    Raises ValidationFailed; nothing is written then.
    """
    cleaned = _clean_product(company, fields)
    with transaction.atomic():
        product = PassProduct.objects.create(company=company, **cleaned.values)
        product.services.set(cleaned.services)
        logged(
            product,
            PASS_PRODUCT,
            "created",
            field_changes({}, {**cleaned.values, "services": cleaned.services}),
        )
    return product


def pass_product_update(*, product: PassProduct, fields: PassProductFields) -> PassProduct:
    """Replace a pass product's fields. Passes already sold keep their entries; their
    expiry, set when they were activated, stays.

    Side effects, in order:
    1. validate: as pass_product_create
    2. lock: the product row
    3. write: its fields and services; an audit entry of what changed
    Raises ValidationFailed; nothing is written then.
    """
    cleaned = _clean_product(product.company, fields)
    with transaction.atomic():
        locked = PassProduct.objects.select_for_update(of=("self",)).get(pk=product.pk)
        before = {
            **row_values(locked, cleaned.values),
            "services": list(locked.services.order_by("pk")),
        }
        for name, value in cleaned.values.items():
            setattr(locked, name, value)
        locked.save(update_fields=list(cleaned.values))
        locked.services.set(cleaned.services)
        changes = field_changes(before, {**cleaned.values, "services": cleaned.services})
        if changes:
            logged(locked, PASS_PRODUCT, "updated", changes)
    return locked


def pass_product_archive(*, product: PassProduct) -> PassProduct:
    """Take a pass off sale; the passes customers own stay usable until they expire.
    Side effects: lock the product row; `active` off; an audit entry."""
    with transaction.atomic():
        locked = PassProduct.objects.select_for_update(of=("self",)).get(pk=product.pk)
        if locked.active:
            locked.active = False
            locked.save(update_fields=["active"])
            logged(locked, PASS_PRODUCT, "archived", {"active": (True, False)})
    return locked


def pass_product_delete(*, product: PassProduct) -> None:
    """Delete a pass product nobody ever bought.

    Side effects, in order: lock the product row; re-check that no pass of it was
    sold; delete it. Raises InvalidState for one that was sold: archive it instead, so
    the passes and their payments keep what they were.
    """
    with transaction.atomic():
        locked = PassProduct.objects.select_for_update(of=("self",)).filter(pk=product.pk).first()
        if locked is None:
            return
        if locked.sold.exists():
            raise InvalidState(_("Customers bought this pass; take it off sale instead."))
        logged(locked, PASS_PRODUCT, "deleted", {"name": (locked.name, None)})
        locked.delete()


# -- reading ---------------------------------------------------------------------------


def passes_on_sale(company: Company) -> list[PassProduct]:
    """The company's passes on sale, in their order, with the services they are good
    for (prefetched: a list costs two queries whatever its length)."""
    return list(
        PassProduct.objects.filter(company=company, active=True)
        .prefetch_related("services")
        .order_by("position", "name", "pk")
    )


def passes_of(customer: Customer) -> list[tuple[CustomerPass, Payment | None]]:
    """The customer's passes with this company, newest first, each with the payment of
    its purchase that is still under way (None once paid, or for a free pass): what a
    customer waiting for a transfer needs to see again."""
    passes = list(
        CustomerPass.objects.filter(customer=customer, company_id=customer.company_id)
        .select_related("product")
        .order_by("-created_at", "-pk")
    )
    pending: dict[int, Payment] = {}
    for payment in Payment.objects.filter(
        customer_pass__in=[p.pk for p in passes],
        booking__isnull=True,
        state=PaymentState.PENDING,
    ).select_related("company"):
        assert payment.customer_pass_id is not None
        pending.setdefault(payment.customer_pass_id, payment)
    return [(p, None if p.active else pending.get(p.pk)) for p in passes]


# -- buying and activating ------------------------------------------------------------


def _payment_settings(company: Company) -> PaymentSettings:
    """The company's payment settings; the defaults while it has saved none."""
    found = PaymentSettings.objects.filter(company=company).first()
    return found if found is not None else PaymentSettings(company=company)


def _method_enabled(settings: PaymentSettings, method: str) -> bool:
    return {
        Method.CARD: settings.card,
        Method.BANK_TRANSFER: settings.bank_transfer,
        Method.ON_SITE: settings.on_site,
    }.get(Method(method), False)


def pass_purchase(
    *, customer: Customer, product: PassProduct, method: str, now: datetime
) -> CustomerPass:
    """A customer buys a pass: it waits, inactive, for its payment.

    Side effects, in order:
    1. validate: the product is this customer's company's and on sale; the company
       sells passes and takes `method` (card, bank transfer or on site) for them
    2. lock: the customer row (two tabs, a double click: one purchase at a time)
    3. re-check, by card: a pass of this product still waiting for a card checkout
       that has not run out is returned as it is (a second "buy" continues the first
       checkout instead of buying twice)
    4. write: the CustomerPass (inactive, all entries left) and a pending Payment of
       the price in the company currency (a transfer's through
       bank.transfer_start_for_pass: its reference and due date); a free pass is paid
       and active at once (pass_activate)
    5. an audit entry on the pass
    Raises InvalidState; nothing is written then.
    """
    company = customer.company
    if product.company_id != company.pk:
        raise InvalidState(_("This pass is not sold here."))
    if not product.active:
        raise InvalidState(_("This pass is no longer on sale."))
    settings = _payment_settings(company)
    if not settings.passes:
        raise InvalidState(_("This company does not sell passes."))
    if method not in PURCHASE_METHODS or not _method_enabled(settings, method):
        raise InvalidState(_("This payment method is not available for passes."))
    currency = company.currency
    amount = quantize(product.price, currency)
    with booking_transaction():
        # The customer's row is the lock: a second purchase waits for this one's commit.
        Customer.objects.select_for_update().get(pk=customer.pk)
        if method == Method.CARD:
            waiting = _card_purchase_open(customer, product, now)
            if waiting is not None:
                return waiting
        customer_pass = CustomerPass.objects.create(
            company=company,
            customer=customer,
            product=product,
            entries_total=product.entries,
            entries_left=product.entries,
        )
        free = amount == 0
        if method == Method.BANK_TRANSFER and not free:
            # The one home of a transfer's reference and due date.
            transfer_start_for_pass(customer_pass=customer_pass, now=now)
        else:
            Payment.objects.create(
                company=company,
                customer_pass=customer_pass,
                method=method,
                state=PaymentState.PAID if free else PaymentState.PENDING,
                amount=amount,
                currency=currency,
                paid_at=now if free else None,
            )
        logged(
            customer_pass,
            CUSTOMER_PASS,
            "bought",
            {"product": product, "method": method, "amount": amount},
        )
        if free:
            customer_pass = pass_activate(customer_pass=customer_pass, now=now)
    return customer_pass


def _card_purchase_open(
    customer: Customer, product: PassProduct, now: datetime
) -> CustomerPass | None:
    """The customer's inactive pass of `product` whose card payment waits and whose
    checkout has not run out (not started yet, or open), if any."""
    payment = (
        Payment.objects.filter(
            customer_pass__customer=customer,
            customer_pass__product=product,
            customer_pass__active=False,
            booking__isnull=True,
            method=Method.CARD,
            state=PaymentState.PENDING,
        )
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .select_related("customer_pass")
        .order_by("-created_at", "-pk")
        .first()
    )
    return payment.customer_pass if payment is not None else None


def pass_activate(*, customer_pass: CustomerPass, now: datetime) -> CustomerPass:
    """The pass was paid: it can be spent from now for the product's days.

    Side effects, in order: lock the pass row; re-check that it is not active yet;
    `active` on and `expires_at` = now + the product's valid days; an audit entry.
    Raises InvalidState for a pass already active (a second confirmation must not
    move its expiry).
    """
    with transaction.atomic():
        locked = (
            CustomerPass.objects.select_for_update(of=("self",))
            .select_related("product")
            .get(pk=customer_pass.pk)
        )
        if locked.active:
            raise InvalidState(_("This pass is active already."))
        locked.active = True
        locked.expires_at = now + timedelta(days=locked.product.valid_days)
        locked.save(update_fields=["active", "expires_at"])
        logged(locked, CUSTOMER_PASS, "activated", {"expires_at": locked.expires_at})
    return locked


# -- spending and giving back ----------------------------------------------------------


def _locked_booking(booking: Booking) -> Booking:
    return (
        Booking.objects.select_for_update(of=("self",))
        .select_related("company", "service")
        .get(pk=booking.pk)
    )


def _check_payable(booking: Booking) -> None:
    if booking.customer_id is None:
        raise InvalidState(_("Pass entries pay for bookings of known customers only."))
    if booking.status not in ACTIVE_STATUSES:
        raise InvalidState(_("This booking is not active."))
    if booking.payment_status == PaymentStatus.NOT_REQUIRED:
        raise InvalidState(_("This booking has nothing to pay."))
    if booking.payment_status != PaymentStatus.PENDING:
        raise InvalidState(_("This booking is paid already."))
    if booking.participants != 1:
        raise InvalidState(_("A pass entry pays for one person; pay this booking another way."))


def pass_spend(*, booking: Booking, now: datetime) -> PassUse:
    """Pay a booking with one entry of the customer's pass.

    Side effects, in order:
    1. validate: the booking has a customer, is active, has a payment due, for one person
    2. lock: the booking row, then the customer's passes in id order
    3. re-check: the same, on the locked booking; pick the active, unexpired pass with
       entries left whose product covers the booking's service, earliest expiry first
    4. write: one entry fewer, the PassUse, a paid Payment (method `pass`, amount 0:
       see the module's docstring); the booking paid (booking_record_payment, whose
       PaymentRecorded event emails the customer after commit)
    Raises InvalidState; nothing is written then.
    """
    _check_payable(booking)
    with booking_transaction():
        locked = _locked_booking(booking)
        _check_payable(locked)
        passes = list(
            CustomerPass.objects.select_for_update(of=("self",))
            .filter(customer=locked.customer, company_id=locked.company_id)
            .order_by("pk")
        )
        covering = set(
            PassProduct.objects.filter(
                pk__in={p.product_id for p in passes}, services=locked.service_id
            ).values_list("pk", flat=True)
        )
        usable = [
            p
            for p in passes
            if p.active
            and p.entries_left > 0
            and p.expires_at is not None
            and p.expires_at > now
            and p.product_id in covering
        ]
        if not usable:
            raise InvalidState(
                _("You have no active pass with an entry left for %(service)s.")
                % {"service": locked.service.name}
            )
        chosen = min(usable, key=lambda p: (p.expires_at or now, p.pk))
        chosen.entries_left -= 1
        chosen.save(update_fields=["entries_left"])
        use = PassUse.objects.create(customer_pass=chosen, booking=locked)
        Payment.objects.create(
            company_id=locked.company_id,
            booking=locked,
            customer_pass=chosen,
            method=Method.PASS,
            state=PaymentState.PAID,
            amount=Decimal(0),
            currency=locked.company.currency,
            paid_at=now,
        )
        logged(
            chosen,
            CUSTOMER_PASS,
            "spent",
            {"booking": locked.pk, "entries_left": (chosen.entries_left + 1, chosen.entries_left)},
        )
        booking_record_payment(booking=locked, status=PaymentStatus.PAID)
    booking.refresh_from_db()
    return use


def pass_return(*, booking: Booking, now: datetime) -> PassUse:
    """Give back the entry spent on a booking (a cancellation within the cut-off: the
    caller decides). The pass may have expired meanwhile; the entry goes back anyway,
    so the counts stay true.

    Side effects, in order:
    1. lock: the booking row, then the pass the entry came from
    2. re-check: an entry was spent on the booking and not given back yet
    3. write: one entry more, the PassUse's `returned_at`, its Payment `refunded`, the
       booking's payment `refunded` (booking_record_payment) when it was paid
    Raises InvalidState; nothing is written then.
    """
    with booking_transaction():
        locked = _locked_booking(booking)
        use = (
            PassUse.objects.filter(booking=locked, returned_at__isnull=True).order_by("pk").first()
        )
        if use is None:
            raise InvalidState(_("No pass entry was spent on this booking."))
        customer_pass = CustomerPass.objects.select_for_update(of=("self",)).get(
            pk=use.customer_pass_id
        )
        customer_pass.entries_left += 1
        customer_pass.save(update_fields=["entries_left"])
        use.returned_at = now
        use.save(update_fields=["returned_at"])
        Payment.objects.filter(
            booking=locked,
            customer_pass=customer_pass,
            method=Method.PASS,
            state=PaymentState.PAID,
        ).update(state=PaymentState.REFUNDED, updated_at=now)
        logged(
            customer_pass,
            CUSTOMER_PASS,
            "returned",
            {
                "booking": locked.pk,
                "entries_left": (customer_pass.entries_left - 1, customer_pass.entries_left),
            },
        )
        if locked.payment_status == PaymentStatus.PAID:
            booking_record_payment(booking=locked, status=PaymentStatus.REFUNDED)
    booking.refresh_from_db()
    return use
