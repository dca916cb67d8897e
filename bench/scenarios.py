"""Deterministic inputs for the slot-engine benchmark.

Each scenario holds what the slots request loads from the database (weekly hours, date
overrides, time off, the blocked ranges of existing bookings, bookings per local day)
plus the query; turning those rows into calendars and slots is the part the benchmark
times. Everything comes from ``random.Random(seed)`` so every run sees the same data.

Every range crosses a DST change in Europe/Berlin: 2026-10-25 (autumn) or
2027-03-28 (spring).
"""

from __future__ import annotations

import pickle
import random
from bisect import bisect_left
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from rendezvous.scheduling.intervals import Interval, to_epoch
from rendezvous.scheduling.rules import DateOverride, WeeklyHours, working_intervals
from rendezvous.scheduling.slots import SlotQuery

ZONE = ZoneInfo("Europe/Berlin")
MINUTE = 60


@dataclass(frozen=True)
class Member:
    """A staff member or a resource as loaded from the database."""

    id: str
    hours: tuple[WeeklyHours, ...]
    overrides: tuple[DateOverride, ...]
    time_off: list[Interval]
    bookings: list[Interval]  # blocked ranges incl. buffers, ordered by start (as queried)
    per_day: dict[date, int]


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    first_day: date
    last_day: date
    staff: list[Member]
    resources: list[Member] | None
    query: SlotQuery

    @property
    def booking_count(self) -> int:
        return sum(len(m.bookings) for m in self.staff)


def _weekly_hours(rng: random.Random) -> tuple[WeeklyHours, ...]:
    days = sorted(rng.sample(range(7), rng.randint(4, 6)))
    kind = rng.random()
    hours = []
    for wd in days:
        if kind < 0.08:
            # Evening shift up to midnight exercises the time(0) end.
            hours.append(WeeklyHours(wd, time(16), time(0)))
            continue
        start = 7 * 60 + 30 * rng.randint(0, 6)
        length = 60 * rng.randint(6, 9)
        if kind < 0.35:
            lunch = start + 60 * rng.randint(3, 4)
            hours.append(WeeklyHours(wd, _t(start), _t(lunch)))
            hours.append(WeeklyHours(wd, _t(lunch + 60), _t(start + length + 60)))
        else:
            hours.append(WeeklyHours(wd, _t(start), _t(start + length)))
    return tuple(hours)


def _t(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


def _overrides(rng: random.Random, first: date, days: int) -> tuple[DateOverride, ...]:
    out = []
    if rng.random() < 0.3:
        out.append(DateOverride(first + timedelta(days=rng.randrange(days))))  # closed
    if rng.random() < 0.2:
        out.append(
            DateOverride(
                first + timedelta(days=rng.randrange(days)),
                ((time(18), time(20)),),
                mode="add",
            )
        )
    if rng.random() < 0.2:
        out.append(
            DateOverride(
                first + timedelta(days=rng.randrange(days)),
                ((time(12), time(16)),),
            )
        )
    return tuple(out)


def _time_off(rng: random.Random, first: date, days: int) -> list[Interval]:
    out = []
    if rng.random() < 0.15:
        start = first + timedelta(days=rng.randrange(days))
        length = rng.randint(2, 5)
        out.append(
            (
                to_epoch(datetime.combine(start, time(0), ZONE)),
                to_epoch(datetime.combine(start + timedelta(days=length), time(0), ZONE)),
            )
        )
    if rng.random() < 0.3:
        day = first + timedelta(days=rng.randrange(days))
        start = to_epoch(datetime.combine(day, time(rng.randint(8, 15)), ZONE))
        out.append((start, start + 2 * 3600))
    return sorted(out)


def _bookings(
    rng: random.Random, available: list[Interval], count: int
) -> tuple[list[Interval], list[int]]:
    """``count`` non-overlapping bookings on the 15-minute grid inside the working time.

    Returns the blocked ranges (with each booking's own buffers) and the starts.
    """
    blocked: list[Interval] = []
    starts: list[int] = []
    usable = [(a, b) for a, b in available if b - a >= 30 * MINUTE]
    attempts = 0
    while len(blocked) < count and usable and attempts < count * 60:
        attempts += 1
        a, b = rng.choice(usable)
        duration = 15 * MINUTE * rng.randint(2, 4)
        slots = (b - a - duration) // (15 * MINUTE)
        if slots < 0:
            continue
        start = a + 15 * MINUTE * rng.randint(0, slots)
        before = 5 * MINUTE * rng.randint(0, 3)
        after = 5 * MINUTE * rng.randint(0, 3)
        lo, hi = start - before, start + duration + after
        i = bisect_left(blocked, (lo,))
        if i > 0 and blocked[i - 1][1] > lo:
            continue
        if i < len(blocked) and blocked[i][0] < hi:
            continue
        blocked.insert(i, (lo, hi))
        starts.append(start)
    return blocked, starts


def _per_day(starts: list[int]) -> dict[date, int]:
    counts: dict[date, int] = {}
    for s in starts:
        d = datetime.fromtimestamp(s, ZONE).date()
        counts[d] = counts.get(d, 0) + 1
    return counts


def _members(
    rng: random.Random,
    prefix: str,
    count: int,
    bookings: int,
    first: date,
    days: int,
    time_off: bool,
) -> list[Member]:
    last = first + timedelta(days=days - 1)
    out = []
    carry = 0
    for n in range(count):
        hours = _weekly_hours(rng)
        overrides = _overrides(rng, first, days)
        off = _time_off(rng, first, days) if time_off else []
        available = working_intervals(hours, overrides, ZONE, first, last)
        # A member with short hours may not fit their share; the next one takes the rest.
        share = bookings // count + (1 if n < bookings % count else 0) + carry
        blocked, starts = _bookings(rng, available, share)
        carry = share - len(blocked)
        out.append(
            Member(
                id=f"{prefix}{n + 1}",
                hours=hours,
                overrides=overrides,
                time_off=off,
                bookings=blocked,
                per_day=_per_day(starts),
            )
        )
    return out


def _rooms(rng: random.Random, count: int, bookings: int, first: date, days: int) -> list[Member]:
    hours = tuple(WeeklyHours(wd, time(7), time(21)) for wd in range(6))
    last = first + timedelta(days=days - 1)
    available = working_intervals(hours, (), ZONE, first, last)
    out = []
    for n in range(count):
        blocked, _ = _bookings(rng, available, bookings // count)
        out.append(Member(f"room{n + 1}", hours, (), [], blocked, {}))
    return out


def _query(
    first: date,
    days: int,
    duration: int,
    before: int,
    after: int,
    max_per_day: int | None,
    horizon_days: int,
) -> SlotQuery:
    window = (
        to_epoch(datetime.combine(first, time(0), ZONE)),
        to_epoch(datetime.combine(first + timedelta(days=days), time(0), ZONE)),
    )
    # "now" is mid-morning on the first day, off the grid, so notice cuts into day one.
    now = to_epoch(datetime.combine(first, time(10, 7), ZONE))
    return SlotQuery(
        duration=duration * MINUTE,
        step=15 * MINUTE,
        buffer_before=before * MINUTE,
        buffer_after=after * MINUTE,
        window=window,
        not_before=now + 120 * MINUTE,
        not_after=now + horizon_days * 86_400,
        zone=ZONE,
        max_per_day=max_per_day,
    )


def build(name: str) -> Scenario:
    """The scenario, its objects laid out in memory as a fresh database fetch would be.

    Generation inserts bookings in random order; copying through pickle allocates them
    again staff by staff, in start order, like rows read from a query.

    ``S4/100`` is S4 cut to its first 100 staff members (same days, hours, bookings),
    small enough for the naive baseline to check and time in a few seconds.
    """
    if name == SUBSET:
        full = _generate("S4")
        staff = full.staff[:SUBSET_STAFF]
        return pickle.loads(
            pickle.dumps(
                replace(
                    full,
                    name=SUBSET,
                    description=f"S4 cut to its first {SUBSET_STAFF} staff members",
                    staff=staff,
                )
            )
        )
    return pickle.loads(pickle.dumps(_generate(name)))


def _generate(name: str) -> Scenario:
    rng = random.Random(f"rendezvous-bench-{name}")
    if name == "S1":
        first, days = date(2026, 10, 21), 7
        staff = _members(rng, "s", 1, 10, first, days, time_off=False)
        query = _query(first, days, 30, 0, 0, None, horizon_days=5)
        return Scenario(
            name, "1 staff x 7 days, 10 bookings", first, _last(first, days), staff, None, query
        )
    if name == "S2":
        first, days = date(2026, 10, 10), 30
        staff = _members(rng, "s", 5, 300, first, days, time_off=False)
        rooms = _rooms(rng, 2, 120, first, days)
        query = _query(first, days, 45, 10, 5, 6, horizon_days=60)
        return Scenario(
            name,
            "5 staff x 30 days, 300 bookings, buffers, 2 rooms",
            first,
            _last(first, days),
            staff,
            rooms,
            query,
        )
    if name == "S3":
        first, days = date(2027, 3, 15), 30
        staff = _members(rng, "s", 50, 5000, first, days, time_off=True)
        rooms = _rooms(rng, 12, 1500, first, days)
        query = _query(first, days, 60, 0, 15, 6, horizon_days=60)
        return Scenario(
            name,
            "50 staff x 30 days, 5,000 bookings, time off, 12 rooms",
            first,
            _last(first, days),
            staff,
            rooms,
            query,
        )
    if name == "S4":
        first, days = date(2026, 10, 1), 90
        staff = _members(rng, "s", 500, 50_000, first, days, time_off=True)
        query = _query(first, days, 45, 5, 10, None, horizon_days=120)
        return Scenario(
            name,
            "500 staff x 90 days, 50,000 bookings, time off",
            first,
            _last(first, days),
            staff,
            None,
            query,
        )
    raise ValueError(f"unknown scenario {name!r}")


def _last(first: date, days: int) -> date:
    return first + timedelta(days=days - 1)


SUBSET = "S4/100"
SUBSET_STAFF = 100
NAMES = ("S1", "S2", "S3", "S4", SUBSET)
