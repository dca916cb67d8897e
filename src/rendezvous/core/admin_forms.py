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
from django.db import transaction

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
