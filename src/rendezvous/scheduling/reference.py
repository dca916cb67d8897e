"""The readable definition of the scheduling core, minute by minute.

`rules.working_intervals` and `slots.find_slots` are fast; these two functions are what
they compute, written straight from the rules in those modules' docstrings, with no
cleverness: try every minute, read the wall clock, apply the rule. They are slow
(seconds on a busy month) and exist to be compared against: the property tests in
`tests/scheduling/` assert that the fast kernel and this reference agree on thousands
of generated cases, every zone and DST day included. A change to a rule is made here
first, then in the kernel until the properties hold again.
"""

from bisect import bisect_left
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate
from zoneinfo import ZoneInfo

from .intervals import Interval, to_epoch
from .rules import DateOverride, WeeklyHours
from .slots import Calendar, Slot, SlotQuery

MINUTE = 60


def _minutes(intervals: Sequence[Interval]) -> set[int]:
    out: set[int] = set()
    for a, b in intervals:
        out.update(range(a, b, MINUTE))
    return out


def working_minutes(
    hours: Sequence[WeeklyHours],
    overrides: Sequence[DateOverride],
    zone: ZoneInfo,
    first: date,
    last: date,
) -> set[int]:
    """The start of every working minute from `first` to `last` (local dates, inclusive).

    A wall time stands for the first instant whose clock reads it or later: the first
    occurrence of a repeated time, the jump for a skipped one. A date's "replace"
    overrides stand in for its weekly hours; its "add" overrides add to either.
    """
    lo = to_epoch(datetime.combine(first - timedelta(days=1), time(0), UTC))
    hi = to_epoch(datetime.combine(last + timedelta(days=2), time(0), UTC))
    instants = range(lo, hi, MINUTE)
    walls = []
    for t in instants:
        w = datetime.fromtimestamp(t, zone).replace(tzinfo=None)
        walls.append((w.date(), w.hour * 60 + w.minute))
    reach = list(accumulate(walls, max))  # the clock's furthest reading so far

    def first_instant(day: date, minute: int) -> int:
        if minute == 1440:
            day, minute = day + timedelta(days=1), 0
        return instants[bisect_left(reach, (day, minute))]

    working: set[int] = set()
    day = first
    while day <= last:
        spans = [(h.start, h.end) for h in hours if h.weekday == day.weekday()]
        todays = [o for o in overrides if o.day == day]
        if any(o.mode == "replace" for o in todays):
            spans = [s for o in todays if o.mode == "replace" for s in o.hours]
        spans += [s for o in todays if o.mode == "add" for s in o.hours]
        for start, end in spans:
            s = start.hour * 60 + start.minute
            e = 1440 if end == time(0) else end.hour * 60 + end.minute
            working.update(range(first_instant(day, s), first_instant(day, e), MINUTE))
        day += timedelta(days=1)
    return working


def slots(
    query: SlotQuery, staff: Sequence[Calendar], resources: Sequence[Calendar] | None = None
) -> list[Slot]:
    """Every bookable start of `query`, trying each minute against the rule of `slots.py`.

    A start is offered when it is on the step grid of the wall clock in `query.zone`,
    inside the window, notice and horizon; at least one staff member (and, when
    resources are asked for, one resource) is available for the whole appointment,
    has nothing busy in the appointment plus its buffers and, for staff, is under the
    daily maximum on the local date of the start.
    """
    q = query
    calendars = [*staff, *(resources or [])]
    available = {c.id: _minutes(c.available) for c in calendars}
    busy = {c.id: _minutes(c.busy) for c in calendars}

    def can(c: Calendar, t: int, day: date | None) -> bool:
        if not all(m in available[c.id] for m in range(t, t + q.duration, MINUTE)):
            return False
        blocked = range(t - q.buffer_before, t + q.duration + q.buffer_after, MINUTE)
        if any(m in busy[c.id] for m in blocked):
            return False
        if day is None or q.max_per_day is None:
            return True
        return c.per_day.get(day, 0) < q.max_per_day

    out = []
    first = max(q.window[0], q.not_before)
    first += -first % MINUTE
    for t in range(first, min(q.window[1], q.not_after + 1), MINUTE):
        wall = datetime.fromtimestamp(t, q.zone)
        if (wall.hour * 60 + wall.minute) % (q.step // MINUTE):
            continue
        who = tuple(c.id for c in staff if can(c, t, wall.date()))
        what = () if resources is None else tuple(c.id for c in resources if can(c, t, None))
        if who and (resources is None or what):
            out.append(Slot(t, t + q.duration, who, what))
    return out
