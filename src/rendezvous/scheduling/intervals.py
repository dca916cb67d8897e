"""Half-open UTC intervals as ``(start, end)`` pairs of integer epoch seconds.

Every set operation here takes and returns *normalized* lists: sorted, disjoint and
non-adjacent, with no empty interval. That single shape lets each operation run as one
linear merge, and it makes equality of two normalized lists mean equality of the sets
of seconds they cover.

Integer seconds rather than datetimes because the slot engine compares and shifts
hundreds of thousands of endpoints per request; plain ints are several times cheaper
than aware datetimes and have no zone or fold to get wrong.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

Interval = tuple[int, int]

__all__ = [
    "Interval",
    "from_epoch",
    "intersect",
    "merge_sorted",
    "normalize",
    "subtract",
    "to_epoch",
    "union",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)


def normalize(intervals: Iterable[Interval]) -> list[Interval]:
    """Sort, drop empty intervals and merge the overlapping or touching ones."""
    # Sorting an already sorted list is linear (timsort finds the run), and most
    # callers hand us rows that come ordered from the database.
    return merge_sorted(sorted(intervals))


def merge_sorted(items: Iterable[Interval]) -> list[Interval]:
    """:func:`normalize` for intervals already sorted by start."""
    out: list[Interval] = []
    append = out.append
    it = iter(items)
    for cs, ce in it:
        if cs < ce:
            break
    else:
        return out
    for s, e in it:
        if s > ce:
            # An empty interval past the current one is skipped; one inside it
            # cannot extend it.
            if s < e:
                append((cs, ce))
                cs, ce = s, e
        elif e > ce:
            ce = e
    append((cs, ce))
    return out


def union(a: list[Interval], b: list[Interval]) -> list[Interval]:
    """Seconds covered by ``a`` or ``b``."""
    if not a:
        return list(b)
    if not b:
        return list(a)
    out: list[Interval] = []
    i = j = 0
    na, nb = len(a), len(b)
    # Take the interval with the smaller start from either list, then swallow
    # everything from both lists that overlaps or touches the growing interval.
    while i < na or j < nb:
        if j >= nb or (i < na and a[i][0] <= b[j][0]):
            cs, ce = a[i]
            i += 1
        else:
            cs, ce = b[j]
            j += 1
        while True:
            if i < na and a[i][0] <= ce:
                if a[i][1] > ce:
                    ce = a[i][1]
                i += 1
            elif j < nb and b[j][0] <= ce:
                if b[j][1] > ce:
                    ce = b[j][1]
                j += 1
            else:
                break
        out.append((cs, ce))
    return out


def intersect(a: list[Interval], b: list[Interval]) -> list[Interval]:
    """Seconds covered by both ``a`` and ``b``."""
    out: list[Interval] = []
    i = j = 0
    na, nb = len(a), len(b)
    while i < na and j < nb:
        as_, ae = a[i]
        bs, be = b[j]
        s = as_ if as_ > bs else bs
        if ae < be:
            if s < ae:
                out.append((s, ae))
            i += 1
        else:
            if s < be:
                out.append((s, be))
            j += 1
    # Pieces of two normalized lists cannot touch each other: a touch point would
    # have to be a gap in both inputs, so the result is already normalized.
    return out


def subtract(a: list[Interval], b: list[Interval]) -> list[Interval]:
    """Seconds covered by ``a`` but not by ``b``."""
    if not b:
        return list(a)
    out: list[Interval] = []
    j = 0
    nb = len(b)
    for s, e in a:
        while j < nb and b[j][1] <= s:
            j += 1
        k = j
        while s < e:
            if k >= nb:
                out.append((s, e))
                break
            bs, be = b[k]
            if bs >= e:
                out.append((s, e))
                break
            if bs > s:
                out.append((s, bs))
            s = be
            k += 1
        # ``b[k-1]`` may reach into the next interval of ``a``, so ``j`` is only
        # advanced by the skip loop above, never past an interval still in use.
    return out


def to_epoch(dt: datetime) -> int:
    """Whole UTC epoch seconds of an aware datetime (sub-second parts are floored)."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"naive datetime {dt.isoformat()!r}: the scheduling core needs aware ones")
    # Timedelta arithmetic instead of dt.timestamp() keeps it exact (no float).
    return (dt - _EPOCH) // _SECOND


def from_epoch(ts: int) -> datetime:
    """Aware UTC datetime for epoch seconds."""
    return _EPOCH + timedelta(seconds=ts)
