"""Writes to categories, which services are listed under.

| function | writes | refuses |
| --- | --- | --- |
| category_create / category_update | the Category | bad fields (400) |
| category_delete | the Category; its services stay, without a category | - |
"""

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from rendezvous.companies.domain import (
    FieldErrors,
    clean_int,
    clean_text,
)
from rendezvous.companies.models import Company
from rendezvous.core.audit import field_changes, logged, row_values

from ..models import Category
from .texts import CATEGORY_TEXTS, NAME_MAX, clean_translations

POSITION_MAX = 1_000_000
# The audit log's entity name (core.audit) of categories.
CATEGORY = "category"


def _clean_category(company: Company, values: Mapping[str, Any], *, creating: bool):
    errors = FieldErrors()
    cleaned: dict[str, Any] = {}
    if creating or "name" in values:
        cleaned["name"] = clean_text(errors, "name", values.get("name"), max_length=NAME_MAX)
    if "translations" in values:
        cleaned["translations"] = clean_translations(
            errors, company, values["translations"], texts=CATEGORY_TEXTS
        )
    if "position" in values:
        cleaned["position"] = clean_int(
            errors, "position", values["position"], low=0, high=POSITION_MAX
        )
    errors.raise_if_any()
    return cleaned


def category_create(*, company: Company, values: Mapping[str, Any]) -> Category:
    """Add a category that services are listed under.

    Side effects, in order:
    1. validate: name, position; translations only in the company's languages
    2. write: the Category
    Raises ValidationFailed; nothing is written then.
    """
    cleaned = _clean_category(company, values, creating=True)
    with transaction.atomic():
        category = Category.objects.create(company=company, **cleaned)
        logged(category, CATEGORY, "created", field_changes({}, cleaned))
    return category


def category_update(*, category: Category, values: Mapping[str, Any]) -> Category:
    """Change the given fields of a category (a PATCH).

    Side effects, in order:
    1. validate: as category_create, only the fields given
    2. lock: the category row
    3. write: the fields given
    Raises ValidationFailed; nothing is written then.
    """
    cleaned = _clean_category(category.company, values, creating=False)
    with transaction.atomic():
        locked = Category.objects.select_for_update().get(pk=category.pk)
        changes = field_changes(row_values(locked, cleaned), cleaned)
        for name, value in cleaned.items():
            setattr(locked, name, value)
        if cleaned:
            locked.save(update_fields=list(cleaned))
        if changes:
            logged(locked, CATEGORY, "updated", changes)
    return locked


def category_delete(*, category: Category) -> None:
    """Delete a category. Its services stay, listed without a category.

    Side effects, in order: lock the category row; delete it, which empties its
    services' category (the foreign key's SET_NULL). Free times do not depend on it.
    """
    with transaction.atomic():
        locked = Category.objects.select_for_update().filter(pk=category.pk).first()
        if locked is not None:
            logged(locked, CATEGORY, "deleted", {"name": (locked.name, None)})
            locked.delete()
