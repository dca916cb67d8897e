from datetime import date, datetime, time

from babel.dates import format_date, format_skeleton, format_time, get_datetime_format
from django import template
from django.utils import timezone, translation

from rendezvous.bookings.domain.customers import display_name, is_erased
from rendezvous.meetings.providers import PROVIDER_NAMES
from rendezvous.payments.domain.report import amount_text

register = template.Library()

# The named styles of `when`: a date's CLDR format or skeleton, and whether the time follows.
STYLES = {
    "full": ("full", True),  # Friday, 4 December 2026, 10:00
    "long": ("yMMMEd", True),  # Fri, 4 Dec 2026, 10:00
    "short": ("MMMEd", True),  # Fri 4 Dec, 10:00
    "day": ("yMMMEd", False),  # Fri, 4 Dec 2026
    "time": ("", True),  # 10:00
}


@register.filter
def named(row) -> str:
    """A service's or category's name in the page's language (catalog's text_in)."""
    return row.text_in("name") if row is not None else ""


def _locale() -> str:
    language = translation.get_language() or "en"
    # The office's English is British English, as its calendar's (24-hour clock, the
    # day before the month): staff read the same times in the grid and in the lists.
    return "en_GB" if language == "en" else translation.to_locale(language)


@register.filter
def when(value: datetime | date | time | None, style: str = "full") -> str:
    """A moment in the page's language (CLDR through babel), in the active zone (the
    company's: office_view activates it); a date or a wall-clock time as it is."""
    if value is None or value == "":
        return ""
    day_format, with_time = STYLES[style]
    locale = _locale()
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    if isinstance(value, time):
        return format_time(value, "short", locale=locale)
    clock = format_time(value, "short", locale=locale) if isinstance(value, datetime) else ""
    if not day_format:
        return clock
    if day_format == "full":
        day = format_date(value, "full", locale=locale)
    else:
        day = format_skeleton(day_format, value, locale=locale)
    if not (with_time and clock):
        return day
    pattern = str(get_datetime_format("medium", locale=locale))
    return pattern.replace("{1}", day).replace("{0}", clock).replace("'", "")


@register.filter
def customer_name(row) -> str:
    """A booking's or customer's name; an erased customer's bookings say so, once."""
    return display_name(row.first_name, row.last_name)


@register.filter
def erased(row) -> bool:
    """Whether `row` is an erased customer's booking (its address is a placeholder)."""
    return is_erased(row.first_name, row.last_name)


@register.filter
def provider_name(key: str) -> str:
    """A video provider's name as staff read it, for its REGISTRY key."""
    return str(PROVIDER_NAMES.get(key, key))


@register.filter
def amount(value, currency: str) -> str:
    """An amount of `currency` as people read it, zero as zero (payments' report)."""
    return amount_text(value, currency)
