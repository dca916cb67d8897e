"""Weekly opening hours and date overrides -> UTC intervals.

`working_intervals` covers exactly the minutes of `reference.working_minutes`, the same
rule read from the wall clock minute by minute; the property tests check it.

Hours are wall-clock times in a zone; the engine works in UTC epoch seconds. On the
two days a year when a zone changes its offset some wall times do not exist and some
exist twice, so "09:00 to 17:00" needs a precise meaning. One rule maps every wall
time to exactly one instant, everywhere in this package (hours, day boundaries,
:func:`local_to_epoch`):

=======================================  ============================================
wall time                                instant used
=======================================  ============================================
exists once                              that instant
repeated (autumn: 02:30 in Berlin on     the first occurrence (PEP 495 ``fold=0``),
2026-10-25 is 00:30Z and 01:30Z)         00:30Z
skipped (spring: 02:30 in Berlin on      the instant the clocks jump, where the gap
2026-03-29 never shows on a clock)       ends (01:00Z, shown as 03:00)
=======================================  ============================================

This mapping never goes backwards as the wall time grows, so an interval's end is
never before its start. Consequences on Berlin's DST days:

====================  ===========================  ==========================
hours                 2026-03-29 (spring)          2026-10-25 (autumn)
====================  ===========================  ==========================
09:00-17:00           07:00Z-15:00Z, 8 h           08:00Z-16:00Z, 8 h
01:00-04:00           00:00Z-02:00Z, 2 h           23:00Z-03:00Z, 4 h
02:00-03:00           empty (dropped)              00:00Z-02:00Z, 2 h
====================  ===========================  ==========================

PEP 495 ``fold=0`` alone is not used for the gap because zoneinfo then moves a
skipped time forward by the gap length (02:30 -> 03:30), which makes
02:30-03:00 run backwards; clamping to the jump keeps every interval the right way
round and gives wall hours that lie wholly in the gap no time at all.

Speed: a request expands the rules of every staff member for the same zone and days,
so the per-day facts (UTC instant of local midnight, whether the day has an offset
change) are computed once per ``(zone, range of days)`` and cached. A staff member's
hours then come out day by day in date order, already sorted, with one list
comprehension per run of ordinary days; only the DST days go through the slower
per-day path. Every cache is keyed by its arguments alone, never by a clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Literal, NamedTuple
from zoneinfo import ZoneInfo

from .intervals import Interval, merge_sorted, to_epoch

__all__ = [
    "DateOverride",
    "WeeklyHours",
    "local_day",
    "local_to_epoch",
    "working_intervals",
]

DAY = 86_400
_NAIVE_EPOCH = datetime(1970, 1, 1)
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class WeeklyHours:
    """Hours on one weekday; ``end == time(0)`` means midnight at the end of that day."""

    weekday: int  # 0 = Monday
    start: time
    end: time
    # Wall seconds from midnight, worked out once: expansion runs per staff per request.
    _span: tuple[int, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0..6, got {self.weekday}")
        _check_hours(self.start, self.end)
        object.__setattr__(self, "_span", _span(self.start, self.end))


@dataclass(frozen=True)
class DateOverride:
    """A date exception.

    ``replace`` with no hours closes the day, ``replace`` with hours uses them instead
    of the weekly ones, ``add`` opens extra hours on top of the weekly ones. Several
    overrides for one day combine: the ``replace`` ones (if any) stand in for the weekly
    hours together, then every ``add`` is united with the result.
    """

    day: date
    hours: tuple[tuple[time, time], ...] = ()
    mode: Literal["replace", "add"] = "replace"

    def __post_init__(self) -> None:
        if self.mode not in ("replace", "add"):
            raise ValueError(f"mode must be 'replace' or 'add', got {self.mode!r}")
        object.__setattr__(self, "hours", tuple(self.hours))
        for start, end in self.hours:
            _check_hours(start, end)


def _check_hours(start: time, end: time) -> None:
    if start.tzinfo is not None or end.tzinfo is not None:
        raise ValueError("hours are wall-clock times: pass naive times, the zone comes apart")
    if end != time(0) and end <= start:
        raise ValueError(f"hours end {end} must be after start {start} (or time(0) = midnight)")


def _seconds(t: time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


def _span(start: time, end: time) -> tuple[int, int]:
    """Wall seconds from local midnight; a midnight end is the end of the day."""
    return _seconds(start), (DAY if end == time(0) else _seconds(end))


def _merge_spans(spans: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            if e > out[-1][1]:
                out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return tuple(out)


# --- zone arithmetic -----------------------------------------------------------------


def _offset(zone: ZoneInfo, t: int) -> int:
    off = datetime.fromtimestamp(t, zone).utcoffset()
    assert off is not None
    # Whole seconds, as ``off // timedelta(seconds=1)`` but twice as fast: a request
    # asks this a few dozen times per zone and range.
    return off.days * DAY + off.seconds


def _wall(zone: ZoneInfo, t: int) -> int:
    """Wall-clock reading of instant ``t`` as seconds since 1970-01-01 00:00 wall time."""
    return t + _offset(zone, t)


@lru_cache(maxsize=8192)
def _wall_to_epoch(zone: ZoneInfo, wall: int) -> int:
    """The instant for a wall reading, by the table in the module docstring."""
    naive = _NAIVE_EPOCH + timedelta(seconds=wall)
    t0 = to_epoch(naive.replace(tzinfo=zone))
    if _wall(zone, t0) == wall:
        # fold=0 is the earlier instant when the reading is repeated.
        return t0
    # In a gap zoneinfo applies the offset before the jump for fold=0 (landing after
    # the jump) and the one after it for fold=1 (landing before): the jump lies between.
    lo = to_epoch(naive.replace(tzinfo=zone, fold=1))
    hi = t0
    if lo >= hi:  # pragma: no cover - zoneinfo always gives lo < hi in a gap
        return hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _wall(zone, mid) > wall:
            hi = mid
        else:
            lo = mid
    return hi


def _transitions(zone: ZoneInfo, a: int, b: int) -> list[int]:
    """Instants in (a, b) where the offset changes, assuming offsets differ at each one.

    A day whose offset changes and changes back to the same value between two probes
    would be missed; no zone in the tz database does that within one day.
    """
    out: list[int] = []
    while b - a > 1 and _offset(zone, a) != _offset(zone, b - 1):
        first = _offset(zone, a)
        lo, hi = a, b - 1
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if _offset(zone, mid) == first:
                lo = mid
            else:
                hi = mid
        out.append(hi)
        a = hi
    return out


class _Day(NamedTuple):
    # A named tuple: a request builds one per date, and this is the cheapest record.
    day: date
    wall: int  # wall seconds of this day's 00:00
    start: int  # instant of 00:00 (mapped by the table above)
    end: int  # instant of the next day's 00:00
    # (from, to, offset) runs of constant UTC offset covering [start, end)
    pieces: tuple[tuple[int, int, int], ...]
    # True when wall second s of the day is the instant start + s for every s in
    # [0, DAY]: one offset all day and a midnight that exists.
    simple: bool

    def at(self, seconds: int) -> int:
        """``_wall_to_epoch(zone, self.wall + seconds)`` for 0 <= seconds <= DAY, read
        off the pieces instead of asking zoneinfo (an uneven day costs no probes)."""
        if seconds >= DAY:
            return self.end
        wall = self.wall + seconds
        # The earliest instant showing the reading: fold=0 when it is repeated.
        for a, b, off in self.pieces:
            if a <= wall - off < b:
                return wall - off
        # A skipped reading: the jump, where the first later reading shows.
        for a, _, off in self.pieces:
            if a + off > wall:
                return a
        return self.end  # pragma: no cover - a day's last piece reaches its end


@lru_cache(maxsize=4096)
def _day(zone: ZoneInfo, day: date) -> _Day:
    wall = (day - _NAIVE_EPOCH.date()).days * DAY
    start = _wall_to_epoch(zone, wall)
    end = _wall_to_epoch(zone, wall + DAY)
    cuts = [start, *_transitions(zone, start, end), end]
    pieces = tuple((cuts[i], cuts[i + 1], _offset(zone, cuts[i])) for i in range(len(cuts) - 1))
    simple = len(pieces) == 1 and end - start == DAY and start == wall - pieces[0][2]
    return _Day(day, wall, start, end, pieces, simple)


@dataclass(frozen=True, slots=True)
class _Days:
    days: tuple[_Day, ...]
    by_date: dict[date, _Day]
    # Per day, in order: the instant of its midnight and its weekday.
    starts: tuple[int, ...]
    weekdays: tuple[int, ...]
    # Positions of the days that are not simple (offset changes, missing midnight).
    odd: tuple[int, ...]


def _day_run(zone: ZoneInfo, first_day: date, last_day: date) -> list[_Day]:
    """``[_day(zone, d) for d in first_day..last_day]`` with one probe per ordinary day.

    A day whose midnight shows at ``wall - off`` with offset ``off``, and whose next
    midnight shows at ``wall + DAY - off`` with the same offset, is simple (the
    assumption :func:`_transitions` makes: no offset changes and changes back within a
    day). Only the others, the zone's change days, take the slow exact path.
    """
    out: list[_Day] = []
    wall = (first_day - _NAIVE_EPOCH.date()).days * DAY
    start = _wall_to_epoch(zone, wall)
    off = _offset(zone, start)
    day = first_day
    for _ in range((last_day - first_day).days + 1):
        end = wall + DAY - off
        next_off = _offset(zone, end)
        if next_off == off and start == wall - off:
            out.append(_Day(day, wall, start, end, ((start, end, off),), True))
        else:
            slow = _day(zone, day)
            out.append(slow)
            end = slow.end
            next_off = _offset(zone, end)
        start, off, wall, day = end, next_off, wall + DAY, day + _ONE_DAY
    return out


@lru_cache(maxsize=256)
def _days(zone: ZoneInfo, first_day: date, last_day: date) -> _Days:
    days = tuple(_day_run(zone, first_day, last_day))
    return _Days(
        days=days,
        by_date={day.day: day for day in days},
        starts=tuple(day.start for day in days),
        weekdays=tuple(day.day.weekday() for day in days),
        odd=tuple(k for k, day in enumerate(days) if not day.simple),
    )


def local_day(zone: ZoneInfo, day: date) -> Interval:
    """UTC interval of a local date: from its 00:00 to the next day's 00:00."""
    d = _day(zone, day)
    return d.start, d.end


def local_to_epoch(zone: ZoneInfo, day: date, at: time) -> int:
    """Epoch seconds of a wall time on a local date, by the module's DST table.

    ``at == time(0)`` is the start of ``day``; pass the next day for a midnight end.
    """
    wall = (day - _NAIVE_EPOCH.date()).days * DAY + _seconds(at)
    return _wall_to_epoch(zone, wall)


# --- expansion -----------------------------------------------------------------------


def working_intervals(
    hours: Sequence[WeeklyHours],
    overrides: Sequence[DateOverride],
    zone: ZoneInfo,
    first_day: date,
    last_day: date,
) -> list[Interval]:
    """Normalized UTC intervals of the hours on every local date first_day..last_day."""
    if last_day < first_day:
        return []
    info = _days(zone, first_day, last_day)
    collected: list[list[tuple[int, int]]] = [[], [], [], [], [], [], []]
    # Spans can only touch across midnight or on either side of a DST gap.
    may_touch = False
    for h in hours:
        collected[h.weekday].append(h._span)
        may_touch = may_touch or h._span[0] == 0 or h._span[1] == DAY
    weekly = [c if len(c) < 2 else _merge_spans(c) for c in collected]
    # The spans of each day, in date order: the days come out sorted, so no sort.
    spans = [weekly[wd] for wd in info.weekdays]
    for d, day_spans in _override_spans(overrides, weekly, first_day, last_day).items():
        spans[(d - first_day).days] = day_spans
        may_touch = may_touch or (
            bool(day_spans) and (day_spans[0][0] == 0 or day_spans[-1][1] == DAY)
        )

    starts = info.starts
    out: list[Interval] = []
    done = 0
    # Simple days map wall second s to midnight + s; the few others go through the
    # pieces of their offsets.
    for k in info.odd:
        out += [
            (m + a, m + b)
            for m, ab in zip(starts[done:k], spans[done:k], strict=True)
            for a, b in ab
        ]
        day = info.days[k]
        may_touch = may_touch or len(spans[k]) > 1
        for a, b in spans[k]:
            ta, tb = day.at(a), day.at(b)
            if ta < tb:
                out.append((ta, tb))
        done = k + 1
    out += [
        (m + a, m + b) for m, ab in zip(starts[done:], spans[done:], strict=True) for a, b in ab
    ]
    # A day's spans are merged and days do not overlap, so only touching ones (a
    # midnight, a gap) are left to join.
    return merge_sorted(out) if may_touch else out


def _override_spans(
    overrides: Sequence[DateOverride],
    weekly: Sequence[Sequence[tuple[int, int]]],
    first_day: date,
    last_day: date,
) -> dict[date, tuple[tuple[int, int], ...]]:
    replaced: dict[date, list[tuple[int, int]]] = {}
    added: dict[date, list[tuple[int, int]]] = {}
    for o in overrides:
        if not first_day <= o.day <= last_day:
            continue
        target = replaced if o.mode == "replace" else added
        target.setdefault(o.day, []).extend(_span(s, e) for s, e in o.hours)
    out: dict[date, tuple[tuple[int, int], ...]] = {}
    for d in replaced.keys() | added.keys():
        base = replaced[d] if d in replaced else list(weekly[d.weekday()])
        out[d] = _merge_spans(base + added.get(d, []))
    return out


def _epoch_date(zone: ZoneInfo, t: int) -> date:
    """Local date of an instant (its wall-clock date)."""
    return datetime.fromtimestamp(t, zone).date()
