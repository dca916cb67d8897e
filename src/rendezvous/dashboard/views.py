"""The back office at /office/: thin views over the domain functions.

Every view resolves the signed-in user to an Actor of the company they picked
(companies.access) and asks the same access_* helpers and domain functions as the
staff API. Rows the actor may not see answer 404, whether they belong to another
company or to a colleague of a junior, so an id reveals nothing.
"""

import json
from datetime import datetime
from functools import wraps
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Max, Q
from django.db.models.functions import Lower
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from rendezvous.availability.domain import bookable_staff_query, services_given_by
from rendezvous.bookings import domain as bookings
from rendezvous.bookings.access import access_booking, access_bookings, access_customers
from rendezvous.bookings.domain.history import action_label, booking_history
from rendezvous.bookings.models import BookingSource, BookingStatus, Customer, PaymentStatus
from rendezvous.catalog.models import Service, ServiceKind
from rendezvous.companies.access import (
    Actor,
    access_allows,
    access_book_outside_hours,
    access_manage_customers,
    access_member,
    access_memberships,
    access_reassign_bookings,
    access_record_payments,
    access_sees_staff,
    access_staff_scope,
)
from rendezvous.companies.domain import is_first_run
from rendezvous.companies.models import StaffMember
from rendezvous.core.errors import (
    DomainError,
    Forbidden,
    InvalidState,
    NotFound,
    SlotUnavailable,
    ValidationFailed,
)
from rendezvous.core.formats import money
from rendezvous.meetings.domain import CustomerViewer, meeting_view
from rendezvous.payments.domain.checkout import payment_received, payment_state
from rendezvous.payments.models import Method

from . import first_run
from .refusals import form_errors

OFFICE_COMPANY = "office_company"
SEARCH_LIMIT = 8


def office_view(view):
    """Signed in, a member of the company picked for this session (the only one, or
    the one chosen at /office/company/); the view gets that Actor."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        members = access_memberships(request.user)
        if not members:
            return render(request, "dashboard/no_company.html", status=403)
        chosen = request.session.get(OFFICE_COMPANY)
        member = next((m for m in members if m.company_id == chosen), None)
        if member is None and len(members) == 1:
            member = members[0]
            request.session[OFFICE_COMPANY] = member.company_id
        if member is None:
            return redirect(f"{reverse('office:company')}?next={request.get_full_path()}")
        actor = access_member(request.user, member.company)
        request.office = {"actor": actor, "member": member, "companies": members}
        # Times on these pages are the company's wall clock, whoever looks.
        timezone.activate(ZoneInfo(actor.company.timezone))
        try:
            return view(request, actor, *args, **kwargs)
        except (NotFound, Forbidden) as exc:
            raise Http404() from exc
        finally:
            timezone.deactivate()

    return wrapper


def home(request):
    # A fresh installation has nobody to sign in as: it shows its setup page, to anyone.
    if is_first_run():
        return first_run.setup(request)
    return _signed_in_home(request)


@login_required
def _signed_in_home(request):
    return redirect("office:calendar")


@login_required
def company_pick(request):
    members = access_memberships(request.user)
    if request.method == "POST":
        picked = next(
            (m for m in members if str(m.company_id) == request.POST.get("company")), None
        )
        if picked is not None:
            request.session[OFFICE_COMPANY] = picked.company_id
            target = request.POST.get("next", "")
            return redirect(target if target.startswith("/office/") else "office:calendar")
    return render(
        request,
        "dashboard/company_pick.html",
        {"members": members, "next": request.GET.get("next", "")},
    )


def _staff_columns(actor: Actor) -> list[StaffMember]:
    return list(
        StaffMember.objects.filter(
            access_staff_scope(actor, "id"), company=actor.company, active=True
        ).order_by("name", "id")
    )


@office_view
def calendar(request, actor: Actor):
    company = actor.company
    staff = _staff_columns(actor)
    services = list(
        Service.objects.filter(company=company, active=True, kind=ServiceKind.APPOINTMENT)
        .prefetch_related("staff")
        .order_by("name")
    )
    config = {
        "feed": f"/api/v1/companies/{company.slug}/manage/calendar",
        "timezone": company.timezone,
        "step": company.slot_step_minutes,
        # English in Europe's 24-hour clock, as the rest of our pages write times.
        "locale": "en-GB" if request.LANGUAGE_CODE == "en" else request.LANGUAGE_CODE,
        "newBooking": reverse("office:booking_new"),
        "bookingUrl": reverse("office:booking", args=["00000000-0000-0000-0000-000000000000"]),
        "moveUrl": reverse("office:booking_move", args=["00000000-0000-0000-0000-000000000000"]),
        "today": timezone.localdate(timezone=ZoneInfo(company.timezone)).isoformat(),
        "labels": {
            "today": _("Today"),
            "day": _("Day"),
            "week": _("Week"),
            "previousDay": _("Previous day"),
            "nextDay": _("Next day"),
            "previousWeek": _("Previous week"),
            "nextWeek": _("Next week"),
            "online": _("By video"),
            "request": _("Request"),
            "unpaid": _("Unpaid"),
            "noShow": _("No-show"),
            "timeOff": _("Time off"),
            "closed": _("Closed"),
            "seats": _("seats"),
            "moveRefused": _("The booking stayed where it was."),
            "keepsRoom": _(
                "Here a booking keeps its room; to give it to a colleague, show staff columns."
            ),
        },
    }
    return render(
        request,
        "dashboard/calendar.html",
        {
            "office_config": config,
            "staff": staff,
            "services": services,
            "locations": list(company.locations.order_by("name")),
            "page": "calendar",
        },
    )


def _given_services(member: StaffMember):
    return (
        Service.objects.filter(services_given_by(member), active=True, kind=ServiceKind.APPOINTMENT)
        .distinct()
        .order_by("name")
    )


def _may_book_for(actor: Actor, staff_id) -> StaffMember:
    member = StaffMember.objects.filter(pk=staff_id, company=actor.company, active=True).first()
    if member is None or not access_sees_staff(actor, member.pk):
        raise NotFound()
    return member


def aware_start(value: str, zone: ZoneInfo) -> datetime | None:
    """A start from the form: local wall time in the company's zone (or with an offset)."""
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)


@office_view
def booking_new(request, actor: Actor):
    company = actor.company
    zone = ZoneInfo(company.timezone)
    source = request.POST if request.method == "POST" else request.GET
    member = _may_book_for(actor, source.get("staff"))
    services = list(_given_services(member))
    values = {
        "staff": member,
        "services": services,
        "start": source.get("start", "")[:16],
        "service_id": source.get("service", ""),
        "first_name": source.get("first_name", ""),
        "last_name": source.get("last_name", ""),
        "email": source.get("email", ""),
        "phone": source.get("phone", ""),
        "notes": source.get("notes", ""),
        "online_meetings": company.online_meetings_enabled,
        "send_email": request.method != "POST" or source.get("send_email") == "on",
        # "By video" starts as the service's own setting (the dialog's script follows
        # the service picked); what staff tick is what is booked.
        "online": source.get("online") == "on",
        "outside_hours": source.get("outside_hours") == "on",
        "may_book_outside_hours": access_allows(access_book_outside_hours, actor),
        "errors": {},
    }
    if request.method != "POST":
        return render(request, "dashboard/_booking_new.html", values)
    if values["outside_hours"]:
        access_book_outside_hours(actor)
    service = next((s for s in services if str(s.pk) == source.get("service")), None)
    start = aware_start(source.get("start", ""), zone)
    errors: dict[str, list[str]] = {}
    if service is None:
        errors["service"] = [_("Pick one of the services this staff member gives.")]
    if start is None:
        errors["start"] = [_("Enter a date and time.")]
    if service is not None and start is not None:
        try:
            created = bookings.booking_create(
                company=company,
                service=service,
                start=start,
                details=bookings.CustomerDetails(
                    first_name=values["first_name"],
                    last_name=values["last_name"],
                    email=values["email"],
                    phone=values["phone"],
                ),
                staff_id=member.pk,
                online=values["online"],
                notes=values["notes"],
                source=BookingSource.STAFF,
                public=False,
                notify_customer=values["send_email"],
                outside_hours=values["outside_hours"],
            )
        except SlotUnavailable:
            # Staff see the grid: say what the time must fit, not "someone took it".
            minutes = int(service.duration.total_seconds() // 60)
            reason = _(
                "%(name)s is not free for %(minutes)d minutes from then: another "
                "booking, a break, time off or the end of their hours is in the way."
            ) % {"name": member.name, "minutes": minutes}
            extra = service.buffer_before_minutes + service.buffer_after_minutes
            if extra:
                buffers = _("The service keeps %(extra)d minutes of buffer around it.")
                reason += " " + buffers % {"extra": extra}
            errors = {"start": [reason]}
        except DomainError as exc:
            errors = form_errors(exc)
        else:
            response = render(
                request, "dashboard/_booking_created.html", {"booking": created.booking}
            )
            response["HX-Trigger"] = json.dumps({"office:changed": str(created.booking.pk)})
            return response
    values["errors"] = errors
    return render(request, "dashboard/_booking_new.html", values, status=422)


@office_view
@require_GET
def customer_search(request, actor: Actor):
    """Customers matching what staff typed (name, email or phone), for the booking dialog;
    a junior finds only the customers of their own bookings."""
    query = request.GET.get("q", "").strip()[:100]
    found = []
    if len(query) >= 2:
        found = list(
            _customer_query(actor, query).order_by("last_name", "first_name")[:SEARCH_LIMIT]
        )
    return render(request, "dashboard/_customer_results.html", {"customers": found, "q": query})


@office_view
def requests_inbox(request, actor: Actor):
    """Requested bookings, oldest first, each with the customers it may be (same email,
    or same name): staff confirm by picking one or creating one from the details."""
    rows = list(
        access_bookings(actor)
        .filter(status=BookingStatus.REQUESTED)
        .select_related("service", "staff")
        .order_by("created_at", "id")
    )
    emails = {row.email.lower() for row in rows}
    names = {(row.first_name.lower(), row.last_name.lower()) for row in rows}
    candidates = list(
        Customer.objects.annotate(email_lower=Lower("email"), last_lower=Lower("last_name")).filter(
            Q(email_lower__in=emails) | Q(last_lower__in={last for _first, last in names}),
            company=actor.company,
        )
        if rows
        else []
    )

    def same(customer, row) -> bool:
        return customer.email.lower() == row.email.lower() or (
            customer.first_name.lower(),
            customer.last_name.lower(),
        ) == (row.first_name.lower(), row.last_name.lower())

    entries = [{"row": row, "matches": [c for c in candidates if same(c, row)]} for row in rows]
    return render(request, "dashboard/requests.html", {"entries": entries, "page": "requests"})


@office_view
@require_POST
def request_answer(request, actor: Actor, booking_id, answer: str):
    booking = _load(actor, booking_id)
    try:
        if answer == "confirm":
            picked = request.POST.get("customer", "")
            bookings.booking_confirm(
                booking=booking, customer_id=int(picked) if picked.isdigit() else None
            )
            messages.success(request, _("Request confirmed; the customer is told by email."))
        elif answer == "decline":
            bookings.booking_decline(booking=booking, message=request.POST.get("message", ""))
            messages.success(request, _("Request declined; the customer is told by email."))
        else:
            raise Http404()
    except DomainError as exc:
        messages.error(request, exc.reason)
    return redirect("office:requests")


CUSTOMERS_PAGE = 50


def _customer_query(actor: Actor, query: str):
    customers = access_customers(actor)
    for word in query.split():
        customers = customers.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(email__icontains=word)
            | Q(phone__icontains=word)
        )
    return customers


@office_view
@require_GET
def customers(request, actor: Actor):
    query = request.GET.get("q", "").strip()[:100]
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    rows = list(
        _customer_query(actor, query)
        .annotate(booking_count=Count("bookings"), last_start=Max("bookings__start"))
        .order_by("last_name", "first_name", "pk")[
            (page - 1) * CUSTOMERS_PAGE : page * CUSTOMERS_PAGE + 1
        ]
    )
    return render(
        request,
        "dashboard/customers.html",
        {
            "rows": rows[:CUSTOMERS_PAGE],
            "q": query,
            "page_number": page,
            "has_next": len(rows) > CUSTOMERS_PAGE,
            "page": "customers",
        },
    )


def _customer(actor: Actor, customer_id: int) -> Customer:
    customer = access_customers(actor).filter(pk=customer_id).first()
    if customer is None:
        raise NotFound()
    return customer


@office_view
def customer(request, actor: Actor, customer_id: int):
    row = _customer(actor, customer_id)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        access_manage_customers(actor)
        try:
            bookings.customer_update(
                customer=row,
                details=bookings.CustomerDetails(
                    first_name=request.POST.get("first_name", ""),
                    last_name=request.POST.get("last_name", ""),
                    email=request.POST.get("email", ""),
                    phone=request.POST.get("phone", ""),
                ),
                language=request.POST.get("language", ""),
                notes=request.POST.get("notes", ""),
            )
        except DomainError as exc:
            errors = form_errors(exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("office:customer", customer_id=row.pk)
    now = timezone.now()
    history = list(
        access_bookings(actor)
        .filter(customer=row)
        .select_related("service", "staff")
        .order_by("-start")
    )
    same = Q(first_name__iexact=row.first_name, last_name__iexact=row.last_name)
    if row.phone:
        same |= Q(phone=row.phone)
    duplicates = list(access_customers(actor).filter(same).exclude(pk=row.pk)[:5])
    return render(
        request,
        "dashboard/customer.html",
        {
            "customer": row,
            "duplicates": duplicates,
            "form": request.POST if errors else None,
            "errors": errors,
            "upcoming": [b for b in history if b.start >= now][::-1],
            "past": [b for b in history if b.start < now],
            "may_manage": access_allows(access_manage_customers, actor),
            "company_languages": [
                (code, name) for code, name in settings.LANGUAGES if code in actor.company.languages
            ],
            "page": "customers",
        },
        status=422 if errors else 200,
    )


@office_view
@require_POST
def customer_merge(request, actor: Actor, customer_id: int):
    access_manage_customers(actor)
    keep = _customer(actor, customer_id)
    duplicate = access_customers(actor).filter(pk=request.POST.get("duplicate") or 0).first()
    if request.POST.get("confirm") != "same":
        messages.error(request, _("Tick the box to confirm that both records are this person."))
        return redirect("office:customer", customer_id=keep.pk)
    if duplicate is None:
        messages.error(request, _("Pick another customer of this company."))
        return redirect("office:customer", customer_id=keep.pk)
    try:
        bookings.customer_merge(keep=keep, duplicate=duplicate)
    except DomainError as exc:
        messages.error(request, exc.reason)
    else:
        messages.success(request, _("The two records are one now."))
    return redirect("office:customer", customer_id=keep.pk)


@office_view
@require_POST
def customer_export(request, actor: Actor, customer_id: int):
    access_manage_customers(actor)
    data = bookings.customer_export(customer=_customer(actor, customer_id))
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 1})
    response["Content-Disposition"] = f'attachment; filename="customer-{customer_id}.json"'
    return response


@office_view
@require_POST
def customer_erase(request, actor: Actor, customer_id: int):
    access_manage_customers(actor)
    row = _customer(actor, customer_id)
    if request.POST.get("confirm") != "erase":
        messages.error(request, _("Tick the box to confirm the erasure."))
        return redirect("office:customer", customer_id=row.pk)
    count = bookings.customer_erase(customer=row)
    messages.success(
        request,
        ngettext(
            "The customer was erased; %(count)d booking keeps its place without their details.",
            "The customer was erased; %(count)d bookings keep their place without their details.",
            count,
        )
        % {"count": count},
    )
    return redirect("office:customers")


def _popup(request, actor: Actor, booking, *, message: str = "", status: int = 200):
    now = timezone.now()
    meeting = meeting_view(booking=booking, viewer=actor, now=now)
    # "Copy client link": what the one reveal rule shows the customer right now.
    client = meeting_view(booking=booking, viewer=CustomerViewer(booking.pk), now=now)
    history = [{"entry": entry, "label": action_label(entry)} for entry in booking_history(booking)]
    payment = payment_state(booking)
    return render(
        request,
        "dashboard/_booking_popup.html",
        {
            "booking": booking,
            "start": booking.start,
            "end": booking.end,
            "meeting": meeting,
            "client_link": client.join_url if client is not None else None,
            "history": history,
            "message": message,
            "message_ok": status == 200,
            "is_request": booking.status == BookingStatus.REQUESTED,
            "is_active": booking.status in (BookingStatus.CONFIRMED, BookingStatus.REQUESTED),
            "unpaid": booking.payment_status == PaymentStatus.PENDING,
            "payment": payment,
            "payment_method": Method(payment.method).label if payment and payment.method else "",
            "payment_amount": money(payment.amount, payment.currency) if payment else "",
            "may_record_payment": _may_record_payments(actor),
            "now": now,
            # Counted from the server's clock: a staff computer's clock may be minutes off.
            "opens_in": max(0, int((meeting.opens_at - now).total_seconds())) if meeting else 0,
            "movable": booking.status in (BookingStatus.CONFIRMED, BookingStatus.REQUESTED)
            and booking.session_id is None,
            "colleagues": list(bookable_staff_query(booking.service, public=False))
            if access_reassign_bookings(actor) and booking.session_id is None
            else [],
            "resendable": booking.status == BookingStatus.CONFIRMED and booking.end > now,
        },
        status=status,
    )


def _may_record_payments(actor: Actor) -> bool:
    try:
        access_record_payments(actor)
    except Forbidden:
        return False
    return True


def _payment_received(actor: Actor, booking, user) -> None:
    access_record_payments(actor)
    payment_received(booking=booking, actor=user, now=timezone.now())


def _load(actor: Actor, booking_id):
    booking = access_booking(actor, booking_id)
    return (
        access_bookings(actor)
        .select_related("company", "service", "staff", "customer", "session", "resource")
        .get(pk=booking.pk)
    )


@office_view
@require_GET
def booking(request, actor: Actor, booking_id):
    return _popup(request, actor, _load(actor, booking_id))


def _move(actor: Actor, booking, post) -> None:
    """A new start and, for admins and seniors, another staff member (a drag in the
    calendar, or the pop-up's form): booking_reschedule does the rest."""
    start = aware_start(post.get("start", ""), ZoneInfo(actor.company.timezone))
    if start is None:
        raise ValidationFailed(fields={"start": [_("Enter a date and time.")]})
    staff = post.get("staff") or ""
    staff_id = int(staff) if staff.isdigit() else booking.staff_id
    if staff_id != booking.staff_id and not access_reassign_bookings(actor):
        raise InvalidState(_("Only admins and senior staff can give a booking to a colleague."))
    bookings.booking_reschedule(
        booking=booking, start=start, staff_id=staff_id, actor=bookings.STAFF
    )


ACTIONS = {
    "confirm": lambda b, post: bookings.booking_confirm(booking=b),
    "decline": lambda b, post: bookings.booking_decline(booking=b, message=post.get("message", "")),
    "resend": lambda b, post: bookings.booking_resend_confirmation(booking=b),
    "cancel": lambda b, post: bookings.booking_cancel(
        booking=b,
        actor=bookings.STAFF,
        notify_customer=post.get("notify") == "on",
        reason=post.get("reason", ""),
        customer_asked=post.get("customer_asked") == "on",
    ),
    "completed": lambda b, post: bookings.booking_mark_outcome(
        booking=b, status=BookingStatus.COMPLETED
    ),
    "no_show": lambda b, post: bookings.booking_mark_outcome(
        booking=b, status=BookingStatus.NO_SHOW
    ),
    "online": lambda b, post: bookings.booking_set_online(
        booking=b, online=post.get("online") == "on"
    ),
}


@office_view
@require_POST
def booking_action(request, actor: Actor, booking_id, action: str):
    if action not in ACTIONS and action not in ("reschedule", "paid"):
        raise Http404()
    booking = _load(actor, booking_id)
    try:
        if action == "reschedule":  # the pop-up's form ("move" is the calendar's drag)
            _move(actor, booking, request.POST)
        elif action == "paid":
            _payment_received(actor, booking, request.user)
        else:
            ACTIONS[action](booking, request.POST)
    except DomainError as exc:
        return _popup(request, actor, _load(actor, booking_id), message=exc.reason, status=409)
    done = _load(actor, booking_id)
    response = _popup(request, actor, done, message=_done_message(action, done, request.POST))
    response["HX-Trigger"] = json.dumps({"office:changed": str(booking.pk)})
    return response


def _done_message(action: str, booking, post) -> str:
    """What the pop-up says after an action: what happened, and who was told."""
    if action == "cancel":
        if post.get("notify") == "on":
            return _("Booking cancelled; the customer is told by email.")
        return _("Booking cancelled; the customer was not emailed.")
    if action == "resend":
        return _("The confirmation is on its way to %(email)s again.") % {"email": booking.email}
    said = {
        "confirm": _("Request confirmed; the customer is told by email."),
        "decline": _("Request declined; the customer is told by email."),
        "completed": _("Marked completed."),
        "no_show": _("Marked as a no-show."),
        "paid": _("Payment recorded."),
        "reschedule": _("Booking moved; the customer is told by email."),
    }
    return str(said.get(action, _("Saved.")))


@office_view
@require_POST
def booking_move(request, actor: Actor, booking_id):
    """A booking dragged in the calendar: its new start (and, dropped in another
    column, its new staff member), or 409 with the reason, and the calendar puts it back."""
    booking = _load(actor, booking_id)
    try:
        _move(actor, booking, request.POST)
    except DomainError as exc:
        status = 422 if isinstance(exc, ValidationFailed) else 409
        return JsonResponse({"message": exc.reason}, status=status)
    moved = _load(actor, booking_id)
    return JsonResponse(
        {"id": str(moved.pk), "start": moved.start.isoformat(), "staff": str(moved.staff_id)}
    )
