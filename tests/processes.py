"""The environment of a test's new process (a server, a command, a settings probe)."""

import os
from pathlib import Path

import rendezvous

# This checkout's code, whichever one the environment has installed.
SOURCE = str(Path(rendezvous.__file__).resolve().parents[1])


def process_env(var_dir, *, drop: tuple[str, ...] = (), **env: str) -> dict[str, str]:
    """This process's environment for a new one on this checkout's code, with its own
    data directory, SQLite and no Redis; `drop` leaves inherited variables out and `env`
    sets more."""
    base = {name: value for name, value in os.environ.items() if name not in drop}
    own = {"RENDEZVOUS_VAR_DIR": str(var_dir), "DATABASE_URL": "", "REDIS_URL": ""}
    return base | own | {"PYTHONPATH": SOURCE} | env
