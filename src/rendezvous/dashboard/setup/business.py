"""Settings: the company and its booking rules, locations and resources, services.

Admins only (access_manage_catalog, asked first by every view, so a senior or a
junior gets 404 before anything is read or written). Each view parses the form into
the typed values the domain functions take (companies.domain, catalog.domain)
and shows their refusals beside the fields; a refused save writes nothing.
"""

from collections.abc import Mapping
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db.models import Count, Prefetch
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rendezvous.catalog import domain as catalog
from rendezvous.catalog.models import Category, Service, ServiceKind
from rendezvous.companies import domain as companies
from rendezvous.companies.access import Actor, access_company_row, access_manage_catalog
from rendezvous.companies.models import Company, Location, Resource, StaffMember
from rendezvous.core.audit import history
from rendezvous.core.errors import DomainError
from rendezvous.core.zones import canonical_zones
from rendezvous.notifications.models import NotificationSettings

from ..refusals import form_errors
from ..views import office_view

# The company's whole numbers, as the form names them (the domain's field names).
COMPANY_NUMBERS = (
    "min_notice_minutes",
    "max_days_ahead",
    "slot_step_minutes",
    "cancel_cutoff_hours",
    "reschedule_cutoff_hours",
)
SERVICE_NUMBERS = ("duration_minutes", "buffer_before_minutes", "buffer_after_minutes")


def settings_view(view):
    """office_view for admins only: the role is asked before anything else (even the
    method), so a senior or a junior gets 404 for every settings URL."""

    @office_view
    @wraps(view)
    def wrapper(request, actor: Actor, *args, **kwargs):
        access_manage_catalog(actor)
        return view(request, actor, *args, **kwargs)

    return wrapper


# -- parsing the forms into the domain's typed values ----------------------------------


def _number(value: str) -> int | str | None:
    """A whole number as typed: an int, None when empty, or the text itself, which the
    domain refuses with its own message ("Enter a whole number from ... to ...")."""
    value = (value or "").strip()
    if not value:
        return None
    return int(value) if value.isdigit() and len(value) <= 12 else value


def _ref(value: str) -> str | None:
    """A row id as the domain takes it (a string of digits); None for "none"."""
    value = (value or "").strip()
    return value or None


def _checked(form: Mapping, name: str) -> bool:
    return form.get(name) == "on"


def _language_names() -> dict[str, str]:
    return {code: str(name) for code, name in settings.LANGUAGES}


def _other_languages(company: Company) -> list[str]:
    """The languages a text may be translated into: all offered but the default,
    which the base fields hold."""
    return [code for code in company.languages[1:] if code in _language_names()]


def _translation_values(form: Mapping, company: Company, texts) -> dict[str, dict[str, str]]:
    return {
        code: {text: form.get(f"tr-{code}-{text}", "") for text in texts}
        for code in _other_languages(company)
    }


def _translation_rows(
    company: Company, row, texts, form: Mapping | None, errors: Mapping[str, list[str]]
) -> list[dict[str, Any]]:
    """Per offered language, each text's input name, value and errors (templates
    cannot look up "translations.de.name" by a built key)."""
    names = _language_names()
    saved = (getattr(row, "translations", None) or {}) if row is not None else {}
    rows = []
    for code in _other_languages(company):
        fields = []
        for text in texts:
            key = f"tr-{code}-{text}"
            value = form.get(key, "") if form is not None else saved.get(code, {}).get(text, "")
            fields.append(
                {
                    "text": text,
                    "input": key,
                    "value": value,
                    "errors": errors.get(f"translations.{code}.{text}", []),
                }
            )
        rows.append({"code": code, "name": names[code], "fields": fields})
    return rows


def _all_errors(errors: Mapping[str, list[str]], known: set[str]) -> list[str]:
    """The problems no field of the form shows (the page's alert)."""
    return [
        problem
        for key, problems in errors.items()
        if key not in known and not key.startswith("translations.")
        for problem in problems
    ]


def _tabs(current: str) -> dict[str, str]:
    return {"settings_tab": current, "page": "settings"}


# -- company and booking rules ---------------------------------------------------------


def _company_values(form: QueryDict) -> dict[str, Any]:
    default = form.get("default_language", "")
    others = [code for code in form.getlist("languages") if code != default]
    values: dict[str, Any] = {
        "name": form.get("name", ""),
        "timezone": form.get("timezone", ""),
        # The default first: it is the language of the company's own texts.
        "languages": [default, *others] if default else others,
        "currency": form.get("currency", "").strip().upper(),
        "altcha_enabled": _checked(form, "altcha_enabled"),
        "frame_ancestors": form.get("frame_ancestors", ""),
    }
    for name in COMPANY_NUMBERS:
        values[name] = _number(form.get(name, ""))
    return values


@settings_view
def company_settings(request, actor: Actor):
    company = actor.company
    errors: dict[str, list[str]] = {}
    form: QueryDict | None = None
    if request.method == "POST":
        form = request.POST
        try:
            companies.company_update(
                company=company, fields=companies.CompanyFields(**_company_values(form))
            )
        except DomainError as exc:
            errors = form_errors(exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("office:settings_company")
    chosen = form.getlist("languages") if form is not None else company.languages
    default = form.get("default_language") if form is not None else company.default_language
    fields = Company._meta
    known = {"name", "timezone", "languages", "currency", "frame_ancestors", *COMPANY_NUMBERS}
    return render(
        request,
        "dashboard/settings/company.html",
        {
            "company": company,
            "form": form,
            "errors": errors,
            "other_errors": _all_errors(errors, known),
            "zones": _zones(company.timezone),
            "language_choices": [
                {"code": code, "name": name, "offered": code in chosen, "default": code == default}
                for code, name in _language_names().items()
            ],
            "altcha_help": fields.get_field("altcha_enabled").help_text,
            "frame_help": fields.get_field("frame_ancestors").help_text,
            "history": history(
                companies.COMPANY, company.pk, sources=(Company, NotificationSettings)
            ),
            **_tabs("company"),
        },
        status=422 if errors else 200,
    )


# -- locations and resources -----------------------------------------------------------


def _location_values(form: Mapping) -> dict[str, Any]:
    return {
        "name": form.get("name", ""),
        "timezone": form.get("timezone", ""),
        "address": form.get("address", ""),
    }


def _resource_values(form: Mapping) -> dict[str, Any]:
    return {
        "name": form.get("name", ""),
        "kind": form.get("kind", "").strip(),
        "location": _ref(form.get("location", "")),
        "active": _checked(form, "active"),
        "online_bookable": _checked(form, "online_bookable"),
    }


def _zones(current: str) -> list[str]:
    zones = list(canonical_zones())
    if current and current not in zones:
        zones.insert(0, current)
    return zones


def _locations_page(request, actor: Actor, *, location_form=None, resource_form=None, errors=None):
    company = actor.company
    errors = errors or {}
    return render(
        request,
        "dashboard/settings/locations.html",
        {
            "locations": list(
                Location.objects.filter(company=company)
                .annotate(resource_count=Count("resources"))
                .order_by("name", "id")
            ),
            "resources": list(
                Resource.objects.filter(company=company)
                .select_related("location")
                .order_by("kind", "name", "id")
            ),
            "zones": _zones(company.timezone),
            "location_form": location_form,
            "location_errors": errors if location_form is not None else {},
            "resource_form": resource_form,
            "resource_errors": errors if resource_form is not None else {},
            "default_zone": company.timezone,
            **_tabs("locations"),
        },
        status=422 if errors else 200,
    )


@settings_view
def locations(request, actor: Actor):
    """The locations and resources, and the forms that add one of each."""
    if request.method != "POST":
        return _locations_page(request, actor)
    try:
        location = companies.location_create(
            company=actor.company,
            fields=companies.LocationFields(**_location_values(request.POST)),
        )
    except DomainError as exc:
        return _locations_page(request, actor, location_form=request.POST, errors=form_errors(exc))
    messages.success(request, _("Location “%(name)s” added.") % {"name": location.name})
    return redirect("office:settings_locations")


@settings_view
def location(request, actor: Actor, location_id: int):
    row = access_company_row(actor, Location, location_id)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            companies.location_update(
                location=row, fields=companies.LocationFields(**_location_values(request.POST))
            )
        except DomainError as exc:
            errors = form_errors(exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("office:settings_locations")
    return render(
        request,
        "dashboard/settings/location.html",
        {
            "location": row,
            "form": request.POST if errors else None,
            "errors": errors,
            "zones": _zones(row.timezone),
            **_tabs("locations"),
        },
        status=422 if errors else 200,
    )


@settings_view
@require_POST
def location_delete(request, actor: Actor, location_id: int):
    row = access_company_row(actor, Location, location_id)
    try:
        companies.location_delete(location=row)
    except DomainError as exc:
        messages.error(request, exc.reason)
        return redirect("office:settings_location", location_id=row.pk)
    messages.success(request, _("Location “%(name)s” deleted.") % {"name": row.name})
    return redirect("office:settings_locations")


@settings_view
@require_POST
def resource_new(request, actor: Actor):
    try:
        resource = companies.resource_create(
            company=actor.company,
            fields=companies.ResourceFields(**_resource_values(request.POST)),
        )
    except DomainError as exc:
        return _locations_page(request, actor, resource_form=request.POST, errors=form_errors(exc))
    messages.success(request, _("Resource “%(name)s” added.") % {"name": resource.name})
    return redirect("office:settings_locations")


@settings_view
def resource(request, actor: Actor, resource_id: int):
    row = access_company_row(actor, Resource, resource_id)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            companies.resource_update(
                resource=row, fields=companies.ResourceFields(**_resource_values(request.POST))
            )
        except DomainError as exc:
            errors = form_errors(exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("office:settings_locations")
    return render(
        request,
        "dashboard/settings/resource.html",
        {
            "resource": row,
            "form": request.POST if errors else None,
            "errors": errors,
            "locations": list(Location.objects.filter(company=actor.company).order_by("name")),
            **_tabs("locations"),
        },
        status=422 if errors else 200,
    )


@settings_view
@require_POST
def resource_delete(request, actor: Actor, resource_id: int):
    row = access_company_row(actor, Resource, resource_id)
    try:
        companies.resource_delete(resource=row)
    except DomainError as exc:
        messages.error(request, exc.reason)
        return redirect("office:settings_resource", resource_id=row.pk)
    messages.success(request, _("Resource “%(name)s” deleted.") % {"name": row.name})
    return redirect("office:settings_locations")


# -- services, classes and their categories --------------------------------------------


def _price(value: str) -> str | None:
    # "12,50" as most of the offered languages write it; the domain checks the rest.
    value = (value or "").strip()
    if "," in value and "." not in value:
        value = value.replace(",", ".")
    return value or None


def _service_fields(form: QueryDict, company: Company) -> catalog.ServiceFields:
    values: dict[str, Any] = {
        "name": form.get("name", ""),
        "description": form.get("description", ""),
        "translations": _translation_values(form, company, catalog.SERVICE_TEXTS),
        "category": _ref(form.get("category", "")),
        "kind": form.get("kind", ""),
        "price": _price(form.get("price", "")) or "0",
        "requires_confirmation": _checked(form, "requires_confirmation"),
        "requires_payment": _checked(form, "requires_payment"),
        "max_per_staff_per_day": _number(form.get("max_per_staff_per_day", "")),
        "staff": form.getlist("staff"),
        "location": _ref(form.get("location", "")),
        "resource_kind": form.get("resource_kind", "").strip(),
        "online_meeting": _checked(form, "online_meeting"),
    }
    for name in SERVICE_NUMBERS:
        number = _number(form.get(name, ""))
        # An empty buffer is no buffer; an empty duration is the domain's to refuse.
        values[name] = 0 if number is None and name != "duration_minutes" else number
    # A number or price the page could not read goes to the domain as typed: it refuses
    # it with the field's range, the message an out-of-range value gets.
    return catalog.ServiceFields(**values)


def _service_page(
    request, actor: Actor, service: Service | None, *, form=None, errors=None, status=200
):
    company = actor.company
    errors = errors or {}
    if form is not None:
        staff_ids = set(form.getlist("staff"))
    elif service is not None:
        staff_ids = {str(pk) for pk in service.staff.values_list("pk", flat=True)}
    else:
        staff_ids = set()
    known = {
        "name",
        "description",
        "category",
        "kind",
        "price",
        "max_per_staff_per_day",
        "staff",
        "location",
        "resource_kind",
        "online_meeting",
        *SERVICE_NUMBERS,
    }
    return render(
        request,
        "dashboard/settings/service.html",
        {
            "service": service,
            "form": form,
            "errors": errors,
            "other_errors": _all_errors(errors, known),
            "translations": _translation_rows(
                company, service, catalog.SERVICE_TEXTS, form, errors
            ),
            "categories": list(Category.objects.filter(company=company)),
            "kinds": ServiceKind.choices,
            "staff": [
                {"member": member, "checked": str(member.pk) in staff_ids}
                for member in StaffMember.objects.filter(company=company).order_by("name", "id")
            ],
            "locations": list(Location.objects.filter(company=company).order_by("name")),
            "resource_kinds": sorted(
                set(Resource.objects.filter(company=company).values_list("kind", flat=True))
            ),
            "online_meetings": company.online_meetings_enabled,
            "currency": company.currency,
            "history": history(catalog.SERVICE, service.pk, sources=(Service,)) if service else [],
            **_tabs("services"),
        },
        status=422 if errors else status,
    )


@settings_view
def services(request, actor: Actor):
    """Every service and class, grouped by category; the categories' own forms."""
    company = actor.company
    rows = Service.objects.filter(company=company).prefetch_related(
        Prefetch("staff", queryset=StaffMember.objects.order_by("name"))
    )
    categories = list(
        Category.objects.filter(company=company).prefetch_related(
            Prefetch("services", queryset=rows, to_attr="listed")
        )
    )
    return render(
        request,
        "dashboard/settings/services.html",
        {
            "categories": categories,
            "uncategorised": list(rows.filter(category__isnull=True)),
            "has_services": rows.exists(),
            "category_translations": _translation_rows(
                company, None, catalog.CATEGORY_TEXTS, None, {}
            ),
            "category_form": None,
            "category_errors": {},
            "currency": company.currency,
            **_tabs("services"),
        },
    )


@settings_view
def service_new(request, actor: Actor):
    if request.method != "POST":
        return _service_page(request, actor, None)
    try:
        created = catalog.service_create(
            company=actor.company, fields=_service_fields(request.POST, actor.company)
        )
    except DomainError as exc:
        return _service_page(request, actor, None, form=request.POST, errors=form_errors(exc))
    messages.success(request, _("“%(name)s” is in the list.") % {"name": created.name})
    return redirect("office:settings_services")


@settings_view
def service(request, actor: Actor, service_id: int):
    row = access_company_row(actor, Service, service_id)
    if request.method != "POST":
        return _service_page(request, actor, row)
    try:
        catalog.service_update(service=row, fields=_service_fields(request.POST, actor.company))
    except DomainError as exc:
        return _service_page(request, actor, row, form=request.POST, errors=form_errors(exc))
    messages.success(request, _("Saved."))
    return redirect("office:settings_services")


@settings_view
@require_POST
def service_archive(request, actor: Actor, service_id: int):
    row = access_company_row(actor, Service, service_id)
    try:
        catalog.service_deactivate(service=row)
    except DomainError as exc:
        messages.error(request, exc.reason)
        return redirect("office:settings_service", service_id=row.pk)
    messages.success(
        request,
        _("“%(name)s” is archived: gone from the booking pages; its bookings stay.")
        % {"name": row.name},
    )
    return redirect("office:settings_services")


@settings_view
@require_POST
def service_restore(request, actor: Actor, service_id: int):
    row = access_company_row(actor, Service, service_id)
    try:
        catalog.service_update(service=row, fields=catalog.ServiceFields(active=True))
    except DomainError as exc:
        messages.error(request, exc.reason)
        return redirect("office:settings_service", service_id=row.pk)
    messages.success(request, _("“%(name)s” is bookable again.") % {"name": row.name})
    return redirect("office:settings_services")


@settings_view
@require_POST
def service_delete(request, actor: Actor, service_id: int):
    row = access_company_row(actor, Service, service_id)
    try:
        catalog.service_delete(service=row)
    except DomainError as exc:
        messages.error(request, exc.reason)
        return redirect("office:settings_service", service_id=row.pk)
    messages.success(request, _("“%(name)s” deleted.") % {"name": row.name})
    return redirect("office:settings_services")


def _category_fields(form: Mapping, company: Company) -> catalog.CategoryFields:
    position: Any = _number(form.get("position", "")) or 0  # as _service_fields' numbers
    return catalog.CategoryFields(
        name=form.get("name", ""),
        position=position,
        translations=_translation_values(form, company, catalog.CATEGORY_TEXTS),
    )


@settings_view
@require_POST
def category_new(request, actor: Actor):
    try:
        created = catalog.category_create(
            company=actor.company, fields=_category_fields(request.POST, actor.company)
        )
    except DomainError as exc:
        messages.error(request, exc.reason)
    else:
        messages.success(request, _("Category “%(name)s” added.") % {"name": created.name})
    return redirect("office:settings_services")


@settings_view
def category(request, actor: Actor, category_id: int):
    row = access_company_row(actor, Category, category_id)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            catalog.category_update(
                category=row, fields=_category_fields(request.POST, actor.company)
            )
        except DomainError as exc:
            errors = form_errors(exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("office:settings_services")
    form = request.POST if errors else None
    return render(
        request,
        "dashboard/settings/category.html",
        {
            "category": row,
            "form": form,
            "errors": errors,
            "other_errors": _all_errors(errors, {"name", "position"}),
            "translations": _translation_rows(
                actor.company, row, catalog.CATEGORY_TEXTS, form, errors
            ),
            **_tabs("services"),
        },
        status=422 if errors else 200,
    )


@settings_view
@require_POST
def category_delete(request, actor: Actor, category_id: int):
    row = access_company_row(actor, Category, category_id)
    catalog.category_delete(category=row)
    messages.success(
        request,
        _("Category “%(name)s” deleted; its services are listed without a category.")
        % {"name": row.name},
    )
    return redirect("office:settings_services")


urlpatterns: list = [
    path("", company_settings, name="settings_company"),
    path("locations/", locations, name="settings_locations"),
    path("locations/<int:location_id>/", location, name="settings_location"),
    path("locations/<int:location_id>/delete/", location_delete, name="settings_location_delete"),
    path("resources/new/", resource_new, name="settings_resource_new"),
    path("resources/<int:resource_id>/", resource, name="settings_resource"),
    path("resources/<int:resource_id>/delete/", resource_delete, name="settings_resource_delete"),
    path("services/", services, name="settings_services"),
    path("services/new/", service_new, name="settings_service_new"),
    path("services/<int:service_id>/", service, name="settings_service"),
    path("services/<int:service_id>/archive/", service_archive, name="settings_service_archive"),
    path("services/<int:service_id>/restore/", service_restore, name="settings_service_restore"),
    path("services/<int:service_id>/delete/", service_delete, name="settings_service_delete"),
    path("categories/new/", category_new, name="settings_category_new"),
    path("categories/<int:category_id>/", category, name="settings_category"),
    path("categories/<int:category_id>/delete/", category_delete, name="settings_category_delete"),
]
