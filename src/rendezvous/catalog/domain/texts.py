"""The texts a customer sees of categories and services: their limits, and their
translations into the other languages a company offers (clean_translations, which
the category and service writes share).
"""

from collections.abc import Mapping

from django.utils.translation import gettext as _

from rendezvous.companies.domain import (
    FieldErrors,
    clean_text,
)
from rendezvous.companies.models import Company

NAME_MAX = 200
DESCRIPTION_MAX = 5000
# The texts a customer sees, per model, with their limits: (max length, multi-line).
SERVICE_TEXTS = {"name": (NAME_MAX, False), "description": (DESCRIPTION_MAX, True)}
CATEGORY_TEXTS = {"name": (NAME_MAX, False)}
# The texts of a row in other languages: {"de": {"name": "...", "description": "..."}}.
type Translations = Mapping[str, Mapping[str, str]]


def clean_translations(
    errors: FieldErrors,
    company: Company,
    value: Translations | None,
    *,
    texts: Mapping[str, tuple[int, bool]],
    field: str = "translations",
) -> dict[str, dict[str, str]]:
    """{"de": {"name": ...}} with only languages the company offers and only the
    given texts, each checked like its base field (length, control characters).
    Empty texts and languages are dropped: those fall back to the default language.
    Errors are named `<field>.<language>.<text>`."""
    if value is None:
        return {}
    cleaned: dict[str, dict[str, str]] = {}
    for language, entry in value.items():
        if language not in company.languages:
            errors.add(f"{field}.{language}"[:80], _("This company does not offer that language."))
            continue
        for name, text in entry.items():
            if name not in texts:
                errors.add(
                    f"{field}.{language}.{name}"[:80],
                    _("Only these texts are translated: %(names)s.") % {"names": ", ".join(texts)},
                )
                continue
            max_length, multiline = texts[name]
            text = clean_text(
                errors,
                f"{field}.{language}.{name}",
                text,
                max_length=max_length,
                required=False,
                multiline=multiline,
            )
            if text:
                cleaned.setdefault(language, {})[name] = text
    return cleaned
