"""Admin forms whose save is a domain function, so the admin writes the way the API,
the booking site and the back office do, and refuses what they refuse.

The admin validates the form, then saves it. A DomainForm runs its domain function as
the last step of validation (once the fields themselves are valid): the function's
refusals become the form's errors, and the row it wrote becomes the form's instance
(the same object, so inline formsets made with it see the new row's id). DomainAdmin's
save_model then has nothing left to write, and the admin goes on with that row (its
change message, the redirect). The admin's own transaction wraps both, so the domain's
after-commit work runs once the admin's request has committed.

What DomainAdmin changes in the admin's flow, and why:

| step | plain ModelAdmin | DomainAdmin |
| --- | --- | --- |
| the form is valid, an inline is not | the page shows the inline's errors | the same, and the row the domain already wrote is rolled back with the rest |
| delete one row | `obj.delete()` | `domain_delete(obj)`; a refusal is shown on the row's page, nothing deleted |
| "delete selected" | one `queryset.delete()`, one success message | `domain_delete` row by row: each refusal reported, the count of the rest |
| an action over rows | - | `apply_each` calls a domain function per row and reports the same way |
"""

import dataclasses
from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.admin.utils import model_ngettext, quote
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import models, router, transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from .errors import DomainError


class DomainForm(forms.ModelForm):
    def domain_write(self):
        """Call the domain function with the form's cleaned data; return the row."""
        raise NotImplementedError

    def domain_values(self, names: Iterable[str]) -> dict:
        """The cleaned values of `names` (only those that changed, when editing), with
        rows given by id as the domain functions take them."""
        editing = self.instance.pk is not None
        values = {}
        for name in names:
            if name not in self.cleaned_data or (editing and name not in self.changed_data):
                continue
            values[name] = _as_api_value(self.cleaned_data[name])
        return values

    def domain_error_field(self, key: str) -> str | None:
        """The form field that shows the domain's error for `key` (None: the form's)."""
        return key if key in self.fields else None

    def _post_clean(self):
        super()._post_clean()
        if self.errors:
            return
        if self.instance.pk is not None and not self.has_changed():
            return  # nothing to write: an untouched row of a list, a page whose inlines changed
        try:
            row = self.domain_write()
        except DomainError as exc:
            for key, problems in (exc.fields or {}).items():
                self.add_error(self.domain_error_field(key), problems)
            if not exc.fields:
                self.add_error(None, exc.message)
            return
        self._adopt(row)

    def _adopt(self, row: models.Model) -> None:
        """Make the form's instance the row written, keeping the object: the admin made
        its inline formsets with it before validating."""
        instance = self.instance
        if row is instance:
            return
        if type(row) is not type(instance):
            self.instance = row
            return
        for field in row._meta.concrete_fields:
            setattr(instance, field.attname, getattr(row, field.attname))
        instance._state.adding, instance._state.db = False, row._state.db
        instance._state.fields_cache = dict(row._state.fields_cache)
        instance.__dict__.pop("_prefetched_objects_cache", None)


def _as_api_value(value: Any) -> Any:
    """Rows as their ids, lists of rows as lists of ids: the shape the API sends."""
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, models.QuerySet | list | tuple):
        return [str(v.pk) if isinstance(v, models.Model) else v for v in value]
    return value


class DomainAdmin(admin.ModelAdmin):
    """Saves through its DomainForm; deletes through `domain_delete`. With
    `list_editable`, `changelist_form` is the DomainForm that saves a row of the list."""

    changelist_form: type[DomainForm] | None = None

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method in ("GET", "HEAD", "OPTIONS", "TRACE"):
            return super().changeform_view(request, object_id, form_url, extra_context)
        with transaction.atomic(using=router.db_for_write(self.model)):
            response = super().changeform_view(request, object_id, form_url, extra_context)
            # The page came back with errors (an inline's, say) after the form's domain
            # function wrote the row: nothing of this request may stay.
            context = getattr(response, "context_data", None) or {}
            if context.get("errors"):
                transaction.set_rollback(True)
            return response

    def get_changelist_form(self, request, **kwargs):
        if self.changelist_form is None:
            raise ImproperlyConfigured(
                f"{type(self).__name__}: list_editable needs a changelist_form"
            )
        return super().get_changelist_form(request, form=self.changelist_form, **kwargs)

    def changelist_view(self, request, extra_context=None):
        if request.method != "POST" or not self.list_editable:
            return super().changelist_view(request, extra_context)
        with transaction.atomic(using=router.db_for_write(self.model)):
            response = super().changelist_view(request, extra_context)
            # Each row's form wrote while the list was validated: one refused row
            # keeps the others from being saved half.
            changelist = (getattr(response, "context_data", None) or {}).get("cl")
            formset = getattr(changelist, "formset", None)
            if formset is not None and formset.is_bound and not formset.is_valid():
                transaction.set_rollback(True)
            return response

    def save_model(self, request, obj, form, change):
        # DomainForm wrote the row while validating.
        pass

    def save_related(self, request, form, formsets, change):
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def domain_delete(self, obj) -> None:
        raise NotImplementedError

    def delete_model(self, request, obj):
        # A refusal (DomainError) goes up to delete_view, which rolls the request back.
        self.domain_delete(obj)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except DomainError as exc:
            # The reason, on the row's page: a refusal is not a missing permission.
            self.message_user(request, exc.message, messages.ERROR)
            opts = self.opts
            url = reverse(
                f"admin:{opts.app_label}_{opts.model_name}_change",
                args=(quote(object_id),),
                current_app=self.admin_site.name,
            )
            return HttpResponseRedirect(url)

    def delete_queryset(self, request, queryset):
        self.apply_each(request, queryset, self.domain_delete, done=None)

    def get_actions(self, request, action_location=admin.ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location=action_location)
        if "delete_selected" in actions:
            actions["delete_selected"] = dataclasses.replace(
                actions["delete_selected"], func=type(self).domain_delete_selected
            )
        return actions

    def domain_delete_selected(self, request, queryset):
        """Django's "delete selected", deleting row by row through `domain_delete`: the
        confirmation page and the protected-rows check are Django's own."""
        if not request.POST.get("post"):
            return django_delete_selected(self, request, queryset)
        _deletable, _count, perms_needed, protected = self.get_deleted_objects(queryset, request)
        if protected:
            return django_delete_selected(self, request, queryset)
        if perms_needed:
            raise PermissionDenied

        def delete(obj) -> None:
            self.log_deletions(request, queryset.filter(pk=obj.pk))
            self.domain_delete(obj)

        deleted = self.apply_each(request, queryset, delete, done=None)
        if deleted:
            self.message_user(
                request,
                _("Successfully deleted %(count)d %(items)s.")
                % {"count": deleted, "items": model_ngettext(self.opts, deleted)},
                messages.SUCCESS,
            )
        return None

    def apply_each(
        self, request, queryset, change: Callable[[Any], object], *, done: Any = None
    ) -> int:
        """Run a domain function on each row, each in its own transaction; report each
        refusal by the row's name, then `done` (with `%(count)d`) for the rest."""
        count = 0
        for obj in queryset:
            try:
                with transaction.atomic(using=router.db_for_write(self.model)):
                    change(obj)
            except DomainError as exc:
                self.message_user(request, f"{obj}: {exc.message}", messages.ERROR)
            else:
                count += 1
        if count and done is not None:
            self.message_user(request, done % {"count": count}, messages.SUCCESS)
        return count
