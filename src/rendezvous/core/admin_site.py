"""The Django admin is for operators only: superusers, nobody else.

No admin class scopes its rows by company, so a company's staff user with model
permissions would read and change every other company's data there. Staff work
through the API and the back office, where the `access_*` helpers separate companies;
the admin stays the operator's tool for the whole installation, and refuses everyone else
at the site itself, before any model admin is asked.
"""

from django import forms
from django.contrib.admin import AdminSite
from django.contrib.admin.forms import AdminAuthenticationForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _


class OperatorAuthenticationForm(AdminAuthenticationForm):
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": _(
            "Please enter the username and password of an operator account. The admin "
            "is for the operators of this installation; staff sign in to the back office."
        ),
    }

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
