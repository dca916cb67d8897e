"""`make bench`: every benchmark, one after the other; non-zero if any target or check fails.

`python -m bench --quick` runs fewer rounds (a smoke run, not for quoting).
"""

import sys

from bench import booking_storm, calendar_feed, serve_memory, slot_engine


def main(argv: list[str]) -> int:
    failed = 0
    benches = (
        ("slot engine", slot_engine),
        ("booking storm", booking_storm),
        ("calendar feed", calendar_feed),
        ("serve memory", serve_memory),
    )
    for name, module in benches:
        print(f"\n=== {name} ===", flush=True)
        failed |= module.main(argv) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
