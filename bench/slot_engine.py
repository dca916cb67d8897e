"""Slot-engine benchmark: ``PYTHONPATH=src python -m bench.slot_engine [--quick]``.

See bench/README.md for what is timed and how to read the table.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from datetime import time as wall_time

from bench.scenarios import NAMES, Member, Scenario, build
from rendezvous.scheduling import rules
from rendezvous.scheduling.intervals import Interval, normalize, to_epoch
from rendezvous.scheduling.rules import working_intervals
from rendezvous.scheduling.slots import Calendar, Slot, SlotQuery, find_slots

# Rounds per variant and scenario. The naive baseline would need well over a minute
# per S4 round, so it checks and times S4/100 (S4's first 100 staff members) instead.
ROUNDS = {
    "S1": {"engine": 300, "naive": 60},
    "S2": {"engine": 150, "naive": 20},
    "S3": {"engine": 100, "naive": 5, "engine+normalize": 50},
    "S4": {"engine": 21, "engine+normalize": 11},
    "S4/100": {"engine": 21, "naive": 1},
}
QUICK_ROUNDS = {
    "S1": {"engine": 10, "naive": 3},
    "S2": {"engine": 10, "naive": 2},
    "S3": {"engine": 10, "naive": 1, "engine+normalize": 5},
    "S4": {"engine": 3, "engine+normalize": 2},
    "S4/100": {"engine": 3, "naive": 1},
}

TARGETS_MS = {"S3": 5.0, "S4": 100.0}
S3_MIN_RATIO = 20.0
S4_PEAK_MB = 150.0


# --- the variants ---------------------------------------------------------------------


def _calendars(
    sc: Scenario, members: Sequence[Member], daily: bool, tidy: bool = False
) -> list[Calendar]:
    zone = sc.query.zone
    return [
        Calendar(
            id=m.id,
            available=working_intervals(m.hours, m.overrides, zone, sc.first_day, sc.last_day),
            # find_slots takes busy rows as they come; normalizing is optional extra work.
            busy=normalize(m.bookings + m.time_off) if tidy else m.bookings + m.time_off,
            per_day=m.per_day if daily else {},
        )
        for m in members
    ]


def run_engine(sc: Scenario) -> list[Slot]:
    """What the slots request does once the rows are loaded: rules -> calendars -> slots."""
    staff = _calendars(sc, sc.staff, True)
    resources = None if sc.resources is None else _calendars(sc, sc.resources, False)
    return find_slots(sc.query, staff, resources)


def run_engine_normalized(sc: Scenario) -> list[Slot]:
    """The same, with busy normalized first (as availability/domain did when written)."""
    staff = _calendars(sc, sc.staff, True, tidy=True)
    resources = None if sc.resources is None else _calendars(sc, sc.resources, False, True)
    return find_slots(sc.query, staff, resources)


def _naive_grid(q: SlotQuery) -> list[int]:
    """Every instant whose wall clock is a multiple of ``step``, tried day by day."""
    lo = max(q.window[0], q.not_before)
    hi = min(q.window[1], q.not_after + 1)
    day = datetime.fromtimestamp(lo, q.zone).date() - timedelta(days=1)
    last = datetime.fromtimestamp(hi - 1, q.zone).date() + timedelta(days=1)
    found = set()
    while day <= last:
        for sec in range(0, 86_400, q.step):
            wall = datetime.combine(day, wall_time(sec // 3600, sec // 60 % 60, sec % 60))
            for fold in (0, 1):
                t = to_epoch(wall.replace(tzinfo=q.zone, fold=fold))
                shown = datetime.fromtimestamp(t, q.zone).replace(tzinfo=None)
                if shown == wall and lo <= t < hi:
                    found.add(t)
        day += timedelta(days=1)
    return sorted(found)


def _naive_free(
    q: SlotQuery,
    available: list[Interval],
    busy: list[Interval],
    per_day: dict[date, int] | None,
    t: int,
    day: date,
) -> bool:
    end = t + q.duration
    if not any(a <= t and end <= b for a, b in available):
        return False
    lo, hi = t - q.buffer_before, end + q.buffer_after
    if any(p < hi and lo < e for p, e in busy):
        return False
    return per_day is None or q.max_per_day is None or per_day.get(day, 0) < q.max_per_day


def run_naive(sc: Scenario) -> list[Slot]:
    """Per grid start, per calendar: scan the lists. Same rule expansion as the engine."""
    q = sc.query
    zone = q.zone

    def load(members: Sequence[Member], daily: bool):
        return [
            (
                m.id,
                working_intervals(m.hours, m.overrides, zone, sc.first_day, sc.last_day),
                m.bookings + m.time_off,
                m.per_day if daily else None,
            )
            for m in members
        ]

    staff = load(sc.staff, True)
    resources = None if sc.resources is None else load(sc.resources, False)
    out = []
    for t in _naive_grid(q):
        day = datetime.fromtimestamp(t, zone).date()
        who = tuple(i for i, av, busy, pd in staff if _naive_free(q, av, busy, pd, t, day))
        if not who:
            continue
        what: tuple[str, ...] = ()
        if resources is not None:
            what = tuple(i for i, av, busy, pd in resources if _naive_free(q, av, busy, pd, t, day))
            if not what:
                continue
        out.append(Slot(t, t + q.duration, who, what))
    return out


VARIANTS: dict[str, Callable[[Scenario], list[Slot]]] = {
    "engine": run_engine,
    "naive": run_naive,
    "engine+normalize": run_engine_normalized,
}


# --- measuring -----------------------------------------------------------------------


def _cold() -> None:
    # Each round pays for its zone arithmetic, as a request for new dates would.
    rules._days.cache_clear()
    rules._wall_to_epoch.cache_clear()
    rules._day.cache_clear()
    gc.collect()


def _timed(fn: Callable[[Scenario], list[Slot]], sc: Scenario) -> tuple[float, list[Slot]]:
    _cold()
    t0 = time.perf_counter()
    result = fn(sc)
    return (time.perf_counter() - t0) * 1000, result


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def _first_difference(a: list[Slot], b: list[Slot]) -> str:
    for x, y in zip(a, b, strict=False):
        if x != y:
            return f"{x} != {y}"
    return f"{len(a)} slots against {len(b)}"


def measure(sc: Scenario, rounds: dict[str, int]) -> dict[str, list[float]] | None:
    """Check that every variant gives the engine's result, then time them alternately.

    Returns the times per variant in ms, or None when a variant disagrees.
    """
    times: dict[str, list[float]] = {name: [] for name in rounds}
    ms, reference = _timed(run_engine, sc)
    for name in rounds:
        if name == "engine":
            continue
        ms, result = _timed(VARIANTS[name], sc)
        if result != reference:
            print(
                f"{sc.name}: {name} differs from engine, not timed: "
                f"{_first_difference(reference, result)}"
            )
            return None
        if rounds[name] == 1:
            # Too slow to repeat (naive S4/100): its equality run is its one round.
            times[name].append(ms)
    order = list(rounds)
    for r in range(max(rounds.values())):
        # Alternate the order too, so neither variant always runs on a warmer machine.
        for name in order if r % 2 == 0 else order[::-1]:
            if len(times[name]) < rounds[name]:
                times[name].append(_timed(VARIANTS[name], sc)[0])
    return times


def s4_peak_mb(sc: Scenario) -> float:
    _cold()
    tracemalloc.start()
    try:
        result = run_engine(sc)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del result
    return peak / 2**20


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; 0 when every variant agreed (targets missed do not fail it)."""
    parser = argparse.ArgumentParser(prog="python -m bench.slot_engine", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="few rounds, for a smoke run")
    parser.add_argument(
        "--only", default=",".join(NAMES), help="comma-separated scenarios (default: all)"
    )
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = sorted(set(names) - set(NAMES))
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(unknown)}")
    plan = QUICK_ROUNDS if args.quick else ROUNDS
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    agreed = True
    rows: list[tuple[object, ...]] = []
    medians: dict[str, dict[str, float]] = {}
    slot_counts: dict[str, int] = {}
    for name in names:
        sc = build(name)
        print(f"{name}: {sc.description} ({sc.booking_count} staff bookings) ...", flush=True)
        times = measure(sc, plan[name])
        if times is None:
            agreed = False
            continue
        slot_counts[name] = len(run_engine(sc))
        med = medians[name] = {v: statistics.median(t) for v, t in times.items()}
        for v, t in times.items():
            ratio = f"{med[v] / med['engine']:.1f}x" if v != "engine" else ""
            rows.append(
                (name, v, len(t), f"{med[v]:.2f}", f"{_p95(t):.2f}", ratio, slot_counts[name])
            )
    header = ("scenario", "variant", "rounds", "median ms", "p95 ms", "/engine", "slots")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print()
    for r in [header, *rows]:
        print("  ".join(str(c).rjust(w) for c, w in zip(r, widths, strict=True)))
    print()
    print(
        f"machine: Python {platform.python_version()} ({platform.python_implementation()}), "
        f"{platform.platform()}, {os.cpu_count()} CPUs, "
        f"load average {load_before:.2f} before / {os.getloadavg()[0]:.2f} after"
    )
    peak = None
    if "S4" in medians:
        peak = s4_peak_mb(build("S4"))
        print(f"S4 engine tracemalloc peak: {peak:.1f} MB")
    print("\ntargets:")

    def verdict(label: str, met: bool) -> None:
        print(f"  {'met    ' if met else 'NOT met'}  {label}")

    if "S3" in medians:
        e, n = medians["S3"]["engine"], medians["S3"]["naive"]
        verdict(f"S3 engine median <= {TARGETS_MS['S3']:g} ms: {e:.2f} ms", e <= TARGETS_MS["S3"])
        verdict(f"S3 engine >= {S3_MIN_RATIO:g}x naive: {n / e:.1f}x", n / e >= S3_MIN_RATIO)
        verdict("S3 identical results (checked before timing)", True)
    if "S4" in medians:
        e = medians["S4"]["engine"]
        verdict(f"S4 engine median <= {TARGETS_MS['S4']:g} ms: {e:.2f} ms", e <= TARGETS_MS["S4"])
        assert peak is not None
        verdict(f"S4 tracemalloc peak <= {S4_PEAK_MB:g} MB: {peak:.1f} MB", peak <= S4_PEAK_MB)
    if not {"S3", "S4"} & medians.keys():
        print("  (measured on S3 and S4 only)")
    print(f"\nwall time {time.perf_counter() - started:.0f} s")
    return 0 if agreed else 1


if __name__ == "__main__":
    sys.exit(main())
