"""Free intervals -> bookable starts.

`find_slots` is, by contract, equal to `reference.slots` (the same rule tried minute by
minute): the property tests hold the two together, and the rule below is the one both
implement.

A start ``t`` is offered to a calendar (staff member or resource) when

* the appointment ``[t, t + duration)`` lies inside ``available``;
* the blocked range ``[t - buffer_before, t + duration + buffer_after)`` overlaps
  nothing in ``busy`` (buffers may run past working hours, never into a booking);
* for staff, when ``max_per_day`` is set, ``per_day[local date of t] < max_per_day``
  (the date the wall clock in ``query.zone`` shows at ``t``);

and to the query when it also lies on the grid, in ``window``, at or after
``not_before`` and at or before ``not_after``.

The grid is defined on instants: ``t`` is on it when the wall clock in ``query.zone``
reads a whole multiple of ``step`` from local midnight at ``t``. On DST days:

=================================  ===============================================
wall times on the day              starts offered (Berlin, step 15)
=================================  ===============================================
ordinary                           09:00, 09:15, ... as usual
skipped (spring, 02:00-02:59)      none: no instant shows them
repeated (autumn, 02:00-02:59)     both passes, two distinct instants each: 02:00
                                   CEST (00:00Z) and 02:00 CET (01:00Z); each
                                   instant once, label them with the offset
=================================  ===============================================

Offering both passes keeps an hour of real working time bookable, and when ``step``
divides the zone's offset change (15 min and a one-hour shift) the grid stays evenly
spaced in UTC, so the engine can map instants to grid positions with one division.

Staff and resource ids in a :class:`Slot` are in the order of the input sequences.
``busy`` may be passed as queried (any order, overlapping, touching, even empty rows):
the engine needs no normalized busy list, and skipping ``normalize`` saves a pass.

How it stays fast on a big request (500 staff, 90 days): each calendar's free
intervals become *ranges of valid starts* (an available ``[a, b)`` allows starts
``[a, b - duration]``; a busy ``[p, q)`` forbids starts
``(p - duration - buffer_after, q + buffer_before)``), mapped to grid positions by
integer division, and one sweep over the grid tracks the set of free calendars,
touching only positions where a range starts or ends. A start then costs one tuple
build, and consecutive starts with the same free set share that tuple.

=============================  ===============================================
part                           how
=============================  ===============================================
busy rows (one per booking)    on a uniform grid, one fused loop per calendar
                               (``_fill_rows``): each row is divided and cut out
                               of the allowed ranges in the same pass, with no
                               position list, tuple or sort of its own
free set, <= MASK_LIMIT ids    a bit mask: ``toggles[g]`` holds the bits that flip
                               at position ``g`` (one flat list of ints); staff and
                               resources are walked together (``_walk_masks``), and
                               a mask becomes its id tuple a byte at a time
                               (``_namer``), once per distinct mask, only where a
                               start is offered
free set, more ids             ids per position and a sorted list of the free
                               ones, updated in place (``_changes_sets``):
                               many-digit masks cost more than they save there
``Slot``                       a named tuple built at C speed
                               (``tuple.__new__`` over ``zip``)
=============================  ===============================================
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from itertools import compress, repeat
from operator import add, itemgetter, or_
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from .intervals import Interval, subtract
from .rules import DAY, _days, _epoch_date, _wall

__all__ = ["Calendar", "Slot", "SlotQuery", "find_slots", "fits", "is_free"]

_first = itemgetter(0)

# Up to this many calendars the free set is a bit mask of at most two 30-bit digits.
MASK_LIMIT = 60


@dataclass(frozen=True)
class Calendar:
    """One staff member or resource, as UTC intervals.

    ``available`` must be normalized (``working_intervals`` output is). ``busy`` may come
    in any order and overlap itself: bookings (blocked ranges with their own buffers),
    time off and class sessions can simply be concatenated; normalizing them first
    gives the same answers and only costs time.
    """

    id: str
    available: Sequence[Interval]
    busy: Sequence[Interval] = ()
    # Existing bookings per local date in the query zone, for the daily maximum.
    per_day: Mapping[date, int] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class SlotQuery:
    """What is being booked and when it may start; all times in epoch seconds."""

    duration: int
    step: int
    buffer_before: int = 0
    buffer_after: int = 0
    window: Interval  # starts lie in [window[0], window[1])
    not_before: int  # now + minimum notice
    not_after: int  # now + booking horizon (inclusive)
    zone: ZoneInfo  # grid alignment and local dates
    max_per_day: int | None = None

    def __post_init__(self) -> None:
        if self.duration <= 0 or self.step <= 0:
            raise ValueError("duration and step must be positive")
        if self.buffer_before < 0 or self.buffer_after < 0:
            raise ValueError("buffers cannot be negative")
        if self.window[0] > self.window[1]:
            raise ValueError("window ends before it starts")
        if self.max_per_day is not None and self.max_per_day < 0:
            raise ValueError("max_per_day cannot be negative")


class Slot(NamedTuple):
    """One bookable start with the staff (and resources) free for it, in input order.

    A named tuple rather than a frozen dataclass: a big answer holds thousands, and
    :func:`find_slots` builds them at C speed (``tuple.__new__`` over ``zip``), several
    times faster than a frozen dataclass's ``__init__``.
    """

    start: int
    end: int
    staff: tuple[str, ...]
    resources: tuple[str, ...] = ()


_new_slot = partial(tuple.__new__, Slot)


# --- single start --------------------------------------------------------------------


def fits(query: SlotQuery, calendar: Calendar, start: int, *, daily_limit: bool = True) -> bool:
    """The calendar rule alone for one start: no grid, window, notice or horizon.

    Pass ``daily_limit=False`` for a resource: the daily maximum is a staff rule.
    """
    end = start + query.duration
    avail = calendar.available
    i = bisect_right(avail, start, key=_first) - 1
    if i < 0 or avail[i][1] < end:
        return False
    lo, hi = start - query.buffer_before, end + query.buffer_after
    # busy need not be normalized, so scan it: one start, a few hundred comparisons.
    if any(p < hi and lo < q and p < q for p, q in calendar.busy):
        return False
    if daily_limit and query.max_per_day is not None:
        day = _epoch_date(query.zone, start)
        if calendar.per_day.get(day, 0) >= query.max_per_day:
            return False
    return True


def on_grid(query: SlotQuery, start: int) -> bool:
    """True when the wall clock at ``start`` is a multiple of ``step`` from midnight."""
    return _wall(query.zone, start) % DAY % query.step == 0


def is_free(query: SlotQuery, calendar: Calendar, start: int, *, daily_limit: bool = True) -> bool:
    """Would :func:`find_slots` offer ``start`` with this calendar free?

    The booking code re-validates a requested start with this; use :func:`fits` to
    re-check a start that is already booked or moved by staff off the grid.
    """
    window = query.window
    if not (window[0] <= start < window[1] and query.not_before <= start <= query.not_after):
        return False
    return on_grid(query, start) and fits(query, calendar, start, daily_limit=daily_limit)


# --- many starts ---------------------------------------------------------------------


class _Grid:
    """The grid starts in ``[lo, hi)``, numbered from 0, and the way to find them.

    ``position(t)`` is the number of the first grid start at or after ``t``, so the
    starts in a half-open time range ``[a, b)`` are the positions
    ``[position(a), position(b))``.
    """

    __slots__ = ("c", "days", "size", "step", "times", "uniform")

    def __init__(self, zone: ZoneInfo, step: int, lo: int, hi: int) -> None:
        # The local dates of the first and the last start: the days that hold [lo, hi).
        # A request for whole days asks the same of the rules, which share the cache.
        info = _days(zone, _epoch_date(zone, lo), _epoch_date(zone, hi - 1))
        self.days = info.by_date
        self.step = step
        segments = []
        for day in info.days:
            for a, b, off in day.pieces:
                a = max(a, lo)
                b = min(b, hi)
                if a < b:
                    # Wall seconds since midnight at t are t + off - day.wall.
                    segments.append((a, b, (day.wall - off) % step))
        phases = {r for _, _, r in segments}
        self.uniform = len(phases) <= 1
        if self.uniform:
            r = phases.pop() if phases else 0
            # position(t) = (t + c) // step, with position(lo) == 0. Folding the offset
            # into c keeps t + c small: CPython divides ints below 2**30 much faster.
            c = step - 1 - r
            self.c = c - (lo + c) // step * step
            first = lo + (r - lo) % step
            self.size = max(0, (hi + self.c) // step)
            self.times: Sequence[int] = range(first, first + self.size * step, step)
        else:
            times: list[int] = []
            for a, b, r in segments:
                times.extend(range(a + (r - a) % step, b, step))
            self.times = times
            self.size = len(times)
            self.c = 0

    def allowed(self, intervals: Sequence[Interval], trail: int) -> list[tuple[int, int]]:
        """Uniform grid: ``spans(intervals, 0, trail)`` cut to ``[0, size]``, in one pass.

        Cut because the fill loops index per-position lists with these numbers, where a
        negative one would count from the end.
        """
        st, n = self.step, self.size
        c1, c2 = self.c, self.c + trail
        return [
            (i if i > 0 else 0, j if j < n else n)
            for a, b in intervals
            if a < b and (i := (a + c1) // st) < (j := (b + c2) // st) and j > 0 and i < n
        ]

    def spans(self, intervals: Sequence[Interval], lead: int, trail: int) -> list[tuple[int, int]]:
        """Non-empty position ranges ``[position(a + lead), position(b + trail))``.

        Empty intervals are dropped first: they overlap nothing, not even when widened.
        """
        if self.uniform:
            st = self.step
            c1, c2 = self.c + lead, self.c + trail
            return [
                (i, j)
                for a, b in intervals
                if a < b and (i := (a + c1) // st) < (j := (b + c2) // st)
            ]
        times = self.times
        return [
            (i, j)
            for a, b in intervals
            if a < b and (i := bisect_left(times, a + lead)) < (j := bisect_left(times, b + trail))
        ]


def _free(
    allowed: list[tuple[int, int]], blocked: list[tuple[int, int]], size: int
) -> Iterator[tuple[int, int]]:
    """``allowed`` minus ``blocked``, cut to ``[0, size]``: disjoint position ranges.

    Both are position ranges sorted by start; ``blocked`` may overlap itself. Only
    uneven grids come here (the uniform ones take the row loops below), so a generator
    costs nothing that matters.
    """
    nb = len(blocked)
    k = 0
    for s, e in allowed:
        if s < 0:
            s = 0
        if e > size:
            e = size
        if s >= e:
            continue
        while k < nb and blocked[k][1] <= s:
            k += 1
        m = k
        while m < nb:
            bs, be = blocked[m]
            if bs >= e:
                break
            if bs > s:
                yield s, bs
            if be > s:
                s = be
            m += 1
        if s < e:
            yield s, e


def _fill_rows(
    bit: int,
    allowed: list[tuple[int, int]],
    busy: list[Interval],
    c1: int,
    c2: int,
    step: int,
    toggles: list[int],
) -> None:
    """What :func:`_free` gives, on a uniform grid, reading busy rows (epoch seconds) directly.

    ``allowed`` is cut to the grid; ``busy`` is sorted by start. A row forbids positions
    ``[(p + c1) // step, (q + c2) // step)``, worked out here once per row: this is the
    loop every booking of every calendar goes through, so it builds no position list
    and no tuple. A forbidden range may reach over several allowed ranges.
    """
    na = len(allowed)
    if not na:
        return
    ai = 0
    s, e = allowed[0]
    for p, q in busy:
        if p >= q:
            continue  # an empty row blocks nothing, not even widened by buffers
        i = (p + c1) // step
        while e <= i:
            if s < e:
                toggles[s] ^= bit
                toggles[e] ^= bit
            ai += 1
            if ai == na:
                return
            s, e = allowed[ai]
        if i > s:
            toggles[s] ^= bit
            toggles[i] ^= bit
        j = (q + c2) // step
        if j > s:
            s = j
            while s >= e:
                ai += 1
                if ai == na:
                    return
                s, e = allowed[ai]
                if j > s:
                    s = j
    if s < e:
        toggles[s] ^= bit
        toggles[e] ^= bit
    for s, e in allowed[ai + 1 :]:
        toggles[s] ^= bit
        toggles[e] ^= bit


def _fill_rows_lists(
    n: int,
    allowed: list[tuple[int, int]],
    busy: list[Interval],
    c1: int,
    c2: int,
    step: int,
    adds: list[list[int]],
    drops: list[list[int]],
) -> None:
    """The same, recording ``n`` in per-position lists for :func:`_changes_sets`."""
    na = len(allowed)
    if not na:
        return
    ai = 0
    s, e = allowed[0]
    for p, q in busy:
        if p >= q:
            continue  # an empty row blocks nothing, not even widened by buffers
        i = (p + c1) // step
        while e <= i:
            if s < e:
                adds[s].append(n)
                drops[e].append(n)
            ai += 1
            if ai == na:
                return
            s, e = allowed[ai]
        if i > s:
            adds[s].append(n)
            drops[i].append(n)
        j = (q + c2) // step
        if j > s:
            s = j
            while s >= e:
                ai += 1
                if ai == na:
                    return
                s, e = allowed[ai]
                if j > s:
                    s = j
    if s < e:
        adds[s].append(n)
        drops[e].append(n)
    for s, e in allowed[ai + 1 :]:
        adds[s].append(n)
        drops[e].append(n)


def _row_shift(query: SlotQuery, grid: _Grid) -> tuple[int, int]:
    """A busy [p, q) forbids starts [p - d - after + 1, q + before): the offsets, on the
    grid's origin, that the fast row loops apply to raw busy rows."""
    return (
        grid.c + 1 - query.duration - query.buffer_after,
        grid.c + query.buffer_before,
    )


def _calendar_ranges(
    query: SlotQuery, grid: _Grid, calendars: Sequence[Calendar], daily_limit: bool
) -> Iterator[tuple[int, list[Interval], list[Interval], bool]]:
    """Per calendar with any allowed start: (index, allowed start ranges, rows, on_grid).

    An available [a, b) allows starts [a, b - d + 1). On a uniform grid `rows` are the
    raw busy rows, sorted (linear when they came ordered by start), for the fast loops;
    days at the daily maximum are few, so they come off the allowed ranges first.
    Otherwise `rows` are the blocked start ranges, days at the maximum included.
    """
    d, before, after = query.duration, query.buffer_before, query.buffer_after
    limit = query.max_per_day if daily_limit else None
    uniform = grid.uniform
    # The positions of each local day with any, once: staff at the maximum on a day
    # lose its starts.
    day_spans: dict[date, Interval] = {}
    if limit is not None:
        for dt, day in grid.days.items():
            for span in grid.spans(((day.start, day.end),), 0, 0):
                day_spans[dt] = span
    last_available: Sequence[Interval] | None = None
    shared: list[tuple[int, int]] = []
    for n, cal in enumerate(calendars):
        # The same hours as the calendar before (resources often share theirs) allow
        # the same starts: a list nobody changes, so it can be used again.
        if cal.available is not last_available and cal.available != last_available:
            if uniform:
                shared = grid.allowed(cal.available, 1 - d)
            else:
                shared = grid.spans(cal.available, 0, 1 - d)
            last_available = cal.available
        allowed = shared
        if not allowed:
            continue
        full = None
        if limit is not None and cal.per_day:
            full = [
                day_spans[dt]
                for dt, count in cal.per_day.items()
                if count >= limit and dt in day_spans
            ]
        if uniform:
            if full:
                full.sort()
                allowed = subtract(allowed, full)
            yield n, allowed, sorted(cal.busy, key=_first), True
            continue
        blocked = grid.spans(cal.busy, 1 - d - after, before)
        if full:
            blocked += full
        blocked.sort()
        yield n, allowed, blocked, False


def _toggles(
    query: SlotQuery,
    grid: _Grid,
    calendars: Sequence[Calendar],
    daily_limit: bool,
) -> list[int]:
    """Per grid position, the bits of the calendars whose freedom flips there.

    The free set is a bit mask (calendar ``n`` is bit ``n``): one flat list of ints
    instead of a list of ids per position, and one XOR per change instead of set
    updates. XOR-ing the entries up to position ``g`` gives the free set at ``g``; every
    range ends by ``size``, so at ``size`` the set is empty again.
    """
    size = grid.size
    toggles = [0] * (size + 1)
    c1, c2 = _row_shift(query, grid)
    for n, allowed, rows, on_grid in _calendar_ranges(query, grid, calendars, daily_limit):
        if on_grid:
            _fill_rows(1 << n, allowed, rows, c1, c2, grid.step, toggles)
        else:
            bit = 1 << n
            # Free ranges are disjoint: XOR at both ends leaves the bit set exactly inside,
            # also where one range ends at the next one's start.
            for fs, fe in _free(allowed, rows, size):
                toggles[fs] ^= bit
                toggles[fe] ^= bit
    return toggles


def _changes(toggles: list[int]) -> list[tuple[int, int | None]]:
    """``(position, free set from there on)`` wherever the set of free calendars
    changes (``None`` when nobody is free), for the general walk in :func:`find_slots`."""
    out: list[tuple[int, int | None]] = []
    active = 0
    # Only positions where something flips; compress() finds them at C speed.
    for g in compress(range(len(toggles)), toggles):
        active ^= toggles[g]
        out.append((g, active or None))
    return out


def _namer(ids: Sequence[str]) -> Callable[[int], tuple[str, ...]]:
    """Free-set mask -> its ids in input order, each mask once (the same sets come back
    day after day).

    A mask is named a byte at a time: byte ``k`` covers calendars ``8k .. 8k + 7``, and
    ``tables[k][v]`` lists those whose bit is set in ``v``, in input order. Entries are
    built when first needed, each from the one without its highest bit: a busy company
    has few calendars free at once, so a request meets a few dozen of the 256 values
    per byte, and building all of them up front cost as much as the naming itself.
    """
    chunks = [tuple(ids[k : k + 8]) for k in range(0, len(ids), 8)]
    tables: list[list[tuple[str, ...] | None]] = [[(), *[None] * 255] for _ in chunks]
    known: dict[int, tuple[str, ...]] = {}

    def entry(
        table: list[tuple[str, ...] | None], chunk: tuple[str, ...], v: int
    ) -> tuple[str, ...]:
        top = v.bit_length() - 1
        head = table[v ^ 1 << top]
        if head is None:
            head = entry(table, chunk, v ^ 1 << top)
        part = table[v] = head + (chunk[top],)
        return part

    def name(mask: int) -> tuple[str, ...]:
        found = known.get(mask)
        if found is None:
            # A shift and an index per byte, empty bytes skipped: measured 1.6x faster
            # than to_bytes() through a chain() of the tables.
            found, rest, k = (), mask, 0
            while rest:
                v = rest & 255
                if v:
                    part = tables[k][v]
                    found += entry(tables[k], chunks[k], v) if part is None else part
                rest >>= 8
                k += 1
            known[mask] = found
        return found

    return name


def _changes_sets(
    query: SlotQuery,
    grid: _Grid,
    calendars: Sequence[Calendar],
    daily_limit: bool,
) -> list[tuple[int, tuple[str, ...] | None]]:
    """:func:`_changes` for many calendars: ids per position and the free ones, named
    at once (their ids are the name: there is no mask to keep).

    Past a few dozen calendars a bit mask is a many-digit int, and XOR-ing it per range
    end costs more than appending an id; picking each free set's ids from a sorted list
    of small ints is then the cheaper way too.
    """
    size = grid.size
    adds: list[list[int]] = [[] for _ in range(size + 1)]
    drops: list[list[int]] = [[] for _ in range(size + 1)]
    c1, c2 = _row_shift(query, grid)
    for n, allowed, rows, on_grid in _calendar_ranges(query, grid, calendars, daily_limit):
        if on_grid:
            _fill_rows_lists(n, allowed, rows, c1, c2, grid.step, adds, drops)
        else:
            for fs, fe in _free(allowed, rows, size):
                adds[fs].append(n)
                drops[fe].append(n)

    ids = [c.id for c in calendars]
    out: list[tuple[int, tuple[str, ...] | None]] = []
    # The free calendars' numbers, kept sorted: a position changes a few of a hundred
    # free ones, and moving those in place costs less than sorting the set each time.
    free: list[int] = []
    # Only positions where something happens; compress() finds them at C speed.
    positions = range(size + 1)
    for g in sorted({*compress(positions, adds), *compress(positions, drops)}):
        # Drops first: a range that ends where the next one of its calendar starts.
        for n in drops[g]:
            del free[bisect_left(free, n)]
        for n in adds[g]:
            insort(free, n)
        if not free:
            out.append((g, None))
        elif len(free) == 1:
            out.append((g, (ids[free[0]],)))
        else:
            # The fastest tuple build measured.
            out.append((g, itemgetter(*free)(ids)))
    return out


def find_slots(
    query: SlotQuery,
    staff: Sequence[Calendar],
    resources: Sequence[Calendar] | None = None,
) -> list[Slot]:
    """Every grid start some staff member (and, if asked, some resource) can take.

    ``resources=None`` means the service needs no resource; an empty sequence means it
    needs one and none exists, so nothing is offered.
    """
    lo = max(query.window[0], query.not_before)
    hi = min(query.window[1], query.not_after + 1)
    if lo >= hi or not staff or (resources is not None and not resources):
        return []
    grid = _Grid(query.zone, query.step, lo, hi)
    if grid.size == 0:
        return []
    if len(staff) <= MASK_LIMIT and (resources is None or len(resources) <= MASK_LIMIT):
        return _walk_masks(query, grid, staff, resources)
    # A side with more calendars than a mask holds: a change list per side.
    who, s_name = _sweep(query, grid, staff, True)
    what: list[tuple[int, _Key]]
    r_name: Callable[[_Key], tuple[str, ...]]
    if resources is None:
        what, r_name = [(0, 0)], _no_resource
    else:
        what, r_name = _sweep(query, grid, resources, False)
    # Walk both change lists together; between two changes every start shares the
    # same staff and resource sets. Positions rise strictly in each list, and a
    # sentinel at `size` ends each, so every step moves one list or both by one.
    out: list[Slot] = []
    times, d, size = grid.times, query.duration, grid.size
    who.append((size, None))
    what.append((size, None))
    i = j = g = 0
    s_key = r_key = None
    ng, nr = who[0][0], what[0][0]
    while g < size:
        if ng <= g:
            s_key = who[i][1]
            i += 1
            ng = who[i][0]
        if nr <= g:
            r_key = what[j][1]
            j += 1
            nr = what[j][0]
        nxt = ng if ng < nr else nr
        if s_key is not None and r_key is not None:
            s_ids, r_ids = s_name(s_key), r_name(r_key)
            if nxt - g == 1:
                # Busy calendars change the free set at most starts: skip the iterators.
                t = times[g]
                out.append(_new_slot((t, t + d, s_ids, r_ids)))
            else:
                starts = times[g:nxt]
                out += map(
                    _new_slot,
                    zip(starts, map(add, starts, repeat(d)), repeat(s_ids), repeat(r_ids)),
                )
        g = nxt
    return out


def _walk_masks(
    query: SlotQuery,
    grid: _Grid,
    staff: Sequence[Calendar],
    resources: Sequence[Calendar] | None,
) -> list[Slot]:
    """:func:`find_slots` when both sides fit in bit masks: one pass over the positions
    where either side's free set flips, with no change lists in between.

    Between two such positions every start shares the same staff and resource sets.
    """
    size = grid.size
    st = _toggles(query, grid, staff, True)
    s_name = _namer([c.id for c in staff])
    if resources is None:
        # No resource side: a set that never flips and is never empty, named ().
        r_name: Callable[[int], tuple[str, ...]] = _no_resource
        rt, r = [0] * (size + 1), -1
        flips = compress(range(size + 1), st)
    else:
        rt, r = _toggles(query, grid, resources, False), 0
        r_name = _namer([c.id for c in resources])
        flips = compress(range(size + 1), map(or_, st, rt))
    # The starts and their sets, in three lists that become the slots in one pass at
    # the end: three appends cost less than building each slot on the way.
    starts: list[int] = []
    s_sets: list[tuple[str, ...]] = []
    r_sets: list[tuple[str, ...]] = []
    times = grid.times
    s = 0
    s_ids: tuple[str, ...] = ()
    r_ids: tuple[str, ...] = ()
    s_named = r_named = 0  # the masks s_ids and r_ids name (0: none yet)
    opened = -1  # where the current run of offered starts began, -1 outside one
    for g in flips:
        if opened >= 0:
            if g - opened == 1:
                # Busy calendars change the free set at most starts.
                starts.append(times[opened])
                s_sets.append(s_ids)
                r_sets.append(r_ids)
            else:
                starts += times[opened:g]
                s_sets += repeat(s_ids, g - opened)
                r_sets += repeat(r_ids, g - opened)
        s ^= st[g]
        r ^= rt[g]
        if s and r:
            opened = g
            # Most flips change one side only: the other keeps its name.
            if s != s_named:
                s_ids, s_named = s_name(s), s
            if r != r_named:
                r_ids, r_named = r_name(r), r
        else:
            opened = -1
    # Every free range ends by `size`, where its end flips its bit off again.
    assert opened < 0
    d = query.duration
    return list(
        map(
            tuple.__new__,
            repeat(Slot),
            zip(starts, map(add, starts, repeat(d)), s_sets, r_sets, strict=True),
        )
    )


def _no_resource(key: _Key) -> tuple[str, ...]:
    return ()


def _itself(key: tuple[str, ...]) -> tuple[str, ...]:
    return key


# A free set as the general walk keeps it: a bit mask, or the ids themselves past
# MASK_LIMIT; `None` where nobody is free.
_Key = Any


def _sweep(
    query: SlotQuery, grid: _Grid, calendars: Sequence[Calendar], daily_limit: bool
) -> tuple[list[tuple[int, _Key]], Callable[[_Key], tuple[str, ...]]]:
    """The change list and its namer, by free-set representation (see the module table)."""
    if len(calendars) > MASK_LIMIT:
        return _changes_sets(query, grid, calendars, daily_limit), _itself
    return _changes(_toggles(query, grid, calendars, daily_limit)), _namer(
        [c.id for c in calendars]
    )
