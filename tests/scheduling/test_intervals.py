from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rendezvous.scheduling.intervals import (
    from_epoch,
    intersect,
    merge_sorted,
    normalize,
    subtract,
    to_epoch,
    union,
)

pytestmark = pytest.mark.unit

# --- unit ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given_", "expected"),
    [
        ([], []),
        ([(5, 5), (7, 3)], []),
        ([(3, 5), (0, 1)], [(0, 1), (3, 5)]),
        ([(0, 2), (2, 4)], [(0, 4)]),  # touching merges
        ([(0, 5), (1, 2), (4, 9)], [(0, 9)]),
        ([(0, 2), (3, 3), (3, 4)], [(0, 2), (3, 4)]),  # empty one inside a gap
        ([(0, 10), (12, 12), (2, 3)], [(0, 10)]),
    ],
)
def test_normalize(given_, expected):
    assert normalize(given_) == expected


def test_normalize_accepts_any_iterable():
    assert normalize(iter([(4, 6), (1, 2)])) == [(1, 2), (4, 6)]


def test_merge_sorted_skips_leading_empties():
    assert merge_sorted([(1, 1), (2, 1), (3, 4), (4, 6)]) == [(3, 6)]


def test_union():
    assert union([(0, 2), (6, 8)], [(2, 3), (10, 11)]) == [(0, 3), (6, 8), (10, 11)]
    assert union([(0, 10)], [(2, 3), (9, 12)]) == [(0, 12)]
    assert union([], [(1, 2)]) == [(1, 2)]
    assert union([(1, 2)], []) == [(1, 2)]


def test_intersect():
    assert intersect([(0, 5), (8, 12)], [(3, 9), (11, 20)]) == [(3, 5), (8, 9), (11, 12)]
    assert intersect([(0, 5)], [(5, 9)]) == []
    assert intersect([], [(0, 1)]) == []


def test_subtract():
    assert subtract([(0, 10)], [(2, 3), (5, 7)]) == [(0, 2), (3, 5), (7, 10)]
    assert subtract([(0, 10), (20, 30)], [(5, 25)]) == [(0, 5), (25, 30)]
    assert subtract([(0, 10)], [(0, 10)]) == []
    assert subtract([(0, 10)], []) == [(0, 10)]
    # One interval of b reaching into two intervals of a.
    assert subtract([(0, 4), (6, 10)], [(3, 7)]) == [(0, 3), (7, 10)]


def test_to_epoch_rejects_naive():
    with pytest.raises(ValueError, match="naive"):
        to_epoch(datetime(2026, 1, 1, 9, 0))


def test_to_epoch_of_aware_datetimes():
    assert to_epoch(datetime(1970, 1, 1, tzinfo=UTC)) == 0
    berlin = datetime(2026, 3, 29, 3, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert to_epoch(berlin) == to_epoch(datetime(2026, 3, 29, 1, 0, tzinfo=UTC))
    fixed = datetime(2026, 1, 1, 9, 0, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    assert to_epoch(fixed) == to_epoch(datetime(2026, 1, 1, 3, 30, tzinfo=UTC))


def test_to_epoch_floors_fractions():
    assert to_epoch(datetime(1970, 1, 1, 0, 0, 1, 999_999, tzinfo=UTC)) == 1
    assert to_epoch(datetime(1969, 12, 31, 23, 59, 59, 500_000, tzinfo=UTC)) == -1


def test_from_epoch_is_aware_utc_and_round_trips():
    dt = from_epoch(1_790_000_000)
    assert dt.tzinfo is UTC
    assert to_epoch(dt) == 1_790_000_000
    assert from_epoch(0) == datetime(1970, 1, 1, tzinfo=UTC)


# --- properties against a set of seconds -----------------------------------------------

raw = st.lists(st.tuples(st.integers(0, 60), st.integers(0, 60)), max_size=8)
normalized = raw.map(normalize)


def seconds(intervals):
    out = set()
    for a, b in intervals:
        out.update(range(a, b))
    return out


def assert_normalized(intervals):
    assert all(a < b for a, b in intervals)
    assert all(x[1] < y[0] for x, y in zip(intervals, intervals[1:], strict=False))


@settings(max_examples=300, deadline=None)
@given(raw)
def test_normalize_keeps_the_seconds(intervals):
    result = normalize(intervals)
    assert_normalized(result)
    assert seconds(result) == seconds(intervals)


@settings(max_examples=300, deadline=None)
@given(normalized, normalized)
def test_set_operations_match_sets_of_seconds(a, b):
    for op, expected in (
        (union, seconds(a) | seconds(b)),
        (intersect, seconds(a) & seconds(b)),
        (subtract, seconds(a) - seconds(b)),
    ):
        result = op(a, b)
        assert_normalized(result)
        assert seconds(result) == expected, op.__name__
