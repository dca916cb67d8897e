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
from django.core import validators
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import models, router, transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from .errors import DomainError


class _AtMost(validators.MaxLengthValidator):
    """The length rule in the domain's words ("At most 200 characters."), so a name too
    long reads the same in the admin as in the API (the form checks it first)."""

    def __call__(self, value: Any) -> None:
        if len(value) > self.limit_value:
            raise ValidationError(
                _("At most %(n)d characters.") % {"n": self.limit_value}, code="max_length"
            )


class DomainForm(forms.ModelForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.validators = [
                _AtMost(v.limit_value) if type(v) is validators.MaxLengthValidator else v
                for v in field.validators
            ]

    def domain_write(self):
        """Call the domain function with the form's cleaned data; return the row."""
        raise NotImplementedError

    def domain_values(self, names: Iterable[str]) -> dict:
        """The cleaned values of `names` (only those that changed, when changing a row), with
        rows given by id as the domain functions take them."""
        changing = self.instance.pk is not None
        values = {}
        for name in names:
            if name not in self.cleaned_data or (changing and name not in self.changed_data):
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


# -- inlines ---------------------------------------------------------------------------
#
# An inline's rows are saved after the page's own row, and only once every part of the
# page is valid; a refusal must show on the page instead. So a DomainInlineFormSet runs
# its domain functions twice in the admin's transaction: while validating, inside a
# savepoint that is always rolled back (the refusals become the formset's errors, and
# nothing stays written if another part of the page is refused), then for real in
# save(). A refusal at save time (a concurrent change won the race) raises, and the
# admin's transaction takes the whole page back.


class _DryRun(Exception):
    """Rolls back the trial run of a formset's domain writes."""


class DomainInlineFormSet(forms.BaseInlineFormSet):
    """An inline formset whose save is `domain_write`, calling domain functions through
    `domain_call`. Set `new_objects`, `changed_objects` and `deleted_objects` in
    `domain_write` for the admin's change message."""

    _domain_saving = False
    _domain_errors: list[str]

    def domain_write(self) -> None:
        raise NotImplementedError

    def domain_call(self, form, function, /, **kwargs):
        """`function(**kwargs)`; while validating, its refusal becomes `form`'s errors
        (the formset's own errors when `form` is None) and None is returned."""
        if self._domain_saving:
            return function(**kwargs)
        try:
            with transaction.atomic():
                return function(**kwargs)
        except DomainError as exc:
            self.domain_refused(form, exc)
            return None

    def domain_refused(self, form, exc: DomainError) -> None:
        """Shows a refusal: each field's messages on `form`'s field (or the form), the
        message itself when it names no field."""
        for field, problems in (exc.fields or {}).items():
            if form is not None:
                form.add_error(field if field in form.fields else None, problems)
            else:
                self._domain_errors.extend(problems)
        if not exc.fields:
            if form is not None:
                form.add_error(None, exc.message)
            else:
                self._domain_errors.append(exc.message)

    def clean(self):
        super().clean()
        self._domain_saving = False
        self._domain_errors = []
        self.new_objects, self.changed_objects, self.deleted_objects = [], [], []
        if any(self.errors) or not self.has_changed():
            return
        try:
            with transaction.atomic():
                self.domain_write()
                raise _DryRun
        except _DryRun:
            pass
        if self._domain_errors:
            raise forms.ValidationError(self._domain_errors)

    def save(self, commit=True):
        self.new_objects, self.changed_objects, self.deleted_objects = [], [], []
        if not self.has_changed():
            return []
        self._domain_saving = True
        self.domain_write()
        return [*self.new_objects, *(row for row, _fields in self.changed_objects)]


class DomainInline(admin.options.InlineModelAdmin):
    """An inline saved through its DomainInlineFormSet. Its domain functions need the
    parent row, so on the parent's add page it takes no rows (save the parent first,
    then add its rows)."""

    formset = DomainInlineFormSet

    def has_add_permission(self, request, obj=None):
        return obj is not None and super().has_add_permission(request, obj)
