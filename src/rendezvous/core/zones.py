"""The IANA zone names this machine knows, read once per process.

zoneinfo.available_timezones() walks the tzdata files on every call; zone checks run
on every booking and every public page, so they all ask here instead.
"""

import functools
import importlib.resources
import zoneinfo


@functools.cache
def known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_known_zone(name: str) -> bool:
    return name in known_zones()


@functools.cache
def canonical_zones() -> tuple[str, ...]:
    """The zones a person picks from: one per country and region, as tzdata's zone.tab
    lists them, plus UTC.

    Not available_timezones(): it also holds some 180 backward-compatible aliases
    (US/Eastern, Asia/Calcutta, Etc/GMT+5), so one place appeared twice or three times
    under old names. zone.tab rather than zone1970.tab: the latter merges zones that
    agree since 1970, and Copenhagen or Oslo would vanish into Berlin.
    """
    text = importlib.resources.files("tzdata").joinpath("zoneinfo/zone.tab").read_text("utf-8")
    names = {
        line.split("\t")[2]
        for line in text.splitlines()
        if line and not line.startswith("#") and line.count("\t") >= 2
    }
    return ("UTC", *sorted(name for name in names if is_known_zone(name)))
