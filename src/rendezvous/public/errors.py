"""Error pages (400, 403, 404, 500) in the booking site's layout and the visitor's
language (LocaleMiddleware has activated it from the URL prefix, else the cookie or the
browser's languages), with a way back: the company's booking page when the address
names a company we know, else the start page.

The 500 page renders from a standalone template with what can be worked out without
the database (which may be what failed), and falls back to plain text if even that
fails.
"""

from __future__ import annotations

import logging
import re

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.template import loader
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import requires_csrf_token

from rendezvous.companies.models import Company
from rendezvous.core.errors import Forbidden, NotFound, ValidationFailed, error_response
from rendezvous.core.security import apply_policy

from .security import frame_ancestors

logger = logging.getLogger(__name__)

_SLUG = re.compile(r"^[-a-zA-Z0-9_]{1,60}$")


def _company_slug(request: HttpRequest) -> tuple[str | None, bool]:
    """(slug, embed) of the company the address names, if it names one."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.kwargs.get("company"), bool(match.kwargs.get("embed"))
    # Not resolved (a mistyped step): /<language>/[embed/]<slug>/...
    parts = [p for p in request.path_info.split("/") if p]
    codes = {code for code, _name in settings.LANGUAGES}
    if not parts or parts[0] not in codes:
        return None, False
    parts = parts[1:]
    embed = bool(parts) and parts[0] == "embed"
    parts = parts[1:] if embed else parts
    return (parts[0], embed) if parts and _SLUG.match(parts[0]) else (None, False)


def _back(company: Company | None, embed: bool) -> tuple[str, str]:
    if company is not None:
        name = "public:embed" if embed else "public:page"
        url = reverse(name, kwargs={"company": company.slug})
        return url, _("Back to %(company)s") % {"company": company.name}
    return reverse("public:index"), _("Go to the start page")


# What an /api/ address that reached no endpoint answers: the API's own error shape,
# never a page, so a client reads the same JSON for every refusal.
API_ERRORS = {400: ValidationFailed, 403: Forbidden, 404: NotFound}


def _page(request: HttpRequest, template: str, status: int) -> HttpResponse:
    if request.path.startswith("/api/") and status in API_ERRORS:
        error = API_ERRORS[status]
        return error_response(error.code, str(error.default_message), status=status)
    slug, embed = _company_slug(request)
    company = Company.objects.filter(slug=slug).first() if slug else None
    embed = embed and company is not None
    back_url, back_label = _back(company, embed)
    context = {
        "company": company,
        "embed": embed,
        "embed_origins": " ".join(frame_ancestors(company)) if embed else "",
        "base_template": "public/embed_base.html" if embed else "base.html",
        "back_url": back_url,
        "back_label": back_label,
    }
    body = loader.render_to_string(template, context, request)
    response = HttpResponse(body, status=status)
    # An error inside an embed stays visible in its frame; any other is framed by nobody.
    return apply_policy(response, frame_ancestors=frame_ancestors(company) if embed else None)


@requires_csrf_token
def bad_request(request: HttpRequest, exception=None) -> HttpResponse:
    return _page(request, "400.html", 400)


@requires_csrf_token
def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    return _page(request, "403.html", 403)


@requires_csrf_token
def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    return _page(request, "404.html", 404)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent without its CSRF token (an old tab, cookies blocked): say what to do."""
    return _page(request, "403_csrf.html", 403)


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    try:
        slug, _embed = _company_slug(request)
        try:
            home = reverse("public:index")
            company_url = reverse("public:page", kwargs={"company": slug}) if slug else ""
        except NoReverseMatch:
            home, company_url = "/", ""
        body = loader.render_to_string("500.html", {"home_url": home, "company_url": company_url})
    except Exception:
        logger.exception("the 500 page failed")
        return HttpResponseServerError(
            "Server error (500). Please try again later.", content_type="text/plain"
        )
    return HttpResponseServerError(body)
