"""The range of dates anyone may ask about, checked where a date enters (API schemas,
the public pages' query parameters). Near year 1 or 9999 the zone conversions and the
week arithmetic overflow, and no business books that far away."""

from datetime import date, datetime

DATE_MIN = date(2000, 1, 1)
DATE_MAX = date(2200, 12, 31)


def in_calendar(value: date | datetime) -> bool:
    day = value.date() if isinstance(value, datetime) else value
    return DATE_MIN <= day <= DATE_MAX
