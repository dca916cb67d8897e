"""Writes to categories, which services are listed under.

| function | writes | refuses |
| --- | --- | --- |
| category_create / category_update | the Category | bad fields (400) |
| category_delete | the Category; its services stay, without a category | - |
"""

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from rendezvous.companies.domain.cleaning import (
    UNSET,
    FieldErrors,
    Maybe,
    clean_int,
    clean_text,
)
from rendezvous.companies.models import Company
from rendezvous.core.audit import field_changes, logged, update_logged

from ..models import Category
from .texts import CATEGORY_TEXTS, NAME_MAX, Translations, clean_translations

POSITION_MAX = 1_000_000
# The audit log's entity name (core.audit) of categories.
CATEGORY = "category"


@dataclass(frozen=True, kw_only=True)
class CategoryFields:
    """A category's writable fields; UNSET ones are left as they are (the name is
    required to create one). None clears `translations`; for the others it is refused."""

    name: Maybe[str | None] = UNSET
    translations: Maybe[Translations | None] = UNSET
    position: Maybe[int | None] = UNSET


def _clean_category(company: Company, fields: CategoryFields, *, creating: bool) -> dict[str, Any]:
    errors = FieldErrors()
    cleaned: dict[str, Any] = {}
    if creating or fields.name is not UNSET:
        name = None if fields.name is UNSET else fields.name
        cleaned["name"] = clean_text(errors, "name", name, max_length=NAME_MAX)
    if fields.translations is not UNSET:
        cleaned["translations"] = clean_translations(
            errors, company, fields.translations, texts=CATEGORY_TEXTS
        )
    if fields.position is not UNSET:
        cleaned["position"] = clean_int(
            errors, "position", fields.position, low=0, high=POSITION_MAX
        )
    errors.raise_if_any()
    return cleaned


def category_create(*, company: Company, fields: CategoryFields) -> Category:
    """Add a category that services are listed under.

    Side effects, in order:
    1. validate: name (required), position; translations only in the company's languages
    2. write: the Category
    Raises ValidationFailed; nothing is written then.
    """
    cleaned = _clean_category(company, fields, creating=True)
    with transaction.atomic():
        category = Category.objects.create(company=company, **cleaned)
        logged(category, CATEGORY, "created", field_changes({}, cleaned))
    return category


def category_update(*, category: Category, fields: CategoryFields) -> Category:
    """Change the fields given of a category (a PATCH).

    Side effects, in order:
    1. validate: as category_create, only the fields given
    2. lock: the category row
    3. write: the fields given
    Raises ValidationFailed; nothing is written then.
    """
    cleaned = _clean_category(category.company, fields, creating=False)
    with transaction.atomic():
        locked = Category.objects.select_for_update().get(pk=category.pk)
        update_logged(locked, CATEGORY, cleaned)
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
