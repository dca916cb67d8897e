from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from rendezvous.scheduling.intervals import normalize, to_epoch
from rendezvous.scheduling.rules import WeeklyHours, local_day, working_intervals
from rendezvous.scheduling.slots import (
    Calendar,
    Slot,
    SlotQuery,
    find_slots,
    fits,
    is_free,
    on_grid,
)

pytestmark = pytest.mark.unit

BERLIN = ZoneInfo("Europe/Berlin")
KOLKATA = ZoneInfo("Asia/Kolkata")
SPRING = date(2026, 3, 29)
AUTUMN = date(2026, 10, 25)
MIN = 60
MONDAY = date(2026, 6, 1)


def at(day, hour, minute=0, zone=BERLIN, fold=0):
    return to_epoch(datetime.combine(day, time(hour, minute, fold=fold), zone))


def walls(slots, zone=BERLIN):
    return [datetime.fromtimestamp(s.start, zone).strftime("%H:%M") for s in slots]


def query(day, *, zone=BERLIN, days=1, duration=60, step=15, now=None, **kw):
    first, end = local_day(zone, day)
    if days > 1:
        end = local_day(zone, day + timedelta(days=days - 1))[1]
    return SlotQuery(
        duration=duration * MIN,
        step=step * MIN,
        window=(first, end),
        not_before=first if now is None else now,
        not_after=end + 365 * 86_400,
        zone=zone,
        **kw,
    )


def hours(day, start, end, zone=BERLIN, days=1, ident="a"):
    weekly = [WeeklyHours(wd, start, end) for wd in range(7)]
    last = day + timedelta(days=days - 1)
    return Calendar(ident, working_intervals(weekly, [], zone, day, last))


# --- grid ------------------------------------------------------------------------------


@pytest.mark.parametrize("day", [SPRING, AUTUMN])
def test_dst_days_keep_the_wall_clock_grid(day):
    slots = find_slots(query(day), [hours(day, time(9), time(17))])
    assert walls(slots)[:3] == ["09:00", "09:15", "09:30"]
    assert walls(slots)[-1] == "16:00"
    assert len(slots) == 29
    assert all(s.end - s.start == 60 * MIN for s in slots)


def test_spring_night_skips_the_missing_hour():
    slots = find_slots(query(SPRING, duration=15), [hours(SPRING, time(1), time(4))])
    assert walls(slots) == [
        "01:00", "01:15", "01:30", "01:45", "03:00", "03:15", "03:30", "03:45",
    ]  # fmt: skip


def test_autumn_night_offers_each_instant_of_the_repeated_hour_once():
    slots = find_slots(query(AUTUMN, duration=15), [hours(AUTUMN, time(1), time(4))])
    labels = [datetime.fromtimestamp(s.start, BERLIN).strftime("%H:%M %Z") for s in slots]
    assert labels == [
        "01:00 CEST", "01:15 CEST", "01:30 CEST", "01:45 CEST",
        "02:00 CEST", "02:15 CEST", "02:30 CEST", "02:45 CEST",
        "02:00 CET", "02:15 CET", "02:30 CET", "02:45 CET",
        "03:00 CET", "03:15 CET", "03:30 CET", "03:45 CET",
    ]  # fmt: skip
    assert len({s.start for s in slots}) == 16
    assert [b.start - a.start for a, b in zip(slots, slots[1:], strict=False)] == [15 * MIN] * 15


def test_kolkata_grid_follows_local_midnight():
    day = date(2026, 6, 1)
    slots = find_slots(
        query(day, zone=KOLKATA, step=60), [hours(day, time(9), time(12), zone=KOLKATA)]
    )
    assert [s.start for s in slots] == [at(day, h, zone=KOLKATA) for h in (9, 10, 11)]
    assert datetime.fromtimestamp(slots[0].start, UTC).strftime("%H:%M") == "03:30"


def test_hours_off_the_grid_round_the_first_start_up():
    cal = Calendar("a", [(at(MONDAY, 9, 5), at(MONDAY, 11))])
    assert walls(find_slots(query(MONDAY, duration=30), [cal])) == [
        "09:15", "09:30", "09:45", "10:00", "10:15", "10:30",
    ]  # fmt: skip


def test_uneven_step_restarts_at_each_local_midnight():
    cal = hours(MONDAY, time(0), time(0), days=2)
    slots = find_slots(query(MONDAY, days=2, duration=30, step=25), [cal])
    by_day = {}
    for s in slots:
        local = datetime.fromtimestamp(s.start, BERLIN)
        by_day.setdefault(local.date(), []).append(local.strftime("%H:%M"))
    assert by_day[MONDAY][:3] == ["00:00", "00:25", "00:50"] == by_day[MONDAY + timedelta(1)][:3]
    # 23:45 is on Monday's grid (57 x 25 min) and may run into Tuesday's hours; on
    # Tuesday it would end after the hours do.
    assert by_day[MONDAY][-1] == "23:45"
    assert by_day[MONDAY + timedelta(1)][-1] == "23:20"


def test_slot_ending_exactly_at_midnight_is_offered():
    slots = find_slots(query(MONDAY), [hours(MONDAY, time(20), time(0))])
    assert walls(slots)[-1] == "23:00"
    assert slots[-1].end == local_day(BERLIN, MONDAY)[1]


# --- buffers, notice, horizon, window --------------------------------------------------


def test_buffers_keep_clear_of_bookings():
    cal = Calendar(
        "a",
        [(at(MONDAY, 9), at(MONDAY, 13))],
        busy=[(at(MONDAY, 10), at(MONDAY, 11))],
    )
    slots = find_slots(
        query(MONDAY, duration=30, buffer_before=15 * MIN, buffer_after=15 * MIN), [cal]
    )
    assert walls(slots) == ["09:00", "09:15", "11:15", "11:30", "11:45", "12:00", "12:15", "12:30"]


def test_buffers_may_run_past_working_hours():
    cal = hours(MONDAY, time(9), time(17))
    slots = find_slots(query(MONDAY, buffer_before=30 * MIN, buffer_after=30 * MIN), [cal])
    assert walls(slots)[0] == "09:00"
    assert walls(slots)[-1] == "16:00"


def test_buffers_never_reach_a_booking_outside_working_hours():
    cal = Calendar(
        "a",
        [(at(MONDAY, 9), at(MONDAY, 17))],
        busy=[(at(MONDAY, 8), at(MONDAY, 9)), (at(MONDAY, 17), at(MONDAY, 18))],
    )
    slots = find_slots(query(MONDAY, buffer_before=15 * MIN, buffer_after=30 * MIN), [cal])
    assert walls(slots)[0] == "09:15"
    assert walls(slots)[-1] == "15:30"


def test_minimum_notice_and_horizon():
    cal = hours(MONDAY, time(9), time(17))
    q = query(MONDAY, now=at(MONDAY, 10, 7))
    q = SlotQuery(**{**q.__dict__, "not_after": at(MONDAY, 12)})
    assert walls(find_slots(q, [cal])) == [
        "10:15", "10:30", "10:45", "11:00", "11:15", "11:30", "11:45", "12:00",
    ]  # fmt: skip


def test_window_is_half_open():
    cal = hours(MONDAY, time(9), time(17))
    q = query(MONDAY)
    q = SlotQuery(**{**q.__dict__, "window": (at(MONDAY, 10), at(MONDAY, 11))})
    assert walls(find_slots(q, [cal])) == ["10:00", "10:15", "10:30", "10:45"]


def test_empty_window_or_horizon_before_notice():
    cal = hours(MONDAY, time(9), time(17))
    q = query(MONDAY)
    assert find_slots(SlotQuery(**{**q.__dict__, "window": (at(MONDAY, 10),) * 2}), [cal]) == []
    late = SlotQuery(**{**q.__dict__, "not_before": at(MONDAY, 12), "not_after": at(MONDAY, 11)})
    assert find_slots(late, [cal]) == []


# --- daily maximum ---------------------------------------------------------------------


def test_daily_maximum_closes_a_full_day_for_that_member_only():
    tuesday = MONDAY + timedelta(days=1)
    full = Calendar("a", hours(MONDAY, time(9), time(11), days=2).available, per_day={MONDAY: 2})
    other = Calendar("b", hours(MONDAY, time(10), time(11), days=2).available, per_day={MONDAY: 1})
    q = query(MONDAY, days=2, max_per_day=2)
    slots = find_slots(q, [full, other])
    monday = [s for s in slots if s.start < local_day(BERLIN, tuesday)[0]]
    assert {s.staff for s in monday} == {("b",)}
    tues = [s for s in slots if s.start >= local_day(BERLIN, tuesday)[0]]
    assert tues[0].staff == ("a",) and tues[-1].staff == ("a", "b")
    # Without a maximum the counts do not matter.
    unlimited = find_slots(query(MONDAY, days=2), [full, other])
    assert unlimited[0].staff == ("a",) and unlimited[0].start == at(MONDAY, 9)


@pytest.mark.parametrize("same_list", [True, False])
def test_members_with_the_same_hours_keep_their_own_daily_maximum(same_list):
    # The engine reuses the allowed starts of identical hours; a full day of the first
    # member must not close it for the next one, nor the other way round.
    tuesday = MONDAY + timedelta(days=1)
    week = hours(MONDAY, time(9), time(11), days=2).available
    second = week if same_list else list(week)
    calendars = [
        Calendar("a", week, per_day={MONDAY: 2}),
        Calendar("b", second, per_day={tuesday: 2}),
        Calendar("c", list(week)),
    ]
    slots = find_slots(query(MONDAY, days=2, max_per_day=2), calendars)
    split = local_day(BERLIN, tuesday)[0]
    assert {s.staff for s in slots if s.start < split} == {("b", "c")}
    assert {s.staff for s in slots if s.start >= split} == {("a", "c")}


# --- staff and resources ---------------------------------------------------------------


def test_any_staff_lists_everyone_free_in_input_order():
    c = Calendar("c", [(at(MONDAY, 9), at(MONDAY, 12))])
    a = Calendar("a", [(at(MONDAY, 10), at(MONDAY, 12))], busy=[(at(MONDAY, 10), at(MONDAY, 11))])
    b = Calendar("b", [(at(MONDAY, 9), at(MONDAY, 10, 30))])
    slots = find_slots(query(MONDAY), [c, a, b])
    got = {w: s.staff for w, s in zip(walls(slots), slots, strict=True)}
    assert got == {
        "09:00": ("c", "b"),
        "09:15": ("c", "b"),
        "09:30": ("c", "b"),
        "09:45": ("c",),
        "10:00": ("c",),
        "10:15": ("c",),
        "10:30": ("c",),
        "10:45": ("c",),
        "11:00": ("c", "a"),
    }
    assert all(s.resources == () for s in slots)


def test_resource_busy_hides_the_start():
    staff = [hours(MONDAY, time(9), time(11))]
    cabin = Calendar(
        "cabin", [(at(MONDAY, 0), at(MONDAY, 23))], busy=[(at(MONDAY, 9), at(MONDAY, 10))]
    )
    assert walls(find_slots(query(MONDAY), staff, [cabin])) == ["10:00"]


def test_two_cabins_offer_while_one_is_free():
    staff = [hours(MONDAY, time(9), time(12))]
    day = [(at(MONDAY, 0), at(MONDAY, 23))]
    one = Calendar("one", day, busy=[(at(MONDAY, 9), at(MONDAY, 10))])
    two = Calendar("two", day, busy=[(at(MONDAY, 10, 30), at(MONDAY, 11, 30))])
    slots = find_slots(query(MONDAY), staff, [one, two])
    assert {w: s.resources for w, s in zip(walls(slots), slots, strict=True)} == {
        "09:00": ("two",),
        "09:15": ("two",),
        "09:30": ("two",),
        # 09:45 is gone: one is busy until 10:00, two from 10:30.
        "10:00": ("one",),
        "10:15": ("one",),
        "10:30": ("one",),
        "10:45": ("one",),
        "11:00": ("one",),
    }
    assert all(s.staff == ("a",) for s in slots)


def test_resource_open_all_the_time():
    staff = [hours(MONDAY, time(9), time(11))]
    always = Calendar("cabin", [(0, 2**40)], busy=[(at(MONDAY, 9), at(MONDAY, 10))])
    slots = find_slots(query(MONDAY), staff, [always])
    assert [(w, s.resources) for w, s in zip(walls(slots), slots, strict=True)] == [
        ("10:00", ("cabin",))
    ]


def test_no_resources_means_no_slots():
    assert find_slots(query(MONDAY), [hours(MONDAY, time(9), time(17))], []) == []
    assert find_slots(query(MONDAY), []) == []


def test_busy_need_not_be_normalized():
    busy = [
        (at(MONDAY, 12), at(MONDAY, 13)),
        (at(MONDAY, 9), at(MONDAY, 10)),
        (at(MONDAY, 9, 30), at(MONDAY, 11)),
        (at(MONDAY, 11), at(MONDAY, 11)),
    ]
    cal = Calendar("a", hours(MONDAY, time(8), time(17)).available, busy=busy)
    tidy = Calendar("a", cal.available, busy=normalize(busy))
    q = query(MONDAY, buffer_after=10 * MIN)
    assert find_slots(q, [cal]) == find_slots(q, [tidy])
    assert [fits(q, cal, s.start) for s in find_slots(q, [tidy])] == [True] * len(
        find_slots(q, [tidy])
    )


# --- single starts ---------------------------------------------------------------------


def test_is_free_and_fits():
    cal = Calendar(
        "a",
        [(at(MONDAY, 9), at(MONDAY, 17))],
        busy=[(at(MONDAY, 12), at(MONDAY, 13))],
        per_day={MONDAY: 3},
    )
    q = query(MONDAY, now=at(MONDAY, 10), buffer_after=15 * MIN)
    assert is_free(q, cal, at(MONDAY, 10))
    assert not is_free(q, cal, at(MONDAY, 9, 45))  # before the notice
    assert not is_free(q, cal, at(MONDAY, 10, 5))  # off the grid
    assert fits(q, cal, at(MONDAY, 10, 5))  # ... but the calendar has room
    assert not fits(q, cal, at(MONDAY, 11))  # its buffer reaches the 12:00 booking
    assert fits(q, cal, at(MONDAY, 10, 45))
    assert not fits(q, cal, at(MONDAY, 16, 30))  # would end after 17:00
    assert not fits(q, cal, at(MONDAY, 8))
    capped = SlotQuery(**{**q.__dict__, "max_per_day": 3})
    assert not fits(capped, cal, at(MONDAY, 10))
    assert fits(capped, cal, at(MONDAY, 10), daily_limit=False)
    assert not is_free(capped, cal, at(MONDAY, 10))


def test_is_free_agrees_with_find_slots_on_a_dst_day():
    cal = Calendar(
        "a",
        hours(AUTUMN, time(0), time(0)).available,
        busy=[(at(AUTUMN, 2, fold=1), at(AUTUMN, 3))],
    )
    q = query(AUTUMN, duration=30)
    offered = {s.start for s in find_slots(q, [cal])}
    first, end = q.window
    assert offered == {t for t in range(first, end, 5 * MIN) if is_free(q, cal, t)}


@pytest.mark.parametrize(
    "kw",
    [
        {"duration": 0},
        {"step": 0},
        {"buffer_before": -1},
        {"buffer_after": -1},
        {"max_per_day": -1},
        {"window": (10, 0)},
    ],
)
def test_invalid_queries_are_refused(kw):
    base = {
        "duration": 60,
        "step": 15,
        "window": (0, 10),
        "not_before": 0,
        "not_after": 10,
        "zone": BERLIN,
    }
    with pytest.raises(ValueError):
        SlotQuery(**{**base, **kw})


def test_on_grid_reads_the_wall_clock():
    q = query(AUTUMN, zone=KOLKATA, step=30)
    assert on_grid(q, at(AUTUMN, 9, 30, zone=KOLKATA))
    assert not on_grid(q, at(AUTUMN, 9, 15, zone=KOLKATA))
    berlin = query(AUTUMN)
    assert on_grid(berlin, at(AUTUMN, 2, 15, fold=1))  # the second 02:15 is on it too


def test_slot_is_a_frozen_value():
    slot = Slot(1, 2, ("a",))
    assert slot == Slot(1, 2, ("a",), ())
    with pytest.raises(AttributeError):
        slot.start = 3  # type: ignore[misc]
