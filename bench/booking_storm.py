"""Booking storm: ``python -m bench.booking_storm [--quick] [--db sqlite|postgres|all]``.

Proves invariant 1 (no double booking) under real concurrency and measures the booking
and slots endpoints against the targets of bench/README.md.

| part | what | pass |
| --- | --- | --- |
| storm, `domain` | 50 threads (own connections, released by one Barrier) call booking_create for one named staff member and one start; a fresh slot each round | exactly 1 success and 49 `slot_unavailable` per round |
| storm, `naive` | the same 50 threads read "is it free?" with a plain query, sleep 2 ms, then Booking.objects.create: no transaction, no lock | none: it shows the harness sees the race (double bookings on SQLite; on PostgreSQL the exclusion constraint turns them into IntegrityErrors) |
| class, `domain` | 2 x capacity threads reserve a seat in a fresh session of capacity 10 | exactly `capacity` successes |
| class, `naive` | count seats, sleep, insert | none: seats are not guarded by a constraint, so it oversells on both |
| POST .../bookings | a real uvicorn on loopback, 8 client threads, each request a distinct free slot | p95 <= 100 ms (SQLite) |
| GET .../slots | 5-staff salon, 30 days, 8 client threads | p95 <= 50 ms (SQLite) |

Django reads DATABASE_URL when its settings are imported, so ``main()`` prepares a fresh
database per engine (an SQLite file under var/bench/, a PostgreSQL database
``rendezvous_bench`` dropped and created with psycopg when the server answers) and runs
one child process per engine (``--child``), which migrates, builds its data, runs the
storms and the HTTP measurements, and hands its numbers back as JSON. Variants alternate
round by round. The exit status is non-zero when a `domain` variant ever gives anything
but its exact count (1 per slot, `capacity` per class), or a child fails.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from datetime import time as wall_time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
SQLITE_FILE = BENCH_DIR / "storm.sqlite3"
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_DB = "rendezvous_bench"
ZONE = ZoneInfo("Europe/Berlin")

CLIENTS = 50
CAPACITY = 10
HTTP_CONCURRENCY = 8
TARGET_POST_P95_MS = 100.0
TARGET_SLOTS_P95_MS = 50.0
NAIVE_SLEEP_S = 0.002

FULL = {"rounds": 5, "posts": 240, "gets": 160, "serial": 30}
QUICK = {"rounds": 3, "posts": 120, "gets": 96, "serial": 20}

OK = "ok"


# --- parent: prepare databases, run children, print the table ---------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.booking_storm",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="fewer rounds and requests")
    parser.add_argument("--db", choices=["sqlite", "postgres", "all"], default="all")
    parser.add_argument(
        "--http-db",
        choices=["sqlite", "all", "none"],
        default=None,
        help="where to measure the HTTP endpoints (default: sqlite with --quick, "
        "else all; the targets are for SQLite)",
    )
    parser.add_argument("--server-workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--http", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args)

    http_db = args.http_db or ("sqlite" if args.quick else "all")
    engines = ["sqlite", "postgres"] if args.db == "all" else [args.db]
    started = time.perf_counter()
    results: list[dict] = []
    notes: list[str] = []
    failed = False
    for engine in engines:
        url = prepare(engine, notes)
        if url is None:
            continue
        http = http_db == "all" or http_db == engine
        print(f"== {engine}: storms{' + HTTP' if http else ''} ...", file=sys.stderr, flush=True)
        res = run_child(engine, url, quick=args.quick, http=http, workers=args.server_workers)
        if res is None:
            notes.append(f"{engine}: the child process failed (see its output above)")
            failed = True
            continue
        results.append(res)
    failed |= report(results, notes)
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    return 1 if failed else 0


def prepare(engine: str, notes: list[str]) -> str | None:
    """A fresh, empty database for `engine`; its URL, or None when it cannot be had."""
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    if engine == "sqlite":
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{SQLITE_FILE}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{SQLITE_FILE}"
    try:
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=3) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {PG_DB}")
    except Exception as exc:  # unreachable server, missing driver: skip, say so
        notes.append(f"postgres: skipped, {PG_SERVER} not usable ({type(exc).__name__}: {exc})")
        return None
    return f"{PG_SERVER}/{PG_DB}"


def child_env(url: str, engine: str) -> dict[str, str]:
    var_dir = BENCH_DIR / engine  # huey file, static root: nothing shared with a dev server
    var_dir.mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "rendezvous.settings",
        "RENDEZVOUS_VAR_DIR": str(var_dir),
        "RENDEZVOUS_BOOKING_RATE_LIMIT": "off",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": os.pathsep.join(
            p for p in (str(ROOT / "src"), str(ROOT), os.environ.get("PYTHONPATH", "")) if p
        ),
    }


def run_child(engine: str, url: str, *, quick: bool, http: bool, workers: int) -> dict | None:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as tmp:
        out = Path(tmp.name)
    cmd = [
        sys.executable,
        "-m",
        "bench.booking_storm",
        "--child",
        "--db",
        engine,
        "--out",
        str(out),
        "--server-workers",
        str(workers),
    ]
    cmd += ["--quick"] if quick else []
    cmd += ["--http"] if http else []
    try:
        proc = subprocess.run(cmd, cwd=ROOT, env=child_env(url, engine), timeout=600)
        if proc.returncode != 0 or not out.stat().st_size:
            return None
        return json.loads(out.read_text())
    except subprocess.TimeoutExpired:
        return None
    finally:
        out.unlink(missing_ok=True)


def report(results: list[dict], notes: list[str]) -> bool:
    """Print the tables; True when an invariant was broken."""
    broken = False
    header = (
        "database",
        "variant",
        "rounds",
        "successes per round",
        "double bookings",
        "integrity errors",
        "other errors",
        "median ms/round",
        "verdict",
    )
    rows = []
    for res in results:
        for v in res["storms"]:
            expected = v["expected"]
            verdict = "-"
            if expected is not None:
                good = all(r["successes"] == expected and r["clean"] for r in v["rounds"])
                verdict = "ok" if good else "BROKEN"
                broken |= not good
            rows.append(
                (
                    res["engine"],
                    v["variant"],
                    len(v["rounds"]),
                    ",".join(str(r["successes"]) for r in v["rounds"]),
                    sum(r["double"] for r in v["rounds"]),
                    sum(r["integrity"] for r in v["rounds"]),
                    sum(r["other"] for r in v["rounds"]),
                    f"{statistics.median(r['ms'] for r in v['rounds']):.0f}",
                    verdict,
                )
            )
    print()
    print_table(header, rows)
    for res in results:
        for v in res["storms"]:
            odd = Counter()
            for r in v["rounds"]:
                odd.update({k: n for k, n in r["outcomes"].items() if k.startswith("!")})
            for what, n in odd.most_common(3):
                print(f"  {res['engine']} {v['variant']}: {n} x {what[:160]}")
    print()
    for res in results:
        for m in res.get("http", []):
            target = m["target_ms"] if res["engine"] == "sqlite" else None  # SQLite targets
            met = (
                ""
                if target is None
                else (
                    f"  target p95 <= {target:.0f} ms: {'met' if m['p95'] <= target else 'NOT met'}"
                )
            )
            print(
                f"{res['engine']:8} {m['what']:46} n={m['n']:<4} p50 {m['p50']:6.1f} ms  "
                f"p95 {m['p95']:6.1f} ms  max {m['max']:6.1f} ms  statuses {m['statuses']}{met}"
            )
    for res in results:
        if res.get("http_error"):
            broken = True
            print(f"{res['engine']:8} HTTP measurement failed: {res['http_error']}")
    for note in notes:
        print(f"note: {note}")
    versions = "; ".join(f"{r['engine']} {r['server_version']}" for r in results)
    print(
        f"machine: Python {platform.python_version()} ({platform.python_implementation()}), "
        f"{platform.platform()}, {os.cpu_count()} CPUs; {versions}"
    )
    return broken


def print_table(header: Sequence[str], rows: Sequence[Sequence]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())


# --- child: one engine, inside Django --------------------------------------------------


def child(args: argparse.Namespace) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    call_command("createcachetable", verbosity=0)
    sizes = QUICK if args.quick else FULL
    world = World.build()
    storms = run_storms(world, sizes["rounds"])
    http, http_error = [], None
    if args.http:
        try:
            http = measure_http(world, sizes, args.server_workers)
        except Exception as exc:  # the storms still count; the parent reports and fails
            http_error = f"{type(exc).__name__}: {exc}"
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("select sqlite_version()")
            version = f"SQLite {cur.fetchone()[0]}"
        else:
            cur.execute("show server_version")
            version = f"PostgreSQL {cur.fetchone()[0].split()[0]}"
    Path(args.out).write_text(
        json.dumps(
            {
                "engine": args.db,
                "server_version": version,
                "storms": storms,
                "http": http,
                "http_error": http_error,
            }
        )
    )
    return 0


class World:
    """The companies the bench books into, built with the ORM on a fresh database."""

    def __init__(self) -> None:
        from django.utils import timezone

        self.now = timezone.now()
        self.first_day = self.now.astimezone(ZONE).date() + timedelta(days=1)

    @classmethod
    def build(cls) -> World:
        from rendezvous.catalog.models import ServiceKind

        w = cls()
        w.storm = company("storm")
        w.storm_staff = staff(w.storm, "Storm", (wall_time(8), wall_time(20)))[0]
        w.storm_service = service(w.storm, "Storm cut", 30, [w.storm_staff])
        w.naive_service = service(w.storm, "Naive cut", 30, [w.storm_staff])
        w.yoga = service(w.storm, "Storm yoga", 60, [w.storm_staff], kind=ServiceKind.CLASS)
        # Slots for the storms: 08:00..19:30 every 30 min, day after day; one per round.
        w._slots = (
            datetime.combine(w.first_day + timedelta(days=d), wall_time(8), ZONE)
            + timedelta(minutes=30 * k)
            for d in range(60)
            for k in range(24)
        )
        w._session_day = 0

        # The salon of the slots target: 5 staff, 09:00-18:00 Monday to Saturday, 30 days
        # with some bookings already made.
        w.salon = company("salon")
        w.salon_staff = staff(w.salon, "Salon", (wall_time(9), wall_time(18)), n=5, days=range(6))
        w.cut = service(w.salon, "Cut", 30, w.salon_staff)
        w.color = service(w.salon, "Colour", 90, w.salon_staff, buffer_after=15)
        w._prebook_salon(per_staff_day=3)

        # Many staff working long days, so that every POST gets a distinct free slot.
        w.post = company("post")
        w.post_staff = staff(w.post, "Desk", (wall_time(7), wall_time(21)), n=20)
        w.post_service = service(w.post, "Visit", 30, w.post_staff)
        return w

    def next_slot(self) -> datetime:
        return next(self._slots)

    def next_session(self):
        from rendezvous.catalog.models import ClassSession

        self._session_day += 1
        start = datetime.combine(
            self.first_day + timedelta(days=self._session_day), wall_time(21), ZONE
        )
        return ClassSession.objects.create(
            company=self.storm,
            service=self.yoga,
            staff=self.storm_staff,
            start=start,
            end=start + timedelta(hours=1),
            capacity=CAPACITY,
        )

    def _prebook_salon(self, per_staff_day: int) -> None:
        from rendezvous.bookings import domain
        from rendezvous.core.errors import DomainError

        rng = random.Random(20261201)
        for d in range(30):
            day = self.first_day + timedelta(days=d)
            if day.weekday() == 6:
                continue
            for member in self.salon_staff:
                for _ in range(per_staff_day):
                    start = datetime.combine(day, wall_time(9), ZONE) + timedelta(
                        minutes=15 * rng.randrange(0, 32)
                    )
                    # A start taken by an earlier pick is refused: the day is busy enough.
                    with contextlib.suppress(DomainError):
                        domain.booking_create(
                            company=self.salon,
                            service=rng.choice([self.cut, self.color]),
                            start=start,
                            details=details("pre"),
                            staff_id=member.id,
                            now=self.now,
                        )


def company(slug: str):
    from rendezvous.companies.models import Company

    return Company.objects.create(
        slug=slug,
        name=slug.title(),
        timezone=ZONE.key,
        languages=["en"],
        currency="EUR",
        min_notice_minutes=60,
        max_days_ahead=90,
        slot_step_minutes=15,
    )


def staff(
    comp, prefix: str, hours: tuple[wall_time, wall_time], n: int = 1, days: range = range(7)
) -> list:
    from rendezvous.availability.models import WorkingHours
    from rendezvous.companies.models import StaffMember

    members = [StaffMember.objects.create(company=comp, name=f"{prefix} {i + 1}") for i in range(n)]
    WorkingHours.objects.bulk_create(
        WorkingHours(staff=m, weekday=d, start=hours[0], end=hours[1])
        for m in members
        for d in days
    )
    return members


def service(comp, name: str, minutes: int, members: list, *, kind=None, buffer_after: int = 0):
    from rendezvous.catalog.models import Service, ServiceKind

    svc = Service.objects.create(
        company=comp,
        name=name,
        duration_minutes=minutes,
        kind=kind or ServiceKind.APPOINTMENT,
        buffer_after_minutes=buffer_after,
    )
    svc.staff.set(members)
    return svc


def details(tag: str):
    from rendezvous.bookings.domain import CustomerDetails

    return CustomerDetails("Storm", f"Client {tag}", f"storm-{tag}@example.com")


# --- the storms ------------------------------------------------------------------------


def storm(calls: list[Callable[[], object]]) -> tuple[list[str], float]:
    """Run every call in its own thread (own connection), released together by a Barrier.

    Returns what each call answered ("ok", a DomainError code, "integrity_error", or
    "!Exception: message" for anything unexpected) and the wall time from release to the
    last answer, in ms.
    """
    from django.db import IntegrityError, connection

    from rendezvous.core.errors import DomainError

    released: list[float] = []
    barrier = threading.Barrier(len(calls), action=lambda: released.append(time.perf_counter()))
    answers: list[str] = [""] * len(calls)
    finished: list[float] = [0.0] * len(calls)

    def run(i: int) -> None:
        try:
            connection.ensure_connection()
            barrier.wait(timeout=60)
            try:
                calls[i]()
                answers[i] = OK
            except DomainError as exc:
                answers[i] = exc.code
            except IntegrityError:
                answers[i] = "integrity_error"
            except Exception as exc:  # reported in the table, never retried
                answers[i] = f"!{type(exc).__name__}: {exc}"
            finished[i] = time.perf_counter()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers, (max(finished) - released[0]) * 1000 if released else float("nan")


def domain_slot_call(world: World, start: datetime, i: int) -> Callable[[], object]:
    from rendezvous.bookings import domain

    return lambda: domain.booking_create(
        company=world.storm,
        service=world.storm_service,
        start=start,
        details=details(f"d{uuid.uuid4().hex[:8]}-{i}"),
        staff_id=world.storm_staff.id,
        now=world.now,
    )


def naive_slot_call(world: World, start: datetime, i: int) -> Callable[[], object]:
    """Check, then insert, with no transaction and no lock: the bug the domain prevents."""
    from rendezvous.bookings.models import ACTIVE_STATUSES, Booking, BookingStatus
    from rendezvous.core.errors import SlotUnavailable

    end = start + timedelta(minutes=30)

    def call() -> None:
        taken = Booking.objects.filter(
            staff=world.storm_staff,
            status__in=ACTIVE_STATUSES,
            session__isnull=True,
            blocked_start__lt=end,
            blocked_end__gt=start,
        ).exists()
        if taken:
            raise SlotUnavailable()
        time.sleep(NAIVE_SLEEP_S)
        Booking.objects.create(
            company=world.storm,
            service=world.naive_service,
            staff=world.storm_staff,
            first_name="Naive",
            last_name=f"Client {i}",
            email=f"naive{i}@example.com",
            start=start,
            end=end,
            blocked_start=start,
            blocked_end=end,
            status=BookingStatus.CONFIRMED,
            manage_token_hash=uuid.uuid4().hex,
        )

    return call


def domain_seat_call(world: World, session, i: int) -> Callable[[], object]:
    from rendezvous.bookings import domain

    return lambda: domain.booking_create(
        company=world.storm,
        service=world.yoga,
        start=None,
        session_id=session.id,
        details=details(f"s{uuid.uuid4().hex[:8]}-{i}"),
        now=world.now,
    )


def naive_seat_call(world: World, session, i: int) -> Callable[[], object]:
    from django.db.models import Sum

    from rendezvous.bookings.models import ACTIVE_STATUSES, Booking, BookingStatus
    from rendezvous.core.errors import ClassFull

    def call() -> None:
        taken = (
            Booking.objects.filter(session=session, status__in=ACTIVE_STATUSES).aggregate(
                n=Sum("participants")
            )["n"]
            or 0
        )
        if taken + 1 > session.capacity:
            raise ClassFull()
        time.sleep(NAIVE_SLEEP_S)
        Booking.objects.create(
            company=world.storm,
            service=world.yoga,
            staff=world.storm_staff,
            session=session,
            first_name="Naive",
            last_name=f"Seat {i}",
            email=f"naive-seat{i}@example.com",
            start=session.start,
            end=session.end,
            blocked_start=session.start,
            blocked_end=session.end,
            status=BookingStatus.CONFIRMED,
            manage_token_hash=uuid.uuid4().hex,
        )

    return call


def slot_round(world: World, make: Callable, expected_loss: str) -> dict:
    from rendezvous.bookings.models import ACTIVE_STATUSES, Booking

    start = world.next_slot()
    answers, ms = storm([make(world, start, i) for i in range(CLIENTS)])
    end = start + timedelta(minutes=30)
    active = Booking.objects.filter(
        staff=world.storm_staff,
        status__in=ACTIVE_STATUSES,
        session__isnull=True,
        blocked_start__lt=end,
        blocked_end__gt=start,
    ).count()
    return summarize(
        answers,
        ms,
        double=max(0, active - 1),
        expected_loss=expected_loss,
        expected_wins=1,
        rows=active,
    )


def seat_round(world: World, make: Callable, expected_loss: str) -> dict:
    from django.db.models import Sum

    from rendezvous.bookings.models import ACTIVE_STATUSES, Booking

    session = world.next_session()
    answers, ms = storm([make(world, session, i) for i in range(2 * CAPACITY)])
    seats = (
        Booking.objects.filter(session=session, status__in=ACTIVE_STATUSES).aggregate(
            n=Sum("participants")
        )["n"]
        or 0
    )
    return summarize(
        answers,
        ms,
        double=max(0, seats - CAPACITY),
        expected_loss=expected_loss,
        expected_wins=CAPACITY,
        rows=seats,
    )


def summarize(
    answers: list[str], ms: float, *, double: int, expected_loss: str, expected_wins: int, rows: int
) -> dict:
    counts = Counter(answers)
    successes = counts[OK]
    return {
        "successes": successes,
        "double": double,
        "integrity": counts["integrity_error"],
        "other": sum(n for k, n in counts.items() if k.startswith("!")),
        "outcomes": dict(counts),
        "ms": ms,
        # Exactly the expected winners, every loser refused cleanly, the rows agree.
        "clean": successes == expected_wins == rows
        and counts[expected_loss] == len(answers) - expected_wins,
    }


def run_storms(world: World, rounds: int) -> list[dict]:
    variants = {
        "domain": (slot_round, domain_slot_call, "slot_unavailable", 1),
        "naive": (slot_round, naive_slot_call, "slot_unavailable", None),
        "class domain": (seat_round, domain_seat_call, "class_full", CAPACITY),
        "class naive": (seat_round, naive_seat_call, "class_full", None),
    }
    done: dict[str, list[dict]] = {name: [] for name in variants}
    for r in range(rounds):
        # Alternate the order round by round so that no variant always runs on a cold cache.
        order = list(variants) if r % 2 == 0 else list(reversed(variants))
        for name in order:
            kind, make, loss, _expected = variants[name]
            done[name].append(kind(world, make, loss))
        print(
            f"   round {r + 1}/{rounds}: "
            + ", ".join(f"{n} {done[n][-1]['successes']}" for n in variants),
            file=sys.stderr,
            flush=True,
        )
    return [
        {"variant": name, "expected": variants[name][3], "rounds": done[name]} for name in variants
    ]


# --- HTTP latency against a real server ------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """uvicorn serving rendezvous.asgi on a free loopback port, with this process's env."""

    def __init__(self, workers: int, probe: str = "/api/v1/companies/salon") -> None:
        self.probe = probe
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "rendezvous.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            cwd=ROOT,
            env=os.environ.copy(),
        )

    def __enter__(self) -> Server:
        import httpx

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"uvicorn exited with {self.proc.returncode}")
            try:
                if httpx.get(f"{self.base}{self.probe}", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.__exit__()
        raise RuntimeError("uvicorn did not answer within 30 s")

    def __exit__(self, *exc) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def load(
    base: str,
    requests: list[tuple[str, str, dict | None]],
    concurrency: int = HTTP_CONCURRENCY,
    headers: dict[str, str] | None = None,
    before: Callable[[], object] | None = None,
) -> tuple[list[float], Counter]:
    """Send the requests from `concurrency` threads (one keep-alive client each);
    `before`, untimed, runs ahead of each request in its thread."""
    import httpx

    todo = iter(enumerate(requests))
    lock = threading.Lock()
    latencies: list[float] = [0.0] * len(requests)
    statuses: Counter = Counter()

    def worker() -> None:
        with httpx.Client(base_url=base, timeout=30, headers=headers) as client:
            while True:
                with lock:
                    item = next(todo, None)
                if item is None:
                    return
                i, (method, path, body) = item
                if before is not None:
                    before()
                t = time.perf_counter()
                resp = client.request(method, path, json=body)
                latencies[i] = (time.perf_counter() - t) * 1000
                with lock:
                    statuses[resp.status_code] += 1

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, statuses


def post_requests(world: World, n: int, first_day: date) -> list[tuple[str, str, dict]]:
    """n bookings on distinct (staff, start) pairs, shuffled so that threads mix staff."""
    starts = (
        (
            member,
            datetime.combine(first_day + timedelta(days=d), wall_time(7), ZONE)
            + timedelta(hours=h),
        )
        for d in range(60)
        for h in range(14)
        for member in world.post_staff
    )
    reqs = []
    for i, (member, start) in zip(range(n), starts, strict=False):
        reqs.append(
            (
                "POST",
                "/api/v1/companies/post/bookings",
                {
                    "service": str(world.post_service.id),
                    "start": start.isoformat(),
                    "staff": str(member.id),
                    "customer": {
                        "first_name": "Http",
                        "last_name": f"Client {i}",
                        "email": f"http{i}@example.com",
                    },
                },
            )
        )
    random.Random(n).shuffle(reqs)
    return reqs


def stats(what: str, latencies: list[float], statuses: Counter, target: float | None) -> dict:
    q = statistics.quantiles(latencies, n=100)
    return {
        "what": what,
        "n": len(latencies),
        "p50": statistics.median(latencies),
        "p95": q[94],
        "max": max(latencies),
        "statuses": dict(sorted(statuses.items())),
        "target_ms": target,
    }


def measure_http(world: World, sizes: dict, workers: int) -> list[dict]:
    slots_path = (
        f"/api/v1/companies/salon/slots?service={world.cut.id}"
        f"&from={world.first_day}&to={world.first_day + timedelta(days=29)}"
    )
    results = []
    # The latencies are taken in this process: a full collection here (it holds the
    # storms' leftovers) would stall all eight client threads mid-request and show as
    # a server tail of 100-250 ms. Keep what exists now out of the collector's way.
    gc.collect()
    gc.freeze()
    with Server(workers) as server:
        import httpx

        offered = httpx.get(server.base + slots_path, timeout=30).json().get("slots", [])
        if not offered:
            raise RuntimeError("the salon offers no slots: the measurement would mean nothing")
        # Warm up (imports, caches, connections), then measure; warm-up bookings use days
        # the measured requests do not.
        warm_posts = post_requests(
            world, 2 * HTTP_CONCURRENCY, world.first_day + timedelta(days=59)
        )
        load(server.base, [("GET", slots_path, None)] * 2 * HTTP_CONCURRENCY + warm_posts)

        posts = post_requests(world, sizes["posts"] + sizes["serial"], world.first_day)
        lat, st = load(server.base, posts[: sizes["posts"]])
        results.append(
            stats(f"POST .../bookings, concurrency {HTTP_CONCURRENCY}", lat, st, TARGET_POST_P95_MS)
        )
        lat, st = load(server.base, [("GET", slots_path, None)] * sizes["gets"])
        results.append(
            stats(
                f"GET .../slots 5 staff x 30 days, conc. {HTTP_CONCURRENCY}",
                lat,
                st,
                TARGET_SLOTS_P95_MS,
            )
        )
        # One client at a time: what a request costs when nothing queues (no target).
        lat, st = load(server.base, posts[sizes["posts"] :], concurrency=1)
        results.append(stats("POST .../bookings, concurrency 1 (cost)", lat, st, None))
        lat, st = load(server.base, [("GET", slots_path, None)] * sizes["serial"], concurrency=1)
        results.append(stats("GET .../slots, concurrency 1 (cost)", lat, st, None))
    return results


if __name__ == "__main__":
    sys.exit(main())
