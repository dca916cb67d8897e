"""The range of dates anyone may ask about, checked where a date enters: the API
schemas, the public pages' query parameters, and the domain functions that take a
date (so the back office and the admin refuse what the API refuses). Near year 1 or
9999 the zone conversions and the week arithmetic overflow, and no business books
that far away."""

from datetime import date, datetime

from django.utils.translation import gettext as _

from .errors import ValidationFailed

DATE_MIN = date(2000, 1, 1)
DATE_MAX = date(2200, 12, 31)


def in_calendar(value: date | datetime) -> bool:
    day = value.date() if isinstance(value, datetime) else value
    return DATE_MIN <= day <= DATE_MAX


def out_of_calendar() -> str:
    """The refusal of a date outside the range, in the active language."""
    return _("Dates must lie between %(min)s and %(max)s.") % {
        "min": DATE_MIN.isoformat(),
        "max": DATE_MAX.isoformat(),
    }


def check_in_calendar(**values: date | datetime | None) -> None:
    """Raise ValidationFailed on each field whose date lies outside the range. None
    passes: whether a field is required is the caller's to say."""
    fields = {
        name: [out_of_calendar()]
        for name, value in values.items()
        if value is not None and not in_calendar(value)
    }
    if fields:
        raise ValidationFailed(fields=fields)
