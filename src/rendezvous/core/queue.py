"""The task queue's storage on a machine without Redis: huey's SQLite file, tuned.

huey leaves SQLite's `synchronous` at FULL, so with WAL every enqueue (three small
commits) waited for an fsync: over half a millisecond of every booking, paid inside
its write lock. NORMAL is the setting SQLite recommends with WAL: commits stop
syncing (checkpoints still do), the file cannot be corrupted by a crash, and a power
cut can lose the last tasks queued. Nothing depends on those: every task is a nudge
whose work a periodic sweep also finds (unsent outbox rows, meetings due a provider
call, due reminders).
"""

import hashlib
from collections.abc import Mapping

from huey import Huey
from huey.storage import SqliteStorage


class _Storage(SqliteStorage):
    def _create_connection(self):
        conn = super()._create_connection()
        conn.execute("pragma synchronous=NORMAL")
        return conn


class SqliteHuey(Huey):
    storage_class = _Storage


def queue_id(database: Mapping[str, object]) -> str:
    """A short name for the queue of this database (settings.DATABASES entry).

    Two installations on one machine with different databases would otherwise share
    one queue file (or, on one Redis, one queue name), each worker taking the other's
    tasks and running them against its own data. The same database always finds the
    same queue again.
    """
    where = "|".join(str(database.get(k) or "") for k in ("ENGINE", "HOST", "PORT", "NAME"))
    return hashlib.sha256(where.encode()).hexdigest()[:12]
