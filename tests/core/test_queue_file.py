"""The task queue follows the database: one machine, two databases, two queues."""

import json
import os
import subprocess
import sys

import pytest

from tests.processes import process_env

pytestmark = pytest.mark.integration


def queue_settings(tmp_path, **env) -> dict:
    """HUEY of rendezvous.settings imported in a new process."""
    code = "import json; from rendezvous import settings; print(json.dumps(settings.HUEY))"
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=process_env(tmp_path, **env),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("sqlite:///{tmp}/one.sqlite3", "sqlite:///{tmp}/two.sqlite3"),
        ("postgres://postgres@127.0.0.1:5432/one", "postgres://postgres@127.0.0.1:5432/two"),
        ("postgres://postgres@db1:5432/rdv", "postgres://postgres@db2:5432/rdv"),
        ("", "postgres://postgres@127.0.0.1:5432/rdv"),
    ],
)
def test_two_databases_on_one_machine_get_two_queue_files(tmp_path, first, second):
    one = queue_settings(tmp_path, DATABASE_URL=first.format(tmp=tmp_path))
    two = queue_settings(tmp_path, DATABASE_URL=second.format(tmp=tmp_path))
    assert one["filename"] != two["filename"]
    assert os.path.dirname(one["filename"]) == str(tmp_path)
    assert one["name"] != two["name"]


def test_the_same_database_finds_its_queue_again(tmp_path):
    url = "postgres://postgres@127.0.0.1:5432/rdv"
    assert queue_settings(tmp_path, DATABASE_URL=url) == queue_settings(tmp_path, DATABASE_URL=url)


def test_two_databases_on_one_redis_get_two_queue_names(tmp_path):
    redis = "redis://127.0.0.1:6379/0"
    one = queue_settings(tmp_path, REDIS_URL=redis, DATABASE_URL="postgres://h/one")
    two = queue_settings(tmp_path, REDIS_URL=redis, DATABASE_URL="postgres://h/two")
    assert one["name"] != two["name"]
