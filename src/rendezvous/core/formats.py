"""Dates, times, money and zones in the customer's language (CLDR data through babel).

Every time shown on the booking site and the join page goes through here with an explicit
zone: the customer's, or the location's for in-person services that lock it.
"""

from __future__ import annotations

import functools
from datetime import date, datetime, time, timedelta
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
from django.utils.translation import gettext_lazy

from rendezvous.core.zones import canonical_zones, is_known_zone


def babel_locale() -> str:
    return translation.to_locale(translation.get_language() or "en")


def day_label(value: datetime, zone: ZoneInfo) -> str:
    """e.g. "Tuesday, December 1, 2026" / "tirsdag den 1. december 2026"."""
    return format_date(value.astimezone(zone), format="full", locale=babel_locale())


def short_day_label(value: datetime, zone: ZoneInfo) -> str:
    return format_skeleton("MMMEd", value.astimezone(zone), locale=babel_locale())


def time_label(value: datetime, zone: ZoneInfo) -> str:
    """e.g. "10:00"; on the autumn change, when the hour before it comes twice, with
    the offset, "02:00 (UTC+2)" and "02:00 (UTC+1)": else two times look the same."""
    local = value.astimezone(zone)
    label = format_time(local, format="short", locale=babel_locale())
    if local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset():
        label = f"{label} ({utc_offset(local)})"
    return label


def utc_offset(value: datetime) -> str:
    """e.g. "UTC+1", "UTC-3", "UTC+5:30", "UTC+0"."""
    offset = value.utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    hours, rest = divmod(abs(int(offset.total_seconds())) // 60, 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


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


REGIONS = {
    "Africa": gettext_lazy("Africa"),
    "America": gettext_lazy("Americas"),
    "Antarctica": gettext_lazy("Antarctica"),
    "Arctic": gettext_lazy("Arctic"),
    "Asia": gettext_lazy("Asia"),
    "Atlantic": gettext_lazy("Atlantic Ocean"),
    "Australia": gettext_lazy("Australia"),
    "Europe": gettext_lazy("Europe"),
    "Indian": gettext_lazy("Indian Ocean"),
    "Pacific": gettext_lazy("Pacific Ocean"),
}


def zone_choice_label(zone: ZoneInfo, on: date) -> str:
    """A zone as the select offers it on that day, e.g. "Berlin (CET, UTC+1)", in
    summer "Berlin (CEST, UTC+2)"; "Istanbul (UTC+3)" where tzdata has no letters."""
    if zone.key == "UTC":
        return "UTC"
    at = datetime.combine(on, time(12), tzinfo=zone)
    offset = utc_offset(at)
    city = _city(zone.key, babel_locale())
    abbreviation = at.tzname() or ""
    if abbreviation[:1].isalpha() and abbreviation != "UTC":
        return f"{city} ({abbreviation}, {offset})"
    return f"{city} ({offset})"


@functools.cache
def _city(key: str, locale: str) -> str:
    """The zone's city in that language ("Kopenhagen"): CLDR's lookup is the slow part
    of a label, and a city, unlike an offset, is the same on every day."""
    try:
        return get_timezone_location(_zone(key), locale=locale, return_city=True)
    except (LookupError, ValueError):
        return key.rsplit("/", 1)[-1].replace("_", " ")


@functools.cache
def _zone(key: str) -> ZoneInfo:
    # ZoneInfo caches weakly: without a reference kept here, each day's labels reread
    # the 420 zone files.
    return ZoneInfo(key)


@functools.lru_cache(maxsize=64)
def _zone_choices(locale: str, on: date) -> tuple:
    del locale  # part of the cache key: the labels are in that language
    regions: dict[str, list[tuple[str, str]]] = {}
    top: list[tuple[str, str]] = []
    for key in canonical_zones():
        region = key.split("/", 1)[0]
        label = zone_choice_label(_zone(key), on)
        (regions.setdefault(region, []) if region in REGIONS else top).append((key, label))
    groups = [
        (str(REGIONS[region]), tuple(sorted(zones, key=lambda z: z[1].casefold())))
        for region, zones in regions.items()
    ]
    groups.sort(key=lambda group: group[0].casefold())
    return tuple(top), tuple(groups)


def zone_choices(on: date) -> tuple:
    """(ungrouped, [(region, [(zone, label), ...]), ...]) for the zone select, built
    once per language and day: the labels carry that day's offsets."""
    return _zone_choices(babel_locale(), on)


def parse_zone(name: str | None) -> ZoneInfo | None:
    if not name or len(name) > 64 or not is_known_zone(name):
        return None
    return ZoneInfo(name)
