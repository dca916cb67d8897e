"""The task queue's storage on a machine without Redis: huey's SQLite file, tuned.

huey leaves SQLite's `synchronous` at FULL, so with WAL every enqueue (three small
commits) waited for an fsync: over half a millisecond of every booking, paid inside
its write lock. NORMAL is the setting SQLite recommends with WAL: commits stop
syncing (checkpoints still do), the file cannot be corrupted by a crash, and a power
cut can lose the last tasks queued. Nothing depends on those: every task is a nudge
whose work a periodic sweep also finds (unsent outbox rows, meetings due a provider
call, due reminders).
"""

from huey import Huey
from huey.storage import SqliteStorage


class _Storage(SqliteStorage):
    def _create_connection(self):
        conn = super()._create_connection()
        conn.execute("pragma synchronous=NORMAL")
        return conn


class SqliteHuey(Huey):
    storage_class = _Storage
