"""The Django admin is for operators only: superusers, nobody else.

No admin class scopes its rows by company, so a company's staff user with model
permissions would read and change every other company's data there. Staff work
through the API and the back office, where the `access_*` helpers separate companies;
the admin stays the operator's tool for the whole installation, and refuses everyone else
at the site itself, before any model admin is asked.
"""

from django import forms
from django.conf import settings
from django.contrib.admin import AdminSite
from django.contrib.admin.forms import AdminAuthenticationForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .ratelimit import client_ip, usage

LOGIN_FAILURES = "admin_login_failures"


class OperatorAuthenticationForm(AdminAuthenticationForm):
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": _(
            "Please enter the username and password of an operator account. The admin "
            "is for the operators of this installation; staff sign in to the back office."
        ),
        "too_many_attempts": _(
            "Too many failed sign-ins for this account from your connection. Please wait "
            "a few minutes and try again."
        ),
    }

    def clean(self):
        # Failed logins per username and client (settings.ADMIN_LOGIN_RATE_LIMIT): once
        # over, even the right password is refused until the window passes, so a guess
        # that happens to be right tells the guesser nothing.
        username = self.cleaned_data.get("username")
        if username is None or self.request is None:
            return super().clean()
        counted = self._failures(username, increment=False)
        if counted and counted["count"] >= counted["limit"]:
            raise forms.ValidationError(
                self.error_messages["too_many_attempts"], code="too_many_attempts"
            )
        try:
            return super().clean()
        except forms.ValidationError as error:
            if error.code == "invalid_login":
                self._failures(username, increment=True)
            raise

    def _failures(self, username: str, *, increment: bool) -> dict | None:
        assert self.request is not None
        key = f"{client_ip(self.request)}|{username.strip().lower()}"
        return usage(
            self.request,
            LOGIN_FAILURES,
            settings.ADMIN_LOGIN_RATE_LIMIT,
            key=lambda _group, _request: key,
            increment=increment,
        )

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if not user.is_superuser:
            raise forms.ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )


class OperatorAdminSite(AdminSite):
    site_header = "Rendezvous"
    site_title = _("Rendezvous admin")
    login_form = OperatorAuthenticationForm

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and user.is_superuser)
