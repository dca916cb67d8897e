"""The back office's way in for someone nobody could invite: the setup page of a fresh
installation (/office/setup/, and what /office/ shows while there is no company and no
user) and, with RENDEZVOUS_SIGNUP=open, the sign-up page (/office/signup/) where a
business starts its own company.

Both are one form, the company and its admin account, which
companies.domain.company_setup checks and writes; the new admin is signed in and
lands in the company's settings. The setup page answers 404 once the installation is
set up (company_setup re-checks that under a lock, so two people racing for it make
one company), the sign-up page 404 while sign-up is closed.
"""

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, password_validation
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from rendezvous.companies import domain as companies
from rendezvous.core.errors import InvalidState, ValidationFailed
from rendezvous.core.zones import canonical_zones

from .refusals import form_errors

# The fields the form shows its problems beside; any other goes to the page's alert.
FIELDS = {
    "name",
    "slug",
    "timezone",
    "languages",
    "currency",
    "username",
    "email",
    "password",
    "password_again",
}
DEFAULT_CURRENCY = "EUR"


def _values(form: QueryDict) -> tuple[dict[str, Any], dict[str, Any]]:
    default = form.get("default_language", "")
    others = [code for code in form.getlist("languages") if code != default]
    company = {
        "name": form.get("name", ""),
        "slug": form.get("slug", "").strip(),
        "timezone": form.get("timezone", ""),
        # The default first: it is the language of the company's own texts.
        "languages": [default, *others] if default else others,
        "currency": form.get("currency", "").strip().upper(),
    }
    admin = {
        "username": form.get("username", ""),
        "email": form.get("email", ""),
        "password": form.get("password", ""),
        "password_again": form.get("password_again", ""),
    }
    return company, admin


def _page(request, *, first_run: bool, form: QueryDict | None, errors: Mapping[str, list[str]]):
    language = get_language() or settings.LANGUAGE_CODE
    chosen = form.getlist("languages") if form is not None else [language]
    default = form.get("default_language") if form is not None else language
    return render(
        request,
        "dashboard/setup.html",
        {
            "first_run": first_run,
            "action": reverse("office:setup" if first_run else "office:signup"),
            "form": form,
            "errors": errors,
            "other_errors": [
                problem
                for field, problems in errors.items()
                if field not in FIELDS
                for problem in problems
            ],
            "zones": canonical_zones(),
            "timezone": form.get("timezone") if form is not None else settings.TIME_ZONE,
            "currency": form.get("currency") if form is not None else DEFAULT_CURRENCY,
            "language_choices": [
                {
                    "code": code,
                    "name": str(name),
                    "offered": code in chosen,
                    "default": code == default,
                }
                for code, name in settings.LANGUAGES
            ],
            "password_help": password_validation.password_validators_help_texts(),
        },
        status=422 if errors else 200,
    )


def _setup_form(request, *, first_run: bool):
    if request.method != "POST":
        return _page(request, first_run=first_run, form=None, errors={})
    company, admin = _values(request.POST)
    try:
        made = companies.company_setup(
            company=companies.CompanyFields(**company),
            admin=companies.AdminFields(**admin),
            first_run=first_run,
        )
    except InvalidState as exc:
        # Someone else set the installation up a moment ago: the page is gone for all.
        raise Http404() from exc
    except ValidationFailed as exc:
        errors = form_errors(exc)
        return _page(request, first_run=first_run, form=request.POST, errors=errors)
    login(request, made.user, backend="django.contrib.auth.backends.ModelBackend")
    messages.success(
        request,
        _("%(company)s is set up. Next: its locations, services and staff.")
        % {"company": made.company.name},
    )
    return redirect("office:settings_company")


@require_http_methods(["GET", "POST"])
def setup(request):
    if not companies.is_first_run():
        raise Http404()
    return _setup_form(request, first_run=True)


@require_http_methods(["GET", "POST"])
def signup(request):
    if settings.SIGNUP != "open":
        raise Http404()
    if request.user.is_authenticated:
        return redirect("office:home")
    return _setup_form(request, first_run=False)
