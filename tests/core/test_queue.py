"""The SQLite task queue commits without waiting for fsync, and still queues."""

import pytest

from rendezvous.core.queue import SqliteHuey

pytestmark = pytest.mark.unit


def test_the_sqlite_queue_runs_wal_with_normal_sync_and_keeps_its_tasks(tmp_path):
    huey = SqliteHuey("test", filename=str(tmp_path / "huey.sqlite3"))
    conn = huey.storage.conn
    assert conn.execute("pragma journal_mode").fetchone()[0] == "wal"
    assert conn.execute("pragma synchronous").fetchone()[0] == 1  # NORMAL

    @huey.task()
    def add(a, b):
        return a + b

    add(2, 3)
    # Another connection (another process, as the worker) sees the queued task.
    again = SqliteHuey("test", filename=str(tmp_path / "huey.sqlite3"))
    assert again.pending_count() == 1
    assert huey.execute(huey.dequeue()) == 5
    assert again.pending_count() == 0
