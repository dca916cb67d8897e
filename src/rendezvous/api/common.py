"""Small parsers shared by the API handlers."""

import uuid
import zoneinfo
from typing import overload
from zoneinfo import ZoneInfo

from django.http import HttpRequest
from django.utils.translation import get_supported_language_variant
from django.utils.translation import gettext as _
from django.utils.translation.trans_real import parse_accept_lang_header

from rendezvous.companies.models import Company
from rendezvous.core.errors import NotFound, ValidationFailed
from rendezvous.core.zones import is_known_zone


@overload
def parse_id(value: str, field: str, *, missing_is_none: bool = True) -> int: ...
@overload
def parse_id(value: str | None, field: str, *, missing_is_none: bool = True) -> int | None: ...
def parse_id(value: str | None, field: str, *, missing_is_none: bool = True) -> int | None:
    """Ids are opaque strings in the API; ours are positive integers inside."""
    if value is None:
        return None
    if not value.isdigit() or len(value) > 18:
        raise NotFound(_("Unknown %(field)s.") % {"field": field})
    return int(value)


def parse_zone(name: str | None, default: ZoneInfo) -> ZoneInfo:
    if not name:
        return default
    try:
        if not is_known_zone(name):
            raise zoneinfo.ZoneInfoNotFoundError(name)
        return ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationFailed(fields={"tz": [_("Unknown time zone.")]}) from exc


def get_company(slug: str) -> Company:
    # Its notification settings come along (one join, no second query): every booking
    # change reads them to queue its emails.
    company = (
        Company.objects.filter(slug=slug).select_related("notification_settings").order_by().first()
    )
    if company is None:
        raise NotFound(_("Unknown company."))
    return company


def parse_uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise NotFound(_("Unknown booking.")) from exc


def text_language(request: HttpRequest, lang: str | None, company: Company) -> str:
    """The language of the catalogue texts in an answer: `lang=` (one the company
    offers), else the best of the Accept-Language header, else the company's default.
    Not the language Django activated: without a header that is English, which would
    show a company's English texts to a client that asked for nothing."""
    default = company.default_language
    if lang is not None:
        if lang not in company.languages:
            raise ValidationFailed(
                fields={"lang": [_("This company does not offer that language.")]}
            )
        return lang
    for code, _quality in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        if code == "*":
            break
        try:
            return get_supported_language_variant(code)
        except LookupError:
            continue
    return default
