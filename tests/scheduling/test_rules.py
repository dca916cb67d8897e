from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rendezvous.scheduling.intervals import normalize, to_epoch
from rendezvous.scheduling.reference import working_minutes
from rendezvous.scheduling.rules import (
    DAY,
    DateOverride,
    WeeklyHours,
    _day,
    _day_run,
    _wall_to_epoch,
    local_day,
    local_to_epoch,
    working_intervals,
)

pytestmark = pytest.mark.unit

BERLIN = ZoneInfo("Europe/Berlin")
KOLKATA = ZoneInfo("Asia/Kolkata")
NEW_YORK = ZoneInfo("America/New_York")
UTC_ZONE = ZoneInfo("UTC")
SPRING = date(2026, 3, 29)  # Berlin 02:00 CET -> 03:00 CEST, at 01:00Z
AUTUMN = date(2026, 10, 25)  # Berlin 03:00 CEST -> 02:00 CET, at 01:00Z
HOUR = 3600


def utc(*args):
    return to_epoch(datetime(*args, tzinfo=UTC))


def one_day(zone, day, start, end):
    return working_intervals([WeeklyHours(day.weekday(), start, end)], [], zone, day, day)


@pytest.mark.parametrize(
    ("zone", "day", "start", "end", "expected"),
    [
        # Ordinary office hours on both DST days: exactly 8 h, at the right instants.
        (BERLIN, SPRING, time(9), time(17), [(utc(2026, 3, 29, 7), utc(2026, 3, 29, 15))]),
        (BERLIN, AUTUMN, time(9), time(17), [(utc(2026, 10, 25, 8), utc(2026, 10, 25, 16))]),
        # Hours spanning the change: 2 real hours in spring, 4 in autumn.
        (BERLIN, SPRING, time(1), time(4), [(utc(2026, 3, 29, 0), utc(2026, 3, 29, 2))]),
        (BERLIN, AUTUMN, time(1), time(4), [(utc(2026, 10, 24, 23), utc(2026, 10, 25, 3))]),
        # Hours wholly inside the spring gap do not exist.
        (BERLIN, SPRING, time(2), time(3), []),
        (BERLIN, SPRING, time(2, 30), time(3), []),
        # A gap end or start clamps to the jump (01:00Z, shown as 03:00 CEST).
        (
            BERLIN,
            SPRING,
            time(1, 30),
            time(2, 30),
            [(utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1))],
        ),
        (
            BERLIN,
            SPRING,
            time(2, 30),
            time(3, 30),
            [(utc(2026, 3, 29, 1), utc(2026, 3, 29, 1, 30))],
        ),
        # Repeated wall times use their first occurrence, for start and end alike.
        (BERLIN, AUTUMN, time(2), time(3), [(utc(2026, 10, 25, 0), utc(2026, 10, 25, 2))]),
        (BERLIN, AUTUMN, time(2, 30), time(3), [(utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 2))]),
        (BERLIN, AUTUMN, time(1), time(2, 30), [(utc(2026, 10, 24, 23), utc(2026, 10, 25, 0, 30))]),
        # Whole days: 23 h and 25 h.
        (BERLIN, SPRING, time(0), time(0), [(utc(2026, 3, 28, 23), utc(2026, 3, 29, 22))]),
        (BERLIN, AUTUMN, time(0), time(0), [(utc(2026, 10, 24, 22), utc(2026, 10, 25, 23))]),
        # Ending at midnight on and around the change.
        (BERLIN, AUTUMN, time(20), time(0), [(utc(2026, 10, 25, 19), utc(2026, 10, 25, 23))]),
        (
            BERLIN,
            date(2026, 10, 24),
            time(20),
            time(0),
            [(utc(2026, 10, 24, 18), utc(2026, 10, 24, 22))],
        ),
        # A +05:30 zone without DST.
        (KOLKATA, SPRING, time(9), time(17), [(utc(2026, 3, 29, 3, 30), utc(2026, 3, 29, 11, 30))]),
        (
            KOLKATA,
            SPRING,
            time(18),
            time(0),
            [(utc(2026, 3, 29, 12, 30), utc(2026, 3, 29, 18, 30))],
        ),
        # New York changes at 02:00 local, five hours behind.
        (
            NEW_YORK,
            date(2026, 3, 8),
            time(1),
            time(4),
            [(utc(2026, 3, 8, 6), utc(2026, 3, 8, 8))],
        ),
        (
            NEW_YORK,
            date(2026, 11, 1),
            time(1),
            time(4),
            [(utc(2026, 11, 1, 5), utc(2026, 11, 1, 9))],
        ),
    ],
)
def test_hours_on_one_day(zone, day, start, end, expected):
    assert one_day(zone, day, start, end) == expected


@pytest.mark.parametrize("day", [SPRING, AUTUMN])
def test_office_hours_on_dst_days_are_eight_hours(day):
    [(a, b)] = one_day(BERLIN, day, time(9), time(17))
    assert b - a == 8 * HOUR
    assert datetime.fromtimestamp(a, BERLIN).time() == time(9)
    assert datetime.fromtimestamp(b, BERLIN).time() == time(17)


def test_weekly_hours_repeat_on_their_weekday_only():
    hours = [WeeklyHours(0, time(9), time(12)), WeeklyHours(2, time(14), time(18))]
    result = working_intervals(hours, [], UTC_ZONE, date(2026, 6, 1), date(2026, 6, 14))
    assert [datetime.fromtimestamp(a, UTC).strftime("%a %H") for a, _ in result] == [
        "Mon 09",
        "Wed 14",
        "Mon 09",
        "Wed 14",
    ]


def test_split_shift_and_overlapping_rows_merge():
    hours = [
        WeeklyHours(0, time(9), time(12)),
        WeeklyHours(0, time(11), time(13)),
        WeeklyHours(0, time(14), time(18)),
    ]
    day = date(2026, 6, 1)
    assert working_intervals(hours, [], UTC_ZONE, day, day) == [
        (utc(2026, 6, 1, 9), utc(2026, 6, 1, 13)),
        (utc(2026, 6, 1, 14), utc(2026, 6, 1, 18)),
    ]


def test_hours_ending_at_midnight_join_the_next_morning():
    hours = [WeeklyHours(4, time(20), time(0)), WeeklyHours(5, time(0), time(2))]
    result = working_intervals(hours, [], BERLIN, date(2026, 6, 5), date(2026, 6, 6))
    assert result == [(utc(2026, 6, 5, 18), utc(2026, 6, 6, 0))]


def test_round_the_clock_across_both_changes_is_one_interval():
    hours = [WeeklyHours(wd, time(0), time(0)) for wd in range(7)]
    first, last = date(2026, 3, 28), date(2026, 3, 30)
    assert working_intervals(hours, [], BERLIN, first, last) == [
        (utc(2026, 3, 27, 23), utc(2026, 3, 30, 22))
    ]


def test_dst_gap_between_two_rows_leaves_them_touching_and_merged():
    hours = [WeeklyHours(6, time(1), time(2)), WeeklyHours(6, time(3), time(4))]
    assert working_intervals(hours, [], BERLIN, SPRING, SPRING) == [
        (utc(2026, 3, 29, 0), utc(2026, 3, 29, 2))
    ]


# --- overrides -------------------------------------------------------------------------

MONDAY = date(2026, 6, 1)
WEEK = [WeeklyHours(wd, time(9), time(17)) for wd in range(5)]


def test_replace_without_hours_closes_the_day():
    result = working_intervals(WEEK, [DateOverride(MONDAY)], UTC_ZONE, MONDAY, MONDAY)
    assert result == []


def test_replace_with_hours_stands_in_for_the_weekly_hours():
    override = DateOverride(MONDAY, ((time(10), time(12)), (time(13), time(14))))
    result = working_intervals(WEEK, [override], UTC_ZONE, MONDAY, MONDAY + timedelta(days=1))
    assert result == [
        (utc(2026, 6, 1, 10), utc(2026, 6, 1, 12)),
        (utc(2026, 6, 1, 13), utc(2026, 6, 1, 14)),
        (utc(2026, 6, 2, 9), utc(2026, 6, 2, 17)),
    ]


def test_add_extends_the_weekly_hours():
    override = DateOverride(MONDAY, ((time(16), time(19)), (time(7), time(8))), mode="add")
    result = working_intervals(WEEK, [override], UTC_ZONE, MONDAY, MONDAY)
    assert result == [
        (utc(2026, 6, 1, 7), utc(2026, 6, 1, 8)),
        (utc(2026, 6, 1, 9), utc(2026, 6, 1, 19)),
    ]


def test_add_on_a_day_off_opens_it():
    sunday = date(2026, 6, 7)
    override = DateOverride(sunday, ((time(10), time(14)),), mode="add")
    result = working_intervals(WEEK, [override], UTC_ZONE, sunday, sunday)
    assert result == [(utc(2026, 6, 7, 10), utc(2026, 6, 7, 14))]


def test_replace_and_add_on_one_day_combine():
    overrides = [
        DateOverride(MONDAY, ((time(8), time(10)),)),
        DateOverride(MONDAY, ((time(12), time(13)),), mode="add"),
    ]
    result = working_intervals(WEEK, overrides, UTC_ZONE, MONDAY, MONDAY)
    assert result == [
        (utc(2026, 6, 1, 8), utc(2026, 6, 1, 10)),
        (utc(2026, 6, 1, 12), utc(2026, 6, 1, 13)),
    ]


def test_overrides_outside_the_range_are_ignored():
    result = working_intervals(
        WEEK, [DateOverride(MONDAY - timedelta(days=7))], UTC_ZONE, MONDAY, MONDAY
    )
    assert result == [(utc(2026, 6, 1, 9), utc(2026, 6, 1, 17))]


def test_override_on_a_dst_day_uses_the_same_mapping():
    override = DateOverride(SPRING, ((time(1), time(4)),))
    sunday_hours = [WeeklyHours(6, time(9), time(17))]
    result = working_intervals(sunday_hours, [override], BERLIN, SPRING, SPRING)
    assert result == [(utc(2026, 3, 29, 0), utc(2026, 3, 29, 2))]


def test_empty_range():
    assert working_intervals(WEEK, [], UTC_ZONE, MONDAY, MONDAY - timedelta(days=1)) == []


# --- validation and helpers ------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: WeeklyHours(7, time(9), time(17)),
        lambda: WeeklyHours(0, time(17), time(9)),
        lambda: WeeklyHours(0, time(9), time(9)),
        lambda: WeeklyHours(0, time(9, tzinfo=UTC), time(17)),
        lambda: DateOverride(MONDAY, ((time(12), time(11)),)),
        lambda: DateOverride(MONDAY, mode="remove"),  # type: ignore[arg-type]
    ],
)
def test_invalid_rules_are_refused(make):
    with pytest.raises(ValueError):
        make()


def test_local_day_and_local_to_epoch():
    assert local_day(BERLIN, SPRING) == (utc(2026, 3, 28, 23), utc(2026, 3, 29, 22))
    assert local_day(BERLIN, AUTUMN) == (utc(2026, 10, 24, 22), utc(2026, 10, 25, 23))
    assert local_to_epoch(BERLIN, SPRING, time(2, 30)) == utc(2026, 3, 29, 1)
    assert local_to_epoch(BERLIN, AUTUMN, time(2, 30)) == utc(2026, 10, 25, 0, 30)
    assert local_to_epoch(KOLKATA, SPRING, time(0)) == utc(2026, 3, 28, 18, 30)


# --- property: against the per-minute reference (scheduling/reference.py) ---------------------------------------------

ZONES = [UTC_ZONE, BERLIN, KOLKATA, NEW_YORK]
DST_DATES = [SPRING, AUTUMN, date(2026, 3, 8), date(2026, 11, 1), date(2026, 6, 10)]


def quarter_hours(draw_start):
    return time(draw_start // 4, draw_start % 4 * 15)


@st.composite
def spans(draw):
    start = draw(st.integers(0, 95))
    end = draw(st.integers(start + 1, 96))
    return quarter_hours(start), (time(0) if end == 96 else quarter_hours(end))


@st.composite
def rules(draw):
    first = draw(st.sampled_from(DST_DATES)) - timedelta(days=1)
    last = first + timedelta(days=2)
    hours = [
        WeeklyHours(wd, *span)
        for wd, span in draw(st.lists(st.tuples(st.integers(0, 6), spans()), max_size=6))
    ]
    overrides = draw(
        st.lists(
            st.builds(
                DateOverride,
                st.sampled_from([first, first + timedelta(days=1), last]),
                st.lists(spans(), max_size=2).map(tuple),
                st.sampled_from(["replace", "add"]),
            ),
            max_size=3,
        )
    )
    return hours, overrides, draw(st.sampled_from(ZONES)), first, last


def minutes_of(intervals):
    out = set()
    for a, b in intervals:
        assert a % 60 == 0 and b % 60 == 0
        out.update(range(a, b, 60))
    return out


@settings(max_examples=60, deadline=None)
@given(rules())
def test_working_intervals_match_the_minute_reference(case):
    hours, overrides, zone, first, last = case
    result = working_intervals(hours, overrides, zone, first, last)
    assert result == normalize(result)
    assert minutes_of(result) == working_minutes(hours, overrides, zone, first, last)


# --- the fast paths against the exact per-day mapping --------------------------------


def test_day_run_agrees_with_the_exact_day_in_every_zone():
    # Every zone of the tz database over a year and a half: every kind of change day
    # (DST both ways, midnight changes, Ramadan pauses, Lord Howe's half hour) comes
    # through, and the fast path must give exactly what the probing one gives.
    first, last = date(2026, 1, 1), date(2027, 6, 30)
    uneven = 0
    for name in sorted(available_timezones()):
        zone = ZoneInfo(name)
        fast = _day_run(zone, first, last)
        exact = [_day(zone, first + timedelta(days=i)) for i in range(len(fast))]
        assert fast == exact, name
        uneven += sum(not d.simple for d in fast)
    assert uneven > 500  # the change days were really there


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(sorted(available_timezones())),
    st.dates(date(2026, 1, 1), date(2027, 12, 31)),
    st.integers(0, DAY),
)
def test_a_days_own_wall_mapping_agrees_with_zoneinfo(name, day, seconds):
    zone = ZoneInfo(name)
    d = _day(zone, day)
    assert d.at(seconds) == _wall_to_epoch(zone, d.wall + seconds)


@pytest.mark.parametrize(
    ("zone", "day"),
    [
        (BERLIN, SPRING),
        (BERLIN, AUTUMN),
        (NEW_YORK, date(2026, 3, 8)),
        (NEW_YORK, date(2026, 11, 1)),
    ],
)
def test_a_change_days_wall_mapping_agrees_with_zoneinfo_each_minute(zone, day):
    d = _day(zone, day)
    assert not d.simple
    assert [d.at(s) for s in range(0, DAY + 1, 60)] == [
        _wall_to_epoch(zone, d.wall + s) for s in range(0, DAY + 1, 60)
    ]
