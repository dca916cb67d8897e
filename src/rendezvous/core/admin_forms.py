"""Admin forms whose save is a domain function, so the admin writes the way the API,
the booking site and the back office do, and refuses what they refuse.

The admin validates the form, then saves it. A DomainForm runs its domain function as
the last step of validation (once the fields themselves are valid): the function's
refusals become the form's errors, and the row it wrote becomes the form's instance.
DomainAdmin's save_model then has nothing left to write, and the admin goes on with
that row (its change message, the redirect). The admin's own transaction wraps both,
so the domain's after-commit work runs once the admin's request has committed.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied

from .errors import DomainError


class DomainForm(forms.ModelForm):
    def domain_write(self):
        """Call the domain function with the form's cleaned data; return the row."""
        raise NotImplementedError

    def domain_values(self, names) -> dict:
        """The cleaned values of `names` (only those that changed, when editing), with
        rows given by id as the domain functions take them."""
        editing = self.instance.pk is not None
        values = {}
        for name in names:
            if name not in self.cleaned_data or (editing and name not in self.changed_data):
                continue
            value = self.cleaned_data[name]
            # Ids as the API spells them, the shape the domain functions parse.
            values[name] = str(value.pk) if hasattr(value, "pk") else value
        return values

    def _post_clean(self):
        super()._post_clean()
        if self.errors:
            return
        try:
            row = self.domain_write()
        except DomainError as exc:
            for field, messages in (exc.fields or {}).items():
                self.add_error(field if field in self.fields else None, messages)
            if not exc.fields:
                self.add_error(None, exc.message)
            return
        self.instance = row


class DomainAdmin(admin.ModelAdmin):
    """Saves through its DomainForm; deletes through `domain_delete`."""

    def save_model(self, request, obj, form, change):
        # DomainForm wrote the row while validating.
        pass

    def save_related(self, request, form, formsets, change):
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def domain_delete(self, obj) -> None:
        raise NotImplementedError

    def delete_model(self, request, obj):
        try:
            self.domain_delete(obj)
        except DomainError as exc:
            raise PermissionDenied(exc.message) from exc

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            try:
                self.domain_delete(obj)
            except DomainError as exc:
                self.message_user(request, f"{obj}: {exc.message}", messages.ERROR)
