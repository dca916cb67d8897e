"""Back-office writes to services and class sessions.

| function | writes | refuses |
| --- | --- | --- |
| service_create / service_update | the Service and its staff | bad fields (400); switching the kind of a service that has bookings or sessions (409) |
| service_deactivate | `active` off: gone from the booking pages; bookings stay | - |
| session_create | a ClassSession | bad fields, a non-class service (400); staff member or resource busy then (409) |
| session_update | the session, and its bookings when it moves | a capacity below the seats taken (400); a started or cancelled session, `online` switched under bookings (409); staff or resource busy (409) |
| session_delete | the session | one that ever had a booking (409: cancel it instead, the bookings keep their history) |

Moving a session with bookings (new start, end, staff member or resource) moves its
bookings in the same transaction, as booking_reschedule would one by one: each gets
the new times, staff and resource, its meeting follows (meeting_booking_changed) and
the customer and staff hear of it (notify_booking_rescheduled). The session row is
locked first, the same lock seat_reserve takes, so no seat is sold at the old time
while it moves. The staff member's (and resource's) row is locked next, the same
lock booking_create takes, before checking that nobody else holds them then.

Saves go through the model, so availability.signals bump the availability version
after commit (ClassSession, Service and Service.staff are watched).
"""

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from rendezvous.bookings.domain.create import seats_taken
from rendezvous.bookings.domain.locking import booking_transaction
from rendezvous.bookings.models import ACTIVE_STATUSES, Booking
from rendezvous.companies.editing import (
    FieldErrors,
    clean_bool,
    clean_int,
    clean_text,
    company_row,
    company_rows,
)
from rendezvous.companies.models import Company, Location, Resource, StaffMember
from rendezvous.core.errors import InvalidState, SlotUnavailable, ValidationFailed

from .models import Category, ClassSession, Service, ServiceKind

NAME_MAX = 200
DESCRIPTION_MAX = 5000
DAY_MINUTES = 24 * 60
PRICE_MAX = Decimal("99999999.99")
POSITION_MAX = 1_000_000
CAPACITY_MAX = 10_000
PER_DAY_MAX = 1000
SESSION_MAX = timedelta(hours=24)
CURRENCY = re.compile(r"[A-Z]{3}")
SLUG = re.compile(r"[-a-zA-Z0-9_]+")
# The texts a customer sees, per model, with their limits: (max length, multi-line).
SERVICE_TEXTS = {"name": (NAME_MAX, False), "description": (DESCRIPTION_MAX, True)}
CATEGORY_TEXTS = {"name": (NAME_MAX, False)}


# -- texts per language --------------------------------------------------------------


def clean_translations(
    errors: FieldErrors,
    company: Company,
    value: Any,
    *,
    texts: Mapping[str, tuple[int, bool]],
    field: str = "translations",
) -> dict[str, dict[str, str]]:
    """{"de": {"name": ...}} with only languages the company offers and only the
    given texts, each checked like its base field (length, control characters).
    Empty texts and languages are dropped: those fall back to the default language.
    Errors are named `<field>.<language>.<text>`."""
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(v, Mapping) for v in value.values()):
        errors.add(field, _("Enter the texts as an object per language code."))
        return {}
    cleaned: dict[str, dict[str, str]] = {}
    for language, entry in value.items():
        if language not in company.languages:
            errors.add(f"{field}.{language}"[:80], _("This company does not offer that language."))
            continue
        for name, text in entry.items():
            if name not in texts:
                errors.add(
                    f"{field}.{language}.{name}"[:80],
                    _("Only these texts are translated: %(names)s.") % {"names": ", ".join(texts)},
                )
                continue
            max_length, multiline = texts[name]
            text = clean_text(
                errors,
                f"{field}.{language}.{name}",
                text,
                max_length=max_length,
                required=False,
                multiline=multiline,
            )
            if text:
                cleaned.setdefault(language, {})[name] = text
    return cleaned


# -- services ------------------------------------------------------------------------


def _clean_service(company: Company, values: Mapping[str, Any], *, service: Service | None):
    errors = FieldErrors()
    cleaned: dict[str, Any] = {}
    creating = service is None
    if creating or "name" in values:
        cleaned["name"] = clean_text(errors, "name", values.get("name"), max_length=NAME_MAX)
    if "description" in values:
        cleaned["description"] = clean_text(
            errors,
            "description",
            values["description"],
            max_length=DESCRIPTION_MAX,
            required=False,
            multiline=True,
        )
    if "translations" in values:
        cleaned["translations"] = clean_translations(
            errors, company, values["translations"], texts=SERVICE_TEXTS
        )
    if "kind" in values:
        if values["kind"] not in ServiceKind.values:
            errors.add("kind", _("Choose appointment or class."))
        else:
            cleaned["kind"] = values["kind"]
    if creating or "duration_minutes" in values:
        cleaned["duration_minutes"] = clean_int(
            errors, "duration_minutes", values.get("duration_minutes"), low=5, high=DAY_MINUTES
        )
    for name in ("buffer_before_minutes", "buffer_after_minutes"):
        if name in values:
            cleaned[name] = clean_int(errors, name, values[name], low=0, high=DAY_MINUTES)
    if "price" in values:
        cleaned["price"] = _clean_price(errors, values["price"])
    if "currency" in values:
        currency = values["currency"] or ""
        if currency and not (isinstance(currency, str) and CURRENCY.fullmatch(currency)):
            errors.add("currency", _("Enter a three-letter currency code such as EUR, or nothing."))
        else:
            cleaned["currency"] = currency
    for flag in ("online_meeting", "requires_confirmation", "requires_payment", "active"):
        if flag in values:
            cleaned[flag] = clean_bool(errors, flag, values[flag])
    if "resource_kind" in values:
        kind = values["resource_kind"] or ""
        if kind and not (isinstance(kind, str) and len(kind) <= 60 and SLUG.fullmatch(kind)):
            errors.add("resource_kind", _("Letters, digits, - and _ only, at most 60 characters."))
        else:
            cleaned["resource_kind"] = kind
    if "max_per_staff_per_day" in values:
        cleaned["max_per_staff_per_day"] = clean_int(
            errors,
            "max_per_staff_per_day",
            values["max_per_staff_per_day"],
            low=1,
            high=PER_DAY_MAX,
            nullable=True,
        )
    if "position" in values:
        cleaned["position"] = clean_int(
            errors, "position", values["position"], low=0, high=POSITION_MAX
        )
    if "category" in values:
        cleaned["category"] = company_row(errors, "category", Category, company, values["category"])
    if "location" in values:
        cleaned["location"] = company_row(errors, "location", Location, company, values["location"])
    staff = None
    if "staff" in values:
        staff = company_rows(errors, "staff", StaffMember, company, values["staff"])
    errors.raise_if_any()
    return cleaned, staff


def _clean_price(errors: FieldErrors, value: Any) -> Decimal | None:
    try:
        price = Decimal(value) if value is not None and not isinstance(value, bool) else None
    except (InvalidOperation, TypeError, ValueError):
        price = None
    if price is None or not price.is_finite() or not 0 <= price <= PRICE_MAX:
        errors.add("price", _("Enter an amount from 0 to %(max)s.") % {"max": PRICE_MAX})
        return None
    if price != price.quantize(Decimal("0.01")):
        errors.add("price", _("At most two decimal places."))
        return None
    return price.quantize(Decimal("0.01"))


def service_create(*, company: Company, values: Mapping[str, Any]) -> Service:
    """Add a service (an appointment type, or a class whose sessions come later).

    Side effects, in order:
    1. validate: every field given; category, location and staff of this company;
       translations only in the company's languages (clean_translations)
    2. write: the Service, then its staff
    3. after commit: the availability version bumped (signals)
    Raises ValidationFailed; nothing is written then.
    """
    cleaned, staff = _clean_service(company, values, service=None)
    with transaction.atomic():
        service = Service.objects.create(company=company, **cleaned)
        if staff:
            service.staff.set(staff)
    return service


def service_update(*, service: Service, values: Mapping[str, Any]) -> Service:
    """Change the given fields of a service (a PATCH).

    Side effects, in order:
    1. validate: as service_create, only the fields given
    2. lock: the service row
    3. re-check: the kind only changes while no booking or session uses the service
       (they were made for that kind)
    4. write: the fields given, then the staff
    5. after commit: the availability version bumped (signals)
    Raises ValidationFailed or InvalidState; nothing is written then.
    """
    cleaned, staff = _clean_service(service.company, values, service=service)
    with transaction.atomic():
        locked = Service.objects.select_for_update(of=("self",)).get(pk=service.pk)
        kind_changes = "kind" in cleaned and cleaned["kind"] != locked.kind
        if kind_changes and (locked.sessions.exists() or locked.bookings.exists()):
            raise InvalidState(
                _("This service has bookings or class sessions; its kind cannot change.")
            )
        for name, value in cleaned.items():
            setattr(locked, name, value)
        if cleaned:
            locked.save(update_fields=list(cleaned))
        if staff is not None:
            locked.staff.set(staff)
    return locked


def service_deactivate(*, service: Service) -> Service:
    """Take a service off the booking pages. Its bookings and sessions stay;
    `service_update(values={"active": True})` brings it back."""
    return service_update(service=service, values={"active": False})


# -- class sessions ------------------------------------------------------------------


def _clean_session(
    company: Company, values: Mapping[str, Any], *, session: ClassSession | None, now: datetime
):
    errors = FieldErrors()
    cleaned: dict[str, Any] = {}
    service = session.service if session is not None else None
    if session is None:
        service = company_row(errors, "service", Service, company, values.get("service"))
        if "service" not in errors and service is None:
            errors.add("service", _("This field is required."))
        elif service is not None and service.kind != ServiceKind.CLASS:
            errors.add("service", _("Choose a class, not an appointment service."))
        cleaned["service"] = service
    for name in ("start", "end"):
        if name in values or (session is None and name == "start"):
            value = values.get(name)
            if value is None and name == "end" and session is None:
                continue
            if not isinstance(value, datetime) or timezone.is_naive(value):
                errors.add(name, _("A date and time with a UTC offset is required."))
            else:
                cleaned[name] = value
    if session is None or "capacity" in values:
        cleaned["capacity"] = clean_int(
            errors, "capacity", values.get("capacity"), low=1, high=CAPACITY_MAX
        )
    if "online" in values:
        cleaned["online"] = clean_bool(errors, "online", values["online"])
    for name, model in (("staff", StaffMember), ("location", Location), ("resource", Resource)):
        if name in values:
            cleaned[name] = company_row(errors, name, model, company, values[name])
    if "start" in errors or "end" in errors or (service is None and session is None):
        errors.raise_if_any()
    # Times as they will be once the change is written.
    start = cleaned.get("start", session.start if session else None)
    if session is None:
        end = cleaned.get("end") or (start + service.duration if start else None)
        cleaned["end"] = end
    else:
        end = cleaned.get("end", session.end)
        if "start" in cleaned and "end" not in cleaned:
            # Moving the start alone keeps the length.
            end = cleaned["end"] = cleaned["start"] + (session.end - session.start)
    if start is not None and end is not None:
        if end <= start:
            errors.add("end", _("The end must be after the start."))
        elif end - start > SESSION_MAX:
            errors.add("end", _("A class session lasts at most 24 hours."))
        if ("start" in cleaned or session is None) and start < now:
            errors.add("start", _("The start is in the past."))
    online_offered = (
        service is not None and company.online_meetings_enabled and service.online_meeting
    )
    if cleaned.get("online") and not online_offered:
        errors.add("online", _("Online meetings are off for this company or this class."))
    errors.raise_if_any()
    return cleaned


def _check_free(
    session: ClassSession, *, staff_id: int | None, resource_id: int | None, start, end
) -> None:
    """Refuse a time at which the staff member or resource is held by an appointment or
    another session. Call inside the transaction: it locks their rows first (the locks
    booking_create takes), so a concurrent booking sees the session or we see it."""
    for model, field, row_id in (
        (StaffMember, "staff", staff_id),
        (Resource, "resource", resource_id),
    ):
        if row_id is None:
            continue
        list(model.objects.select_for_update(of=("self",)).filter(pk=row_id).values_list("pk"))
        booked = Booking.objects.filter(
            **{f"{field}_id": row_id},
            status__in=ACTIVE_STATUSES,
            session__isnull=True,
            blocked_start__lt=end,
            blocked_end__gt=start,
        ).exists()
        other = (
            ClassSession.objects.filter(
                **{f"{field}_id": row_id}, cancelled=False, start__lt=end, end__gt=start
            )
            .exclude(pk=session.pk)
            .exists()
        )
        if booked or other:
            raise SlotUnavailable(
                _("The staff member is busy at that time.")
                if field == "staff"
                else _("The resource is busy at that time.")
            )


def session_create(
    *, company: Company, values: Mapping[str, Any], now: datetime | None = None
) -> ClassSession:
    """Schedule a class session.

    Side effects, in order:
    1. validate: a class service of this company, aware start (end defaults to start +
       the service's duration), capacity, `online` only where the company and the class
       have online meetings, staff, location and resource of this company
    2. lock: the staff member's and resource's rows
    3. re-check: neither holds an appointment or another session then
    4. write: the ClassSession
    5. after commit: the availability version bumped (signals)
    Raises ValidationFailed or SlotUnavailable; nothing is written then.
    """
    now = now or timezone.now()
    cleaned = _clean_session(company, values, session=None, now=now)
    session = ClassSession(company=company, **cleaned)
    with booking_transaction():
        _check_free(
            session,
            staff_id=session.staff_id,
            resource_id=session.resource_id,
            start=session.start,
            end=session.end,
        )
        session.save()
    return session


MOVING_FIELDS = ("start", "end", "staff", "resource", "location")


def session_update(
    *, session: ClassSession, values: Mapping[str, Any], now: datetime | None = None
) -> ClassSession:
    """Change a class session (a PATCH); moving it moves its bookings with it.

    Side effects, in order:
    1. validate: the fields given, as session_create
    2. lock: the session row (seat_reserve's lock), then the staff member's and
       resource's rows when it moves
    3. re-check: not cancelled; capacity not below the seats taken; once it has active
       bookings: not started, `online` unchanged; the staff member and resource free
    4. write: the session; when it moved, each active booking's times, staff and resource,
       its meeting (meeting_booking_changed) and its rescheduled notices
    5. after commit: the availability version bumped (signals); the meeting's provider
       updated; the emails sent
    Raises ValidationFailed, InvalidState or SlotUnavailable; nothing is written then.
    """
    from rendezvous.bookings.domain.change import booking_save_moved

    now = now or timezone.now()
    cleaned = _clean_session(session.company, values, session=session, now=now)
    with booking_transaction():
        locked = (
            ClassSession.objects.select_for_update(of=("self",))
            .select_related("company", "service")
            .get(pk=session.pk)
        )
        if locked.cancelled:
            raise InvalidState(_("This class session was cancelled; it cannot be changed."))
        taken = seats_taken(locked)
        if "capacity" in cleaned and cleaned["capacity"] < taken:
            raise ValidationFailed(
                fields={
                    "capacity": [
                        _("%(taken)d seats are booked; the capacity cannot be lower.")
                        % {"taken": taken}
                    ]
                }
            )
        changed = {name: value for name, value in cleaned.items() if _differs(locked, name, value)}
        bookings = list(
            Booking.objects.select_for_update(of=("self",))
            .select_related("company", "service")
            .filter(session=locked, status__in=ACTIVE_STATUSES)
            .order_by("created_at")
        )
        moving = any(name in changed for name in MOVING_FIELDS)
        if bookings and moving and locked.start <= now:
            raise InvalidState(_("This class session has started; it can no longer be moved."))
        if bookings and "online" in changed:
            raise InvalidState(
                _(
                    "This class session has bookings; switch “by video” on or off "
                    "per booking instead."
                )
            )
        for name, value in changed.items():
            setattr(locked, name, value)
        if any(name in changed for name in ("start", "end", "staff", "resource")):
            _check_free(
                locked,
                staff_id=locked.staff_id,
                resource_id=locked.resource_id,
                start=locked.start,
                end=locked.end,
            )
        if changed:
            locked.save(update_fields=list(changed))
        if bookings and moving:
            for booking in bookings:
                booking.session = locked
                booking.start = booking.blocked_start = locked.start
                booking.end = booking.blocked_end = locked.end
                booking.staff_id, booking.resource_id = locked.staff_id, locked.resource_id
                booking_save_moved(booking=booking, now=now)
    return locked


RELATIONS = ("staff", "resource", "location")


def _differs(session: ClassSession, name: str, value: Any) -> bool:
    if name in RELATIONS:
        return getattr(session, f"{name}_id") != (value.pk if value is not None else None)
    return getattr(session, name) != value


def session_delete(*, session: ClassSession) -> None:
    """Delete a class session that never had a booking.

    Side effects, in order: lock the session row; re-check that no booking (of any
    status) points at it; delete it (and its meeting, if one was made); the availability
    version bumped after commit. Raises InvalidState: a session with bookings is
    cancelled instead, so its bookings keep their history.
    """
    with booking_transaction():
        locked = ClassSession.objects.select_for_update(of=("self",)).filter(pk=session.pk).first()
        if locked is None:
            return
        if Booking.objects.filter(session=locked).exists():
            raise InvalidState(
                _("This class session has bookings; cancel it instead of deleting it.")
            )
        locked.delete()


def session_seats_taken(sessions: list[ClassSession]) -> dict[int, int]:
    """Seats held by active bookings, for many sessions in one query (lists)."""
    rows = (
        Booking.objects.filter(session__in=sessions, status__in=ACTIVE_STATUSES)
        .values("session")
        .annotate(total=Sum("participants"))
        .values_list("session", "total")
    )
    return dict(rows)
