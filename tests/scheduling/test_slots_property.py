"""find_slots against the readable reference (scheduling/reference.py), minute by minute."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rendezvous.scheduling.intervals import normalize, to_epoch
from rendezvous.scheduling.reference import slots as reference
from rendezvous.scheduling.rules import WeeklyHours, working_intervals
from rendezvous.scheduling.slots import (
    MASK_LIMIT,
    Calendar,
    SlotQuery,
    find_slots,
    is_free,
)

pytestmark = pytest.mark.unit

MIN = 60
ZONES = [ZoneInfo(z) for z in ("UTC", "Europe/Berlin", "Asia/Kolkata", "America/New_York")]
DATES = [
    date(2026, 3, 29),  # Berlin spring
    date(2026, 10, 25),  # Berlin autumn
    date(2026, 3, 8),  # New York spring
    date(2026, 11, 1),  # New York autumn
    date(2026, 7, 15),
]
STEPS = [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60]


@st.composite
def cases(draw, steps=STEPS, zones=ZONES, dates=DATES, staff_counts=(1, 3)):
    zone = draw(st.sampled_from(zones))
    day = draw(st.sampled_from(dates))
    base = to_epoch(datetime.combine(day - timedelta(days=1), time(0), UTC))
    span = 3 * 1440  # minutes covered by the calendars

    def interval(max_len):
        start = draw(st.integers(0, span))
        return base + start * MIN, base + (start + draw(st.integers(0, max_len))) * MIN

    def available():
        if draw(st.booleans()):
            return normalize(interval(1440) for _ in range(draw(st.integers(0, 4))))
        rows = []
        for _ in range(draw(st.integers(1, 4))):
            s = draw(st.integers(0, 95))
            e = draw(st.integers(s + 1, 96))
            end = time(0) if e == 96 else time(e // 4, e % 4 * 15)
            weekday = (day + timedelta(days=draw(st.integers(-1, 1)))).weekday()
            rows.append(WeeklyHours(weekday, time(s // 4, s % 4 * 15), end))
        return working_intervals(rows, [], zone, day - timedelta(days=1), day + timedelta(days=1))

    local_days = [day + timedelta(days=k) for k in (-2, -1, 0, 1, 2)]

    def calendar(ident, daily):
        busy = [interval(120) for _ in range(draw(st.integers(0, 6)))]  # any order, overlaps
        per_day = {d: draw(st.integers(0, 3)) for d in local_days} if daily else {}
        return Calendar(ident, available(), busy, per_day)

    staff = [calendar(f"s{i}", True) for i in range(draw(st.integers(*staff_counts)))]
    resources = None
    if draw(st.booleans()):
        resources = [calendar(f"r{i}", False) for i in range(draw(st.integers(0, 2)))]
    # Mostly the whole range with a notice inside it, sometimes anything at all.
    if draw(st.integers(0, 3)):
        w0, w1 = base, base + span * MIN
        now = base + draw(st.integers(-1440, 1440)) * MIN + draw(st.integers(0, 59))
        horizon = span + draw(st.integers(-1440, 0))
    else:
        w0 = base + draw(st.integers(0, span)) * MIN
        w1 = w0 + draw(st.integers(0, span)) * MIN
        now = base + draw(st.integers(-60, span)) * MIN + draw(st.integers(0, 59))
        horizon = draw(st.integers(0, span))
    q = SlotQuery(
        duration=5 * MIN * draw(st.integers(1, 24)),
        step=draw(st.sampled_from(steps)) * MIN,
        buffer_before=5 * MIN * draw(st.integers(0, 6)),
        buffer_after=5 * MIN * draw(st.integers(0, 6)),
        window=(w0, w1),
        not_before=now + draw(st.integers(0, 240)) * MIN,
        not_after=now + horizon * MIN,
        zone=zone,
        max_per_day=draw(st.none() | st.none() | st.integers(0, 3)),
    )
    return q, staff, resources


@settings(max_examples=300, deadline=None)
@given(cases())
def test_find_slots_matches_the_reference(case):
    q, staff, resources = case
    assert find_slots(q, staff, resources) == reference(q, staff, resources)


@settings(max_examples=150, deadline=None)
@given(
    cases(
        steps=[7, 25, 45, 90],
        zones=[*ZONES, ZoneInfo("Australia/Lord_Howe")],  # a 30-minute DST shift
        dates=[*DATES, date(2026, 4, 5), date(2026, 10, 4)],
    )
)
def test_uneven_grids_match_the_reference(case):
    q, staff, resources = case
    assert find_slots(q, staff, resources) == reference(q, staff, resources)


@settings(max_examples=25, deadline=None)
@given(cases(steps=[15, 30, 60], staff_counts=(MASK_LIMIT - 1, MASK_LIMIT + 8)))
def test_many_staff_match_the_reference(case):
    # Past MASK_LIMIT calendars the engine keeps free sets as sets instead of bit masks.
    q, staff, resources = case
    assert find_slots(q, staff, resources) == reference(q, staff, resources)


@settings(max_examples=40, deadline=None)
@given(cases(steps=[5, 15, 60]))
def test_is_free_agrees_with_find_slots(case):
    q, staff, _ = case
    slots = find_slots(q, staff)
    first = max(q.window[0], q.not_before)
    # Every offset of these zones is a multiple of 5 minutes, so is the grid in UTC.
    first += -first % (5 * MIN)
    candidates = range(first, min(q.window[1], q.not_after + 1), 5 * MIN)
    for cal in staff:
        offered = {s.start for s in slots if cal.id in s.staff}
        assert offered == {t for t in candidates if is_free(q, cal, t)}
