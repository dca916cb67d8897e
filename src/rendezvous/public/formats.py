"""Dates, times, money and zones in the customer's language (CLDR data through babel).

Every time shown on the booking site goes through here with an explicit zone: the
customer's, or the location's for in-person services that lock it.
"""

from __future__ import annotations

import functools
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import (
    format_date,
    format_skeleton,
    format_time,
    get_datetime_format,
    get_timezone_location,
)
from babel.numbers import format_currency
from babel.units import format_unit
from django.utils import translation
from django.utils.translation import gettext as _

from rendezvous.core.zones import is_known_zone, known_zones


def babel_locale() -> str:
    return translation.to_locale(translation.get_language() or "en")


def day_label(value: datetime, zone: ZoneInfo) -> str:
    """e.g. "Tuesday, December 1, 2026" / "tirsdag den 1. december 2026"."""
    return format_date(value.astimezone(zone), format="full", locale=babel_locale())


def short_day_label(value: datetime, zone: ZoneInfo) -> str:
    return format_skeleton("MMMEd", value.astimezone(zone), locale=babel_locale())


def time_label(value: datetime, zone: ZoneInfo) -> str:
    return format_time(value.astimezone(zone), format="short", locale=babel_locale())


def datetime_label(value: datetime, zone: ZoneInfo) -> str:
    """Full date and time, e.g. "Tuesday, December 1, 10:00"."""
    date = day_label(value, zone)
    pattern = str(get_datetime_format("medium", locale=babel_locale()))
    return pattern.replace("{1}", date).replace("{0}", time_label(value, zone)).replace("'", "")


def money(amount: Decimal, currency: str) -> str:
    if not amount:
        return _("Free")
    return format_currency(amount, currency, locale=babel_locale())


def minutes(value: int) -> str:
    return format_unit(value, "duration-minute", length="short", locale=babel_locale())


def zone_label(zone: ZoneInfo) -> str:
    """A zone as people know it, e.g. "Germany Time (Europe/Berlin)"."""
    try:
        name = get_timezone_location(zone, locale=babel_locale())
    except (LookupError, ValueError):
        return zone.key
    return f"{name} ({zone.key})"


@functools.cache
def zone_names() -> list[str]:
    regions = ("Africa/", "America/", "Asia/", "Atlantic/", "Australia/", "Europe/", "Indian/")
    return sorted(z for z in known_zones() if z.startswith((*regions, "Pacific/")))


def parse_zone(name: str | None) -> ZoneInfo | None:
    if not name or len(name) > 64 or not is_known_zone(name):
        return None
    return ZoneInfo(name)
