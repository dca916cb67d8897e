"""Back-office calendar feed: ``python -m bench.calendar_feed [--quick]``.

Measures ``GET /api/v1/companies/{company}/manage/calendar`` against its target
(bench/README.md) on a real uvicorn over loopback, SQLite.

Data: 20 staff, one week (Monday to Sunday), 2,000 bookings in it (requests and
confirmed, 100 cancelled ones besides), a class session a day, time off and closed days.

| what | pass |
| --- | --- |
| 8 client threads, the answer cached (a back office polling an unchanged calendar) | p95 <= 50 ms (reported, not a failure) |
| 8 client threads, a write before every request (each answer computed) | reported against the same target |
| 8 client threads polling with the answer's ETag (304, no body) | none: what an unchanged open calendar costs |
| one client at a time, cached and computed | none: what one answer costs when nothing queues |
| the query count of a computed answer | the same for 1 staff x 1 day as for the full week |

Before timing, one answer is checked: 20 columns, every active booking of the week
(2,000), the sessions, time off and closed days. Like bench.booking_storm, the parent
prepares a fresh SQLite file under var/bench/ and runs one child process (``--child``)
that migrates, builds the data with the ORM, serves and measures, and hands its numbers
back as JSON. Exit status: non-zero when the check fails or the child fails; a missed
millisecond target is reported only (these machines are shared: times drift).
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from datetime import time as wall_time
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.booking_storm import BENCH_DIR, ROOT, Server, child_env, load, stats

SQLITE_FILE = BENCH_DIR / "feed.sqlite3"
ZONE = ZoneInfo("Europe/Berlin")
STAFF = 20
DAYS = 7
BOOKINGS = 2_000
CONCURRENCY = 8
TARGET_P95_MS = 50.0

FULL = {"gets": 240, "serial": 40}
QUICK = {"gets": 80, "serial": 15}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.calendar_feed",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="fewer requests")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args)

    started = time.perf_counter()
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{SQLITE_FILE}{suffix}").unlink(missing_ok=True)
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as tmp:
        out = Path(tmp.name)
    cmd = [sys.executable, "-m", "bench.calendar_feed", "--child", "--out", str(out)]
    cmd += ["--quick"] if args.quick else []
    env = child_env(f"sqlite:///{SQLITE_FILE}", "feed")
    try:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, timeout=900)
        if proc.returncode != 0 or not out.stat().st_size:
            print("calendar feed: the child process failed (see its output above)")
            return 1
        res = json.loads(out.read_text())
    except subprocess.TimeoutExpired:
        print("calendar feed: the child process did not finish in 15 minutes")
        return 1
    finally:
        out.unlink(missing_ok=True)

    print()
    print(f"data: {res['data']}")
    print(f"answer: {res['answer']}")
    print(f"queries per answer: {res['queries']}")
    for m in res["http"]:
        target = m["target_ms"]
        met = (
            ""
            if target is None
            else f"  target p95 <= {target:.0f} ms: {'met' if m['p95'] <= target else 'NOT met'}"
        )
        print(
            f"GET .../manage/calendar {m['what']:34} n={m['n']:<4} p50 {m['p50']:6.1f} ms  "
            f"p95 {m['p95']:6.1f} ms  max {m['max']:6.1f} ms  statuses {m['statuses']}{met}"
        )
    print(
        f"machine: Python {platform.python_version()} ({platform.python_implementation()}), "
        f"{platform.platform()}, {res['cpus']} CPUs; SQLite {res['sqlite']}"
    )
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    return 0 if res["ok"] else 1


# --- child: inside Django ----------------------------------------------------------------


def child(args: argparse.Namespace) -> int:
    import os

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    call_command("createcachetable", verbosity=0)
    sizes = QUICK if args.quick else FULL
    world = build()
    path = world["path"]
    headers = world["headers"]
    queries_small = count_queries(world, world["small_path"])
    queries_full = count_queries(world, path)
    gc.collect()
    gc.freeze()
    with Server(1, probe="/api/v1/companies/feed") as server:
        import httpx

        answer = httpx.get(server.base + path, headers=headers, timeout=30)
        problems = check(answer.status_code, answer.json() if answer.status_code == 200 else {})
        body = answer.json() if answer.status_code == 200 else {}
        kinds: dict[str, int] = {}
        for event in body.get("events", []):
            kinds[event["kind"]] = kinds.get(event["kind"], 0) + 1
        summary = (
            f"{len(body.get('resources', []))} columns, events {kinds}, "
            f"{len(body.get('hours', []))} hours, {len(answer.content) // 1024} KiB"
            + (f"; PROBLEMS: {problems}" if problems else "")
        )
        load(server.base, [("GET", path, None)] * 2 * CONCURRENCY, headers=headers)  # warm up
        gets = [("GET", path, None)] * sizes["gets"]
        serial = [("GET", path, None)] * sizes["serial"]
        http = []
        lat, st = load(server.base, gets, headers=headers)
        http.append(stats(f"conc. {CONCURRENCY}, answers cached", lat, st, TARGET_P95_MS))
        # A write before every request (one client's change of any booking moves the
        # company's availability version): every answer computed afresh.
        lat, st = load(server.base, gets, headers=headers, before=world["bump"])
        http.append(stats(f"conc. {CONCURRENCY}, every answer computed", lat, st, TARGET_P95_MS))
        # An open calendar polls with the answer's ETag (browsers send it back): 304.
        latest = httpx.get(server.base + path, headers=headers, timeout=30).headers
        polling = {**headers, "If-None-Match": latest.get("ETag", "")}
        lat, st = load(server.base, gets, headers=polling)
        http.append(stats(f"conc. {CONCURRENCY}, polls with the ETag (304)", lat, st, None))
        lat, st = load(server.base, serial, concurrency=1, headers=headers)
        http.append(stats("conc. 1, cached (cost)", lat, st, None))
        lat, st = load(server.base, serial, concurrency=1, headers=headers, before=world["bump"])
        http.append(stats("conc. 1, computed (cost)", lat, st, None))
    with connection.cursor() as cur:
        cur.execute("select sqlite_version()")
        version = cur.fetchone()[0]
    ok = not problems and queries_small == queries_full
    Path(args.out).write_text(
        json.dumps(
            {
                "data": world["data"],
                "answer": summary,
                "queries": f"{queries_small} for 1 staff x 1 day, {queries_full} for the full week",
                "http": http,
                "ok": ok,
                "sqlite": version,
                "cpus": os.cpu_count(),
            }
        )
    )
    return 0


def count_queries(world: dict, path: str) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    client.get(path, headers=world["headers"])  # the token's last use is written once
    world["bump"]()  # an answer computed, not one cached
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, headers=world["headers"])
    if response.status_code != 200:
        raise RuntimeError(f"{path}: {response.status_code} {response.content[:200]!r}")
    return len(queries)


def check(status: int, body: dict) -> list[str]:
    problems = []
    if status != 200:
        return [f"status {status}"]
    if len(body["resources"]) != STAFF:
        problems.append(f"{len(body['resources'])} columns")
    bookings = sum(1 for e in body["events"] if e["kind"] == "booking")
    if bookings != BOOKINGS:
        problems.append(f"{bookings} bookings")
    for kind in ("session", "time_off", "exception"):
        if not any(e["kind"] == kind for e in body["events"]):
            problems.append(f"no {kind}")
    return problems


def build() -> dict:
    """The company: 20 staff working 08:00-20:00 every day, 2,000 active bookings of 30
    or 60 minutes in one week, never overlapping per staff member."""
    from rendezvous.availability.models import DateException, ExceptionKind, TimeOff, WorkingHours
    from rendezvous.bookings.models import Booking, BookingStatus
    from rendezvous.catalog.models import ClassSession, Service, ServiceKind
    from rendezvous.companies.models import ApiToken, Company, Role, StaffMember

    rng = random.Random("rendezvous-bench-calendar-feed")
    today = datetime.now(ZONE).date()
    monday = today + timedelta(days=7 - today.weekday())
    company = Company.objects.create(
        slug="feed", name="Feed", timezone=ZONE.key, languages=["en"], currency="EUR"
    )
    staff = [
        StaffMember.objects.create(company=company, name=f"Staff {i + 1:02}") for i in range(STAFF)
    ]
    WorkingHours.objects.bulk_create(
        WorkingHours(staff=m, weekday=d, start=wall_time(8), end=wall_time(20))
        for m in staff
        for d in range(7)
    )
    services = [
        Service.objects.create(company=company, name=name, duration_minutes=minutes)
        for name, minutes in (("Cut", 30), ("Colour", 60), ("Consultation", 30))
    ]
    for svc in services:
        svc.staff.set(staff)
    yoga = Service.objects.create(
        company=company, name="Yoga", duration_minutes=60, kind=ServiceKind.CLASS
    )
    yoga.staff.set(staff[:1])

    # Each staff-day has 24 half hours (08:00-20:00); fill them in random order.
    cells = [(m, d, k) for m in range(STAFF) for d in range(DAYS) for k in range(24)]
    rng.shuffle(cells)
    used: set[tuple[int, int, int]] = set()
    rows = []

    def booking(member, start, minutes, status, service) -> Booking:
        end = start + timedelta(minutes=minutes)
        n = len(rows)
        return Booking(
            company=company,
            service=service,
            staff=member,
            first_name="Feed",
            last_name=f"Customer {n}",
            email=f"feed{n}@example.com",
            start=start,
            end=end,
            blocked_start=start,
            blocked_end=end,
            status=status,
            manage_token_hash=uuid.uuid4().hex,
        )

    for m, d, k in cells:
        if len(rows) == BOOKINGS:
            break
        if (m, d, k) in used or (m == 0 and k >= 20):  # staff 1 teaches 18:00-19:00
            continue
        long = k < 23 and (m, d, k + 1) not in used and rng.random() < 0.3
        used.update({(m, d, k), (m, d, k + 1)} if long else {(m, d, k)})
        start = datetime.combine(monday + timedelta(days=d), wall_time(8), ZONE) + timedelta(
            minutes=30 * k
        )
        status = BookingStatus.REQUESTED if rng.random() < 0.1 else BookingStatus.CONFIRMED
        rows.append(
            booking(staff[m], start, 60 if long else 30, status, services[1 if long else 0])
        )
    if len(rows) != BOOKINGS:
        raise RuntimeError(f"only {len(rows)} bookings fit")
    Booking.objects.bulk_create(rows)
    # Cancelled bookings are not shown, but the query passes over them.
    Booking.objects.bulk_create(
        booking(
            staff[i % STAFF],
            datetime.combine(monday, wall_time(7), ZONE),
            30,
            BookingStatus.CANCELLED,
            services[2],
        )
        for i in range(100)
    )
    for d in range(DAYS):
        start = datetime.combine(monday + timedelta(days=d), wall_time(18), ZONE)
        ClassSession.objects.create(
            company=company,
            service=yoga,
            staff=staff[0],
            start=start,
            end=start + timedelta(hours=1),
            capacity=12,
        )
    for m in staff[1:5]:
        start = datetime.combine(monday + timedelta(days=2), wall_time(12), ZONE)
        TimeOff.objects.create(
            staff=m, start=start, end=start + timedelta(hours=1), reason="Private"
        )
    for m in staff[5:7]:
        DateException.objects.create(
            staff=m, date=monday + timedelta(days=6), kind=ExceptionKind.CLOSED
        )
    _token, secret = ApiToken.issue(company=company, name="bench", role=Role.ADMIN)

    def bump() -> None:
        from django.db import connection

        from rendezvous.availability.cache import availability_changed

        availability_changed(company.pk)
        connection.close()  # each load thread has its own; none may outlive it

    last = monday + timedelta(days=DAYS - 1)
    return {
        "path": f"/api/v1/companies/feed/manage/calendar?from={monday}&to={last}",
        "small_path": (
            f"/api/v1/companies/feed/manage/calendar?from={monday}&to={monday}&staff={staff[1].id}"
        ),
        "headers": {"Authorization": f"Bearer {secret}"},
        "bump": bump,
        "data": (
            f"{STAFF} staff x {DAYS} days from {monday} ({date.isoformat(last)}), "
            f"{BOOKINGS} active bookings + 100 cancelled, {DAYS} class sessions, "
            "4 time off, 2 closed days"
        ),
    }


if __name__ == "__main__":
    sys.exit(main())
