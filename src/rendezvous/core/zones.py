"""The IANA zone names this machine knows, read once per process.

zoneinfo.available_timezones() walks the tzdata files on every call; zone checks run
on every booking and every public page, so they all ask here instead.
"""

import functools
import zoneinfo


@functools.cache
def known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_known_zone(name: str) -> bool:
    return name in known_zones()
