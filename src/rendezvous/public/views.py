"""The booking site: thin views. Each parses its input, calls one domain function (or a
selector), and renders; domain errors become messages on the page, never error pages.

The booking steps keep their state in the query string (service, staff, week, tz), so
every step is a plain link or GET form: the flow works without JavaScript, in a new
tab, and inside an iframe that gets no cookies.
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, cast
from urllib.parse import urlencode

from babel.dates import format_date
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse, translate_url
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from rendezvous.availability.domain import Window
from rendezvous.bookings import domain
from rendezvous.bookings.models import Booking, BookingStatus
from rendezvous.catalog.models import ClassSession, ServiceKind
from rendezvous.companies.models import Company
from rendezvous.core import formats
from rendezvous.core.calendar import in_calendar
from rendezvous.core.errors import (
    ClassFull,
    DomainError,
    InvalidState,
    NotFound,
    SlotUnavailable,
    ValidationFailed,
)
from rendezvous.core.security import apply_policy
from rendezvous.notifications.domain import send_sign_in_link
from rendezvous.payments.domain.bank import payment_instructions
from rendezvous.payments.domain.card import card_checkout_start_for_pass
from rendezvous.payments.domain.checkout import payment_start, payment_state
from rendezvous.payments.domain.passes import pass_purchase, passes_of, passes_on_sale
from rendezvous.payments.domain.settings import (
    payment_settings_or_defaults,
    stripe_connected,
    transfer_account_complete,
)
from rendezvous.payments.domain.wallet import wallet_balance
from rendezvous.payments.models import CustomerPass, Method, Payment, PaymentSettings, Unit

from . import access, proof_of_work, selectors
from .calendar import booking_ics, google_url, outlook_url
from .forms import HONEYPOT, DetailsForm, SignInForm
from .meetings import join_info
from .security import frame_ancestors, public_page, rate_limited

logger = logging.getLogger(__name__)

TZ_COOKIE = "rendezvous_tz"
ALTCHA_CHALLENGE_RATE = "30/m"
ANY = "any"


# -- helpers -------------------------------------------------------------------------


class Site:
    """URLs and chrome of one booking page: the company, its scope, embedded or not."""

    def __init__(self, request: HttpRequest, scope: selectors.Scope, embed: bool):
        self.request = request
        self.scope = scope
        self.company = scope.company
        self.embed = embed

    def _name(self, action: str) -> tuple[str, dict]:
        kwargs: dict = {"company": self.company.slug}
        name = action
        if self.scope.kind:
            scope = self.scope
            obj = scope.location or scope.staff or scope.resource or scope.service
            assert obj is not None  # a scope with a kind has its row (selectors)
            kwargs |= {"scope_kind": self.scope.kind, "scope_id": str(obj.pk)}
            name += "_scoped"
        if self.embed:
            name = "embed" if name == "page" else f"embed_{name}"
            name = name.replace("embed_page_scoped", "embed_scoped")
        return f"public:{name}", kwargs

    def url(self, action: str = "page", **query) -> str:
        name, kwargs = self._name(action)
        path = reverse(name, kwargs=kwargs)
        query = {k: v for k, v in query.items() if v not in (None, "")}
        return path + ("?" + urlencode(query) if query else "")

    def booked_url(self, booking: Booking, token: str) -> str:
        name = "public:embed_booked" if self.embed else "public:booked"
        return reverse(
            name,
            kwargs={"company": self.company.slug, "booking_id": str(booking.id), "token": token},
        )

    @property
    def base_template(self) -> str:
        return "public/embed_base.html" if self.embed else "base.html"


def _zone_from_request(request: HttpRequest, default):
    """(zone, known): the tz parameter, else the remembered cookie, else `default`."""
    zone = formats.parse_zone(request.GET.get("tz") or request.POST.get("tz"))
    if zone:
        return zone, True
    zone = formats.parse_zone(request.COOKIES.get(TZ_COOKIE))
    if zone:
        return zone, True
    return default, False


def _display_zone(request, company, service=None, booking=None):
    """The zone times are shown in, and whether the service locks it (in person)."""
    locked = selectors.service_zone(service) if service is not None else None
    if locked is not None:
        return locked, True, True
    default = company.zone
    if booking is not None and booking.timezone:
        default = formats.parse_zone(booking.timezone) or company.zone
    zone, known = _zone_from_request(request, default)
    return zone, False, known


def _remember_zone(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    zone = formats.parse_zone(request.GET.get("tz") or request.POST.get("tz"))
    if zone and request.COOKIES.get(TZ_COOKIE) != zone.key:
        response.set_cookie(TZ_COOKIE, zone.key, max_age=365 * 86400, samesite="Lax")
    return response


def _language_links(request: HttpRequest, languages: list[str] | None = None) -> list[dict]:
    current = translation.get_language()
    links = []
    for code, name in settings.LANGUAGES:
        if languages and code not in languages:
            continue
        with translation.override(code):
            # str() is what gettext does first with a lazy name (its .replace casts it).
            label = translation.gettext(str(name))
        links.append(
            {
                "code": code,
                "label": label,
                "url": translate_url(request.get_full_path(), code),
                "current": code == current,
            }
        )
    return links


def _chrome(request, site: Site | None = None, company=None, **extra) -> dict:
    company = company or (site.company if site else None)
    return {
        "company": company,
        "site": site,
        "embed": bool(site and site.embed),
        # Who may receive the embed's events (app.js): the sources that may frame it.
        "embed_origins": " ".join(frame_ancestors(company)) if site and site.embed else "",
        "base_template": site.base_template if site else "base.html",
        "language_links": _language_links(request, company.languages if company else None),
        **extra,
    }


def _render(request, template, context, *, status=200, embed_company=None, embed=False):
    response = render(request, template, context, status=status)
    apply_policy(response, frame_ancestors=frame_ancestors(embed_company) if embed else None)
    return _remember_zone(request, response)


def _zone_context(
    zone, locked: bool, known: bool, company, action: str, hidden: dict, *, on: date
) -> dict:
    """The zone select, labelled with the offsets of `on`, the first day the page shows."""
    ungrouped, groups = formats.zone_choices(on)
    listed = {key for key, _label in ungrouped} | {key for _r, zones in groups for key, _l in zones}
    return {
        "zone": zone,
        "zone_label": formats.zone_label(zone),
        "zone_locked": locked,
        "zone_known": known,
        "company_zone_label": formats.zone_label(company.zone)
        if company.zone.key != zone.key
        else "",
        "zone_choices": groups,
        # A zone remembered under an old name (a cookie, a booking) is still shown as
        # chosen, not silently replaced by the list's first zone.
        "zone_ungrouped": ungrouped
        if zone.key in listed
        else ((zone.key, formats.zone_choice_label(zone, on)), *ungrouped),
        "zone_form_action": action,
        "zone_form_hidden": hidden,
    }


def _service_card(service, site: Site) -> dict:
    online = selectors.is_online(service)
    return {
        "service": service,
        "online": online,
        "is_class": service.kind == ServiceKind.CLASS,
        "price": formats.money(service.price, service.effective_currency),
        "duration": formats.minutes(service.duration_minutes),
        "url": site.url("page", service=service.pk, tz=site.request.GET.get("tz")),
    }


def _parse_week(value: str | None) -> date | None:
    """The `week=` parameter; None (the first open week) when unreadable or out of range."""
    try:
        week = date.fromisoformat(value) if value and len(value) == 10 else None
    except ValueError:
        return None
    return week if week is None or in_calendar(week) else None


# A busy day offered some 36 times in one block; under these headings a customer finds
# "after work" at a glance. Hours are the local hour the part starts at.
PARTS_OF_DAY = {
    "night": gettext_lazy("Night"),
    "morning": gettext_lazy("Morning"),
    "afternoon": gettext_lazy("Afternoon"),
    "evening": gettext_lazy("Evening"),
}


def _part_of_day(hour: int) -> str:
    if hour < 6:
        return "night"
    if hour < 12:
        return "morning"
    return "afternoon" if hour < 17 else "evening"


def week_context(
    *,
    scope,
    service,
    staff_id,
    zone,
    week: date | None,
    now,
    nav_url,
    exclude_bookings=(),
) -> dict:
    """The week of free times (or class sessions) that the time step and reschedule show."""
    today = now.astimezone(zone).date()
    this_week = selectors.week_start(today)
    if week is None:
        week = selectors.first_open_week(
            scope=scope, service=service, staff_id=staff_id, zone=zone, now=now
        )
    week = max(selectors.week_start(week), this_week)
    window = Window.for_dates(week, week + timedelta(days=6), zone)
    found = selectors.options(
        scope=scope,
        service=service,
        staff_id=staff_id,
        window=window,
        now=now,
        exclude_bookings=exclude_bookings,
    )
    days: OrderedDict[date, dict] = OrderedDict()
    for option in found:
        local = option.start.astimezone(zone)
        day = days.setdefault(
            local.date(),
            {
                "label": formats.day_label(local, zone),
                "iso": local.date().isoformat(),
                "parts": {},
            },
        )
        part = _part_of_day(local.hour)
        if part not in day["parts"]:
            day["parts"][part] = {"key": part, "label": PARTS_OF_DAY[part], "options": []}
        label = formats.time_label(option.start, zone)
        if option.seats_left is not None:
            label = f"{label}–{formats.time_label(option.end, zone)}"
        entry = {
            "value": option.value,
            "label": label,
            "full": option.full,
            "seats_left": option.seats_left,
            "id": f"opt-{option.value.replace(':', '').replace('-', '')}",
        }
        day["parts"][part]["options"].append(entry)
    for day in days.values():
        day["parts"] = list(day["parts"].values())
    horizon = today + timedelta(days=scope.company.max_days_ahead)
    prev_week = week - timedelta(days=7)
    next_week = week + timedelta(days=7)
    first, last = week, week + timedelta(days=6)
    return {
        "week_label": f"{formats.short_day_label(window.start, zone)} – "
        f"{formats.short_day_label(window.start + timedelta(days=6), zone)}",
        "week_iso": week.isoformat(),
        "days": list(days.values()),
        "is_class": service.kind == ServiceKind.CLASS,
        "option_name": "session" if service.kind == ServiceKind.CLASS else "start",
        "prev_url": nav_url(prev_week.isoformat()) if prev_week >= this_week else None,
        "next_url": nav_url(next_week.isoformat()) if next_week <= horizon else None,
        "range": (first, last),
    }


def _staff_id(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) <= 18 else None


# -- booking steps ---------------------------------------------------------------------


def _scope(company_slug, scope_kind, scope_id) -> selectors.Scope:
    company = selectors.company_for_page(company_slug)
    return selectors.scope_for(company, scope_kind, int(scope_id) if scope_id else None)


@require_http_methods(["GET", "HEAD"])
def booking_page(request, company, scope_kind=None, scope_id=None, embed=False):
    """Steps 1-3: service, staff member, week of free times."""
    scope = _scope(company, scope_kind, scope_id)
    site = Site(request, scope, embed)
    now = timezone.now()
    service = scope.service or selectors.service_in_scope(scope, request.GET.get("service"))
    if service is None:
        return _render_services(request, site)
    staff = selectors.staff_choices(scope, service)
    staff_param = request.GET.get("staff") or ""
    if scope.staff:
        staff_param = str(scope.staff.pk)
    is_class = service.kind == ServiceKind.CLASS
    if not is_class and not staff_param and len(staff) > 1:
        return _render_staff(request, site, service, staff)
    staff_id = _staff_id(staff_param)
    if staff_id is not None and staff_id not in {s.pk for s in staff}:
        raise Http404
    return _render_times(request, site, service, staff, staff_id, now=now)


def _render_services(request, site: Site, status=200):
    groups: OrderedDict[str, list] = OrderedDict()
    for service in selectors.services(site.scope):
        name = service.local_category_name or _("Services")
        groups.setdefault(name, []).append(_service_card(service, site))
    context = _chrome(request, site, step="service", groups=list(groups.items()))
    return _render(
        request,
        "public/services.html",
        context,
        status=status,
        embed_company=site.company,
        embed=site.embed,
    )


def _render_staff(request, site: Site, service, staff):
    tz = request.GET.get("tz")
    choices = [{"label": _("Any available"), "url": site.url(service=service.pk, staff=ANY, tz=tz)}]
    choices += [
        {"label": member.name, "url": site.url(service=service.pk, staff=member.pk, tz=tz)}
        for member in staff
    ]
    context = _chrome(
        request,
        site,
        step="staff",
        card=_service_card(service, site),
        choices=choices,
        back_url=None if site.scope.service else site.url(tz=tz),
    )
    return _render(
        request, "public/staff.html", context, embed_company=site.company, embed=site.embed
    )


def _render_times(
    request, site: Site, service, staff, staff_id, *, now, status=200, notice=None, week=None
):
    zone, locked, known = _display_zone(request, site.company, service)
    staff_param = str(staff_id) if staff_id else ANY
    tz = None if locked else zone.key

    def nav(week_iso):
        return site.url(service=service.pk, staff=staff_param, week=week_iso, tz=tz)

    week_ctx = week_context(
        scope=site.scope,
        service=service,
        staff_id=staff_id,
        zone=zone,
        week=week or _parse_week(request.GET.get("week")),
        now=now,
        nav_url=nav,
    )
    staff_name = next((s.name for s in staff if s.pk == staff_id), None)
    hidden = {"service": service.pk, "staff": staff_param}
    if tz:
        hidden["tz"] = tz
    back = None
    if not site.scope.staff and service.kind != ServiceKind.CLASS and len(staff) > 1:
        back = site.url(service=service.pk, tz=tz)
    elif not site.scope.service:
        back = site.url(tz=tz)
    context = _chrome(
        request,
        site,
        step="time",
        card=_service_card(service, site),
        staff_name=staff_name,
        week=week_ctx,
        form_action=site.url("book"),
        hidden=hidden,
        notice=notice,
        back_url=back,
        **_zone_context(
            zone,
            locked,
            known,
            site.company,
            site.url(),
            {"service": service.pk, "staff": staff_param, "week": week_ctx["week_iso"]},
            on=week_ctx["range"][0],
        ),
    )
    return _render(
        request,
        "public/times.html",
        context,
        status=status,
        embed_company=site.company,
        embed=site.embed,
    )


def _chosen(request, site: Site):
    """The service, staff and time (or session) a details form is for, or None."""
    data = request.POST if request.method == "POST" else request.GET
    service = site.scope.service or selectors.service_in_scope(site.scope, data.get("service"))
    if service is None:
        return None
    staff = selectors.staff_choices(site.scope, service)
    staff_param = str(site.scope.staff.pk) if site.scope.staff else (data.get("staff") or ANY)
    staff_id = _staff_id(staff_param)
    if staff_id is not None and staff_id not in {s.pk for s in staff}:
        return None
    if service.kind == ServiceKind.CLASS:
        session_id = _staff_id(data.get("session"))
        session = (
            ClassSession.objects.filter(service=service, pk=session_id, cancelled=False).first()
            if session_id
            else None
        )
        if session is None:
            return None
        return service, staff, staff_id, session.start, session
    start = selectors.decode_start(data.get("start"))
    if start is None:
        return None
    return service, staff, staff_id, start, None


@require_http_methods(["GET", "HEAD", "POST"])
def booking_details(request, company, scope_kind=None, scope_id=None, embed=False):
    """Step 4: the customer's details; POST books through the domain (booking_create)."""
    scope = _scope(company, scope_kind, scope_id)
    site = Site(request, scope, embed)
    chosen = _chosen(request, site)
    if chosen is None:
        return redirect(site.url(tz=request.GET.get("tz")))
    service, staff, staff_id, start, session = chosen
    now = timezone.now()
    form = DetailsForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if rate_limited(request, "public_booking"):
            return _too_many(request, site)
        if request.POST.get(HONEYPOT):
            logger.info("Booking form refused: honeypot filled")
            form.is_valid()
            form.add_error(None, _("Your booking could not be sent. Please try again."))
        elif form.is_valid() and _proof_of_work_done(request, site.company, form):
            try:
                created = domain.booking_create(
                    company=site.company,
                    service=service,
                    start=start,
                    session_id=session.pk if session else None,
                    staff_id=staff_id,
                    details=domain.CustomerDetails(
                        form.cleaned_data["first_name"],
                        form.cleaned_data["last_name"],
                        form.cleaned_data["email"],
                        form.cleaned_data["phone"],
                    ),
                    notes=form.cleaned_data["notes"],
                    language=_booking_language(site.company),
                    customer_timezone=_customer_zone(request),
                    source="web",
                    location_id=site.scope.location.pk if site.scope.location else None,
                    resource_id=site.scope.resource.pk if site.scope.resource else None,
                )
            except (SlotUnavailable, ClassFull):
                message = _("Sorry, that time was just taken. Please pick another one.")
                return _render_times(
                    request,
                    site,
                    service,
                    staff,
                    staff_id,
                    now=now,
                    status=409,
                    notice=message,
                    week=selectors.week_start(
                        start.astimezone(_display_zone(request, site.company, service)[0]).date()
                    ),
                )
            except ValidationFailed as exc:
                form.domain_errors(exc.fields)
                if not exc.fields:
                    form.add_error(None, exc.message)
            except (NotFound, InvalidState) as exc:
                form.add_error(None, exc.message)
            else:
                return redirect(site.booked_url(created.booking, created.manage_token))
    zone, locked, known = _display_zone(request, site.company, service)
    hidden = {"service": service.pk, "staff": str(staff_id) if staff_id else ANY}
    if session:
        hidden["session"] = session.pk
    else:
        hidden["start"] = selectors.encode_start(start)
    if not locked:
        hidden["tz"] = zone.key
    context = _chrome(
        request,
        site,
        step="details",
        card=_service_card(service, site),
        staff_name=next((s.name for s in staff if s.pk == staff_id), None),
        when=formats.datetime_label(start, zone),
        zone_label=formats.zone_label(zone),
        company_zone_label=formats.zone_label(site.company.zone)
        if site.company.zone.key != zone.key
        else "",
        form=form,
        hidden=hidden,
        requires_confirmation=service.requires_confirmation,
        altcha=_altcha_widget(site.company),
        back_url=site.url(
            service=service.pk,
            staff=hidden["staff"],
            week=selectors.week_start(start.astimezone(zone).date()).isoformat(),
            tz=None if locked else zone.key,
        ),
    )
    return _render(
        request, "public/details.html", context, embed_company=site.company, embed=site.embed
    )


def _proof_of_work_done(request, company, form: DetailsForm) -> bool:
    """True unless the company asks for ALTCHA and the post lacks a valid, unspent one
    (then the form carries the error). Checked last: a valid payload is spent here."""
    if not company.altcha_enabled:
        return True
    error = proof_of_work.check(company, request.POST.get(proof_of_work.FIELD))
    if error:
        form.add_error(None, error)
    return error is None


def _altcha_widget(company) -> dict | None:
    if not company.altcha_enabled:
        return None
    return {
        "challenge_url": reverse("public:altcha_challenge", kwargs={"company": company.slug}),
        "strings": json.dumps(proof_of_work.widget_strings()),
    }


@require_http_methods(["GET"])
def altcha_challenge(request, company):
    """A proof-of-work challenge for the booking form's ALTCHA widget (JSON)."""
    company_obj = selectors.company_for_page(company)
    if not company_obj.altcha_enabled:
        raise Http404
    if rate_limited(request, "public_altcha", ALTCHA_CHALLENGE_RATE, method="GET"):
        message = _("Too many attempts from your connection. Please wait a minute and try again.")
        response = JsonResponse({"detail": message}, status=429)
        response["Retry-After"] = "60"
        return response
    response = JsonResponse(proof_of_work.challenge(company_obj))
    response["Cache-Control"] = "no-store"
    return response


def _booking_language(company) -> str | None:
    language = translation.get_language()
    return language if language in company.languages else None


def _customer_zone(request) -> str:
    zone, _known = _zone_from_request(request, None)
    return zone.key if zone else ""


def _too_many(request, site: Site | None):
    context = _chrome(request, site, company=site.company if site else None)
    response = _render(
        request,
        "public/too_many.html",
        context,
        status=429,
        embed_company=site.company if site else None,
        embed=bool(site and site.embed),
    )
    response["Retry-After"] = "60"
    return response


# -- after booking: confirmation, manage ------------------------------------------------


def _booking_view(request, booking: Booking, token: str) -> dict:
    """What the confirmation and manage pages show about a booking, in the customer's zone."""
    zone, locked, known = _display_zone(request, booking.company, booking.service, booking)
    manage_path = reverse("public:manage", kwargs={"booking_id": str(booking.id), "token": token})
    manage_abs = settings.BASE_URL + manage_path
    location = booking.service.location
    return {
        "booking": booking,
        "token": token,
        "is_requested": booking.status == BookingStatus.REQUESTED,
        "is_cancelled": booking.status == BookingStatus.CANCELLED,
        "is_active": booking.is_active,
        "status_label": booking.get_status_display(),
        "when": formats.datetime_label(booking.start, zone),
        "until": formats.time_label(booking.end, zone),
        "zone_label": formats.zone_label(zone),
        "company_zone_label": formats.zone_label(booking.company.zone)
        if booking.company.zone.key != zone.key
        else "",
        "zone": zone,
        "zone_locked": locked,
        "zone_known": known,
        "location": None if booking.online else location,
        "staff_name": booking.staff.name if booking.staff else "",
        "price": formats.money(booking.service.price, booking.service.effective_currency),
        "manage_url": manage_path,
        "manage_abs_url": manage_abs,
        "ics_url": reverse("public:ics", kwargs={"booking_id": str(booking.id), "token": token}),
        "google_url": google_url(booking, manage_abs),
        "outlook_url": outlook_url(booking, manage_abs),
        "join": _join_context(booking, zone),
        "payment": _payment_context(booking, token),
    }


# What each method's button says on the booking's pages.
PAY_LABELS = {
    Method.CARD: gettext_lazy("Pay by card"),
    Method.CREDITS: gettext_lazy("Pay with credits"),
    Method.PASS: gettext_lazy("Use a pass entry"),
    Method.BANK_TRANSFER: gettext_lazy("Pay by bank transfer"),
    Method.ON_SITE: gettext_lazy("Pay on site"),
}


def _payment_context(booking: Booking, token: str) -> dict | None:
    """The payment section of the confirmation and manage pages; None when the booking
    asks for no payment."""
    info = payment_state(booking)
    if info is None:
        return None
    transfer = None
    if info.payment is not None and info.method == Method.BANK_TRANSFER:
        transfer = payment_instructions(info.payment)
        if transfer["due"] is not None:
            # A key of the page's own besides the instructions' (a TypedDict is a dict).
            cast("dict[str, Any]", transfer)["due_label"] = format_date(
                transfer["due"], format="long", locale=formats.babel_locale()
            )
    return {
        "info": info,
        "amount": formats.money(info.amount, info.currency),
        "choices": [{"method": m, "label": PAY_LABELS[Method(m)]} for m in info.methods]
        if info.waiting
        else [],
        "transfer": transfer,
        "pay_url": reverse("public:pay", kwargs={"booking_id": str(booking.id), "token": token}),
        # Paying with a pass entry needs a pass: the way to the passes on sale.
        "passes_url": reverse("public:passes", kwargs={"company": booking.company.slug})
        if info.waiting and Method.PASS in info.methods
        else None,
    }


def _join_context(booking: Booking, zone) -> dict | None:
    info = join_info(booking, timezone.now())
    if info is None:
        return None
    return {
        "info": info,
        "opens": formats.datetime_label(info.opens_at, zone),
        "closes": formats.time_label(info.closes_at, zone),
    }


@require_http_methods(["GET", "HEAD"])
def booked(request, company, booking_id, token, embed=False):
    """Step 5: the confirmation page, reached once with the new booking's manage token."""
    try:
        booking = access.booking_for_manage(booking_id, token)
    except NotFound as exc:
        raise Http404 from exc
    if booking.company.slug != company:
        raise Http404
    site = Site(request, selectors.Scope(booking.company), embed)
    done = DONE_MESSAGES.get(request.GET.get("done", "")) if not embed else None
    context = _chrome(
        request,
        site,
        step="done",
        done=done() if done else None,
        **_booking_view(request, booking, token),
    )
    return _render(
        request, "public/booked.html", context, embed_company=booking.company, embed=embed
    )


# The emails' [cancel_link] and [reschedule_link]: the manage link with ?action=.
LINK_ACTIONS = {"cancel": "public:cancel", "reschedule": "public:reschedule"}


def manage_link(request, booking_id, token):
    """/manage/<id>/<token>/ (the API's manage_url, the emails' links): into the booking's
    language, and to the page its ?action= names."""
    try:
        booking = access.booking_for_manage(booking_id, token)
    except NotFound as exc:
        raise Http404 from exc
    codes = {code for code, _name in settings.LANGUAGES}
    language = booking.language if booking.language in codes else settings.LANGUAGE_CODE
    name = LINK_ACTIONS.get(request.GET.get("action", ""), "public:manage")
    with translation.override(language):
        url = reverse(name, kwargs={"booking_id": str(booking.id), "token": token})
    return HttpResponseRedirect(url)


def _manage_booking(booking_id, token) -> Booking:
    try:
        return access.booking_for_manage(booking_id, token)
    except NotFound as exc:
        raise Http404 from exc


DONE_MESSAGES = {
    "cancelled": lambda: _("Your booking is cancelled."),
    "paid": lambda: _("Thank you! Your payment is on its way to us."),
    "pay_started": lambda: _("Thank you! Your payment details are below."),
    "rescheduled": lambda: _("Your booking has been moved to the new time."),
}


@require_http_methods(["GET", "HEAD"])
def manage(request, booking_id, token):
    booking = _manage_booking(booking_id, token)
    done = DONE_MESSAGES.get(request.GET.get("done", ""))
    return _render_manage(request, booking, token, done=done() if done else None)


def _render_manage(request, booking: Booking, token: str, *, done=None, error=None, status=200):
    now = timezone.now()
    company = booking.company
    view = _booking_view(request, booking, token)
    context = _chrome(
        request,
        company=company,
        **view
        | _zone_context(
            view["zone"],
            view["zone_locked"],
            view["zone_known"],
            company,
            view["manage_url"],
            {},
            on=booking.start.astimezone(view["zone"]).date(),
        ),
        can_cancel=booking.customer_may_cancel(now),
        can_reschedule=booking.customer_may_reschedule(now),
        cancel_cutoff_hours=company.cancel_cutoff_hours,
        reschedule_cutoff_hours=company.reschedule_cutoff_hours,
        is_past=booking.end <= now,
        cancel_url=reverse("public:cancel", kwargs={"booking_id": str(booking.id), "token": token}),
        reschedule_url=reverse(
            "public:reschedule", kwargs={"booking_id": str(booking.id), "token": token}
        ),
        book_again_url=reverse("public:page", kwargs={"company": company.slug}),
        done=done,
        payment_error=error,
    )
    return _render(request, "public/manage.html", context, status=status)


@require_POST
def manage_pay(request, booking_id, token):
    """The customer picked how to pay (a button of the payment section): the method's
    payment starts (payments.domain.checkout.payment_start); a card goes on to its
    checkout page, the others come back to the page the button was on, which now shows
    what to do (a transfer's account, amount and reference)."""
    booking = _manage_booking(booking_id, token)
    manage_path = reverse("public:manage", kwargs={"booking_id": str(booking.id), "token": token})
    back = manage_path
    if request.POST.get("next") == "booked":
        back = reverse(
            "public:booked",
            kwargs={"company": booking.company.slug, "booking_id": str(booking.id), "token": token},
        )
    try:
        payment = payment_start(
            booking=booking,
            method=request.POST.get("method", ""),
            success_url=settings.BASE_URL + manage_path + "?done=paid",
            cancel_url=settings.BASE_URL + manage_path,
            now=timezone.now(),
        )
    except DomainError as exc:
        return _render_manage(request, booking, token, error=exc.reason, status=409)
    if payment.method == Method.CARD and payment.checkout_url:
        return HttpResponseRedirect(payment.checkout_url)
    return redirect(back + ("&" if "?" in back else "?") + "done=pay_started")


@require_http_methods(["GET", "HEAD", "POST"])
def manage_cancel(request, booking_id, token):
    booking = _manage_booking(booking_id, token)
    view = _booking_view(request, booking, token)
    error = None
    if request.method == "POST":
        try:
            domain.booking_cancel(booking=booking, actor=domain.CUSTOMER)
        except DomainError as exc:
            error = exc.message
        else:
            return redirect(view["manage_url"] + "?done=cancelled")
    context = _chrome(request, company=booking.company, **view, error=error)
    return _render(request, "public/cancel.html", context, status=409 if error else 200)


@require_http_methods(["GET", "HEAD", "POST"])
def manage_reschedule(request, booking_id, token):
    booking = _manage_booking(booking_id, token)
    view = _booking_view(request, booking, token)
    service = booking.service
    scope = selectors.Scope(booking.company)
    now = timezone.now()
    error = None
    status = 200
    week = _parse_week(request.GET.get("week"))
    if request.method == "POST":
        if service.kind == ServiceKind.CLASS:
            session_id = _staff_id(request.POST.get("session"))
            session = ClassSession.objects.filter(service=service, pk=session_id or 0).first()
            start = session.start if session else None
        else:
            start = selectors.decode_start(request.POST.get("start"))
        if start is None:
            error = _("Please pick a new time.")
            status = 400
        else:
            try:
                domain.booking_reschedule(booking=booking, start=start, actor=domain.CUSTOMER)
            except (SlotUnavailable, ClassFull):
                error = _("Sorry, that time was just taken. Please pick another one.")
                status = 409
                week = selectors.week_start(start.astimezone(view["zone"]).date())
            except DomainError as exc:
                error = exc.message
                status = 409
            else:
                return redirect(view["manage_url"] + "?done=rescheduled")
    zone = view["zone"]
    tz = None if view["zone_locked"] else zone.key
    base = view["manage_url"] + "reschedule/"

    def nav(week_iso):
        return base + "?" + urlencode({k: v for k, v in {"week": week_iso, "tz": tz}.items() if v})

    week_ctx = None
    if booking.is_active:
        week_ctx = week_context(
            scope=scope,
            service=service,
            staff_id=booking.staff_id if service.kind != ServiceKind.CLASS else None,
            zone=zone,
            week=week,
            now=now,
            nav_url=nav,
            exclude_bookings=[booking.pk],
        )
    context = _chrome(
        request,
        company=booking.company,
        **view
        | _zone_context(
            zone,
            view["zone_locked"],
            view["zone_known"],
            booking.company,
            base,
            {},
            on=week_ctx["range"][0] if week_ctx else booking.start.astimezone(zone).date(),
        ),
        week=week_ctx,
        form_action=base,
        hidden={"tz": tz} if tz else {},
        notice=error,
    )
    return _render(request, "public/reschedule.html", context, status=status)


@require_http_methods(["GET", "HEAD"])
def manage_ics(request, booking_id, token):
    booking = _manage_booking(booking_id, token)
    manage_abs = settings.BASE_URL + reverse(
        "public:manage", kwargs={"booking_id": str(booking.id), "token": token}
    )
    response = HttpResponse(booking_ics(booking, manage_abs), content_type="text/calendar")
    response["Content-Disposition"] = f'attachment; filename="booking-{booking.id}.ics"'
    return response


# -- My bookings -----------------------------------------------------------------------


@public_page
@require_http_methods(["GET", "HEAD", "POST"])
def my_bookings(request, company):
    company_obj = selectors.company_for_page(company)
    session_key = access.SESSION_KEY % company_obj.pk
    email = request.session.get(session_key)
    site = Site(request, selectors.Scope(company_obj), False)
    if email:
        return _my_list(request, site, email)
    form = SignInForm(request.POST or None)
    sent = False
    next_url = _next_url(request.POST.get("next") or request.GET.get("next"), company_obj)
    if request.method == "POST":
        if rate_limited(request, "public_signin", settings.SIGNIN_RATE_LIMIT):
            return _too_many(request, site)
        if form.is_valid() and not form.cleaned_data.get("website"):
            _send_signin(request, company_obj, form.cleaned_data["email"], next_url)
        # The same answer whether or not we know the address (and for bots).
        sent = True
    context = _chrome(request, site, form=form, sent=sent, next_url=next_url)
    return render(request, "public/my_signin.html", context)


def _next_url(value: str | None, company: Company) -> str | None:
    """Where to go once signed in: a page of this company's booking site, else None
    (My bookings). Anything else, another site or another company's page, is dropped,
    so a sign-in link can never be made to send a customer away."""
    if not value or len(value) > 500 or not value.startswith("/") or value.startswith("//"):
        return None
    if not url_has_allowed_host_and_scheme(value, allowed_hosts=set()):
        return None
    try:
        match = resolve(value.split("?", 1)[0])
    except Resolver404:
        return None
    if match.namespace != "public" or match.kwargs.get("company") != company.slug:
        return None
    return value


def _send_signin(request, company, email: str, next_url: str | None = None) -> None:
    if not access.customer_bookings(company, email).exists():
        return
    token = domain.signin_link_issue(company=company, email=email)
    url = settings.BASE_URL + reverse(
        "public:my_signin", kwargs={"company": company.slug, "token": token}
    )
    if next_url:
        url += "?" + urlencode({"next": next_url})
    # Through the outbox like every email: retried while the mail server is down.
    send_sign_in_link(company=company, email=email, link=url, language=translation.get_language())


def _my_list(request, site: Site, email: str):
    now = timezone.now()
    zone, known = _zone_from_request(request, site.company.zone)
    rows = access.customer_bookings(site.company, email).order_by("start")
    upcoming: list[dict] = []
    past: list[dict] = []
    for booking in rows:
        token = access.signed_manage_token(booking)
        item = {
            "booking": booking,
            "when": formats.datetime_label(booking.start, zone),
            "status_label": booking.get_status_display(),
            "manage_url": reverse(
                "public:manage", kwargs={"booking_id": str(booking.id), "token": token}
            ),
            "online": booking.online and booking.is_active,
        }
        (upcoming if booking.end > now else past).append(item)
    past.reverse()
    context = _chrome(
        request,
        site,
        email=email,
        upcoming=upcoming,
        past=past[:50],
        zone_label=formats.zone_label(zone),
        signout_url=reverse("public:my_signout", kwargs={"company": site.company.slug}),
        book_url=site.url(),
        wallet=_my_wallet(request, site.company, email, zone),
    )
    return render(request, "public/my_list.html", context)


def _date_label(value: date | None) -> str:
    return format_date(value, format="long", locale=formats.babel_locale()) if value else ""


def _transfer_context(payment: Payment) -> dict:
    """A pending transfer's account, amount, reference and due date, as _payment.html
    shows a booking's."""
    transfer = dict(payment_instructions(payment))
    transfer["due_label"] = _date_label(payment.due)
    return transfer


def _pass_row(customer_pass: CustomerPass, pending: Payment | None, zone, now) -> dict:
    """One of the customer's passes as My bookings and the purchase page show it."""
    expires = customer_pass.expires_at
    return {
        "pass": customer_pass,
        "name": customer_pass.product.text_in("name", company=customer_pass.company),
        "entries": ngettext(
            "%(left)s of %(total)s entry left",
            "%(left)s of %(total)s entries left",
            customer_pass.entries_left,
        )
        % {"left": customer_pass.entries_left, "total": customer_pass.entries_total},
        "expires": _date_label(expires.astimezone(zone).date()) if expires else "",
        "expired": expires is not None and expires <= now,
        "waiting": not customer_pass.active,
        "on_site": pending is not None and pending.method == Method.ON_SITE,
        # A card checkout still open: the customer may go back to Stripe's page.
        "card_url": pending.checkout_url
        if pending is not None
        and pending.method == Method.CARD
        and pending.expires_at is not None
        and pending.expires_at > now
        else "",
        "amount": formats.money(pending.amount, pending.currency) if pending else "",
        "transfer": _transfer_context(pending)
        if pending is not None and pending.method == Method.BANK_TRANSFER
        else None,
    }


def _my_wallet(request, company: Company, email: str, zone) -> dict | None:
    """My bookings' passes and credits; None when the company sells neither and the
    customer holds none."""
    customer = access.signed_in_customer(request, company)
    settings_row = payment_settings_or_defaults(company)
    now = timezone.now()
    rows = []
    money = credits = Decimal(0)
    if customer is not None:
        # A pass whose card payment failed (abandoned, or Stripe down) waits for nothing.
        rows = [
            _pass_row(p, pending, zone, now)
            for p, pending in passes_of(customer)
            if p.active or pending is not None
        ]
        money = wallet_balance(customer, Unit.MONEY)
        credits = wallet_balance(customer, Unit.CREDIT)
    if not (settings_row.passes or settings_row.credits or rows or money or credits):
        return None
    return {
        "passes": rows,
        "money": formats.money(money, company.currency) if money else "",
        "credits": ngettext("%(n)s class credit", "%(n)s class credits", int(credits))
        % {"n": int(credits)}
        if credits
        else "",
        "shop_url": reverse("public:passes", kwargs={"company": company.slug})
        if settings_row.passes
        else None,
    }


@public_page
@require_http_methods(["GET", "HEAD", "POST"])
def my_signin(request, company, token):
    """The emailed link. Opening it (as mail scanners do) only shows a Sign in button;
    pressing it spends the link and signs in."""
    company_obj = selectors.company_for_page(company)
    site = Site(request, selectors.Scope(company_obj), False)
    try:
        if request.method == "POST":
            email = domain.signin_link_use(company=company_obj, token=token)
        else:
            domain.signin_link_check(company=company_obj, token=token)
    except NotFound:
        context = _chrome(request, site, form=SignInForm(), expired=True)
        return render(request, "public/my_signin.html", context, status=400)
    except InvalidState:
        context = _chrome(request, site, form=SignInForm(), used=True)
        return render(request, "public/my_signin.html", context, status=410)
    if request.method != "POST":
        return render(request, "public/my_signin_confirm.html", _chrome(request, site))
    request.session.cycle_key()
    request.session[access.SESSION_KEY % company_obj.pk] = email
    next_url = _next_url(request.GET.get("next"), company_obj)
    return redirect(next_url or reverse("public:my", kwargs={"company": company_obj.slug}))


@public_page
@require_POST
def my_signout(request, company):
    company_obj = selectors.company_for_page(company)
    request.session.pop(access.SESSION_KEY % company_obj.pk, None)
    return redirect(reverse("public:my", kwargs={"company": company_obj.slug}))


# -- passes ------------------------------------------------------------------------------

# How the booking site sells a pass: by card (Stripe Checkout; its webhook activates
# the pass), by transfer, or on site.
PASS_METHOD_LABELS = {
    Method.CARD: gettext_lazy("Card"),
    Method.BANK_TRANSFER: gettext_lazy("Bank transfer"),
    Method.ON_SITE: gettext_lazy("Pay on site"),
}


def _pass_methods(settings_row: PaymentSettings) -> list[str]:
    """The ways the booking site offers to pay for a pass, in the order shown."""
    methods: list[str] = []
    if settings_row.card and stripe_connected(settings_row):
        methods.append(Method.CARD)
    if settings_row.bank_transfer and transfer_account_complete(settings_row):
        methods.append(Method.BANK_TRANSFER)
    if settings_row.on_site:
        methods.append(Method.ON_SITE)
    return methods


def _passes_company(company: str) -> tuple[Company, PaymentSettings]:
    """The company of a passes page, 404 unless it sells passes."""
    company_obj = selectors.company_for_page(company)
    settings_row = payment_settings_or_defaults(company_obj)
    if not settings_row.passes:
        raise Http404
    return company_obj, settings_row


def _product_card(product, company: Company) -> dict:
    return {
        "product": product,
        "name": product.text_in("name", company=company),
        "description": product.text_in("description", company=company),
        "entries": ngettext("%(n)s entry", "%(n)s entries", product.entries)
        % {"n": product.entries},
        "validity": ngettext(
            "valid for %(n)s day from payment",
            "valid for %(n)s days from payment",
            product.valid_days,
        )
        % {"n": product.valid_days},
        "price": formats.money(product.price, company.currency),
        "services": [s.text_in("name", company=company) for s in product.services.all()],
    }


@public_page
@require_http_methods(["GET", "HEAD", "POST"])
def passes(request, company):
    """The company's passes on sale; a signed-in customer buys one (POST: pass_purchase)
    and is sent to the pass's page, which shows how to pay for it; by card, to the
    pass's Stripe Checkout (card.card_checkout_start_for_pass), whose webhook
    activates it."""
    company_obj, settings_row = _passes_company(company)
    site = Site(request, selectors.Scope(company_obj), False)
    here = reverse("public:passes", kwargs={"company": company_obj.slug})
    signin_url = (
        reverse("public:my", kwargs={"company": company_obj.slug}) + "?" + urlencode({"next": here})
    )
    customer = access.signed_in_customer(request, company_obj)
    methods = _pass_methods(settings_row)
    products = passes_on_sale(company_obj)
    error, status = None, 200
    if request.method == "POST":
        if rate_limited(request, "public_pass"):
            return _too_many(request, site)
        if customer is None:
            return redirect(signin_url)
        chosen = next((p for p in products if str(p.pk) == request.POST.get("product")), None)
        method = request.POST.get("method", "")
        if chosen is None:
            error, status = _("This pass is no longer on sale."), 409
        elif method not in methods:
            error, status = _("This payment method is not available for passes."), 409
        else:
            now = timezone.now()
            try:
                # By card, a second click on "buy" gets the pass of the first one, whose
                # checkout opens again.
                bought = pass_purchase(customer=customer, product=chosen, method=method, now=now)
                # A free pass is active at once: nothing to pay at Stripe.
                if method == Method.CARD and not bought.active:
                    payment = card_checkout_start_for_pass(
                        customer_pass=bought,
                        success_url=settings.BASE_URL
                        + reverse("public:my", kwargs={"company": company_obj.slug}),
                        cancel_url=settings.BASE_URL + here,
                        now=now,
                    )
                    return HttpResponseRedirect(payment.checkout_url)
            except DomainError as exc:
                error, status = exc.reason, 409
            else:
                return redirect(
                    reverse(
                        "public:pass_bought",
                        kwargs={"company": company_obj.slug, "pass_id": bought.pk},
                    )
                )
    context = _chrome(
        request,
        site,
        cards=[_product_card(p, company_obj) for p in products],
        signed_in=customer is not None,
        signed_in_email=access.signed_in_email(request, company_obj),
        signin_url=signin_url,
        methods=[{"value": m, "label": PASS_METHOD_LABELS[Method(m)]} for m in methods],
        error=error,
        my_url=reverse("public:my", kwargs={"company": company_obj.slug}),
    )
    return render(request, "public/passes.html", context, status=status)


@public_page
@require_http_methods(["GET", "HEAD"])
def pass_bought(request, company, pass_id):
    """A pass the signed-in customer bought: how to pay for it (a transfer's account,
    amount and reference), or that it is active. Another customer's pass is a 404."""
    company_obj, _settings_row = _passes_company(company)
    site = Site(request, selectors.Scope(company_obj), False)
    customer = access.signed_in_customer(request, company_obj)
    if customer is None:
        raise Http404
    found = next(((p, pending) for p, pending in passes_of(customer) if p.pk == int(pass_id)), None)
    if found is None:
        raise Http404
    zone, _known = _zone_from_request(request, company_obj.zone)
    context = _chrome(
        request,
        site,
        row=_pass_row(found[0], found[1], zone, timezone.now()),
        my_url=reverse("public:my", kwargs={"company": company_obj.slug}),
    )
    return render(request, "public/pass_bought.html", context)


@public_page
@require_http_methods(["GET", "HEAD"])
def index(request):
    """/<language>/: the businesses on this server, each a link to its booking page."""

    context = _chrome(request, companies=Company.objects.order_by("name")[:200])
    return render(request, "public/index.html", context)


# -- share: the links and embed snippets moved to the back office --------------------------


@public_page
@require_http_methods(["GET", "HEAD"])
def share(request, company):
    """The old share page's address (in the README, the admin's help text and the
    links businesses kept): the links and snippets are the back office's sharing
    page now, for the company's admins only."""
    selectors.company_for_page(company)
    return redirect("office:settings_sharing")
