"""Idle memory of `rendezvous serve` (target: RSS <= 250 MB, bench/README.md).

Starts the real command on a fresh SQLite directory, makes a few requests so that the
booking site, the API and the admin are imported, waits, then reads the RSS from /proc.
"""

import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence

import httpx

TARGET_MB = 250.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv: Sequence[str] | None = None) -> int:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as var:
        env = os.environ | {"RENDEZVOUS_VAR_DIR": var, "DATABASE_URL": "", "REDIS_URL": ""}
        proc = subprocess.Popen(
            [sys.executable, "-m", "rendezvous.cli", "serve", "--demo", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    httpx.get(f"{base}/api/v1/companies/demo", timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.3)
            for path in ("/api/v1/companies/demo/services", "/en/demo/", "/admin/login/"):
                httpx.get(base + path, timeout=10)
            time.sleep(3)
            with open(f"/proc/{proc.pid}/status") as status:
                rss_kb = next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    rss_mb = rss_kb / 1024
    verdict = "met" if rss_mb <= TARGET_MB else "NOT met"
    print(f"rendezvous serve idle RSS: {rss_mb:.1f} MB  target <= {TARGET_MB:.0f} MB: {verdict}")
    print(
        f"machine: Python {platform.python_version()}, {platform.platform()}, {os.cpu_count()} CPUs"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
