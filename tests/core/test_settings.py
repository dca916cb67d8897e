"""Settings read from the environment, as a fresh process reads them."""

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration


def database_settings(tmp_path, **env) -> dict:
    """DATABASES["default"] of rendezvous.settings imported in a new process."""
    code = (
        "import json; from rendezvous import settings; "
        "print(json.dumps(settings.DATABASES['default'], default=str))"
    )
    environ = os.environ | {"RENDEZVOUS_VAR_DIR": str(tmp_path), "DATABASE_URL": ""} | env
    out = subprocess.run(
        [sys.executable, "-c", code], env=environ, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def test_connections_persist_and_are_checked_by_default(tmp_path):
    db = database_settings(tmp_path)
    assert db["CONN_MAX_AGE"] == 600
    assert db["CONN_HEALTH_CHECKS"] is True
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


@pytest.mark.parametrize(("value", "expected"), [("0", 0), ("30", 30)])
def test_connection_age_comes_from_the_environment(tmp_path, value, expected):
    assert database_settings(tmp_path, RENDEZVOUS_DB_CONN_MAX_AGE=value)["CONN_MAX_AGE"] == expected


@pytest.mark.parametrize(("level", "task_level"), [("", "WARNING"), ("debug", "DEBUG")])
def test_the_task_worker_logs_quietly_unless_debugging(tmp_path, level, task_level):
    code = (
        "import logging, logging.config; from rendezvous import settings; "
        "logging.config.dictConfig(settings.LOGGING); "
        "print(logging.getLevelName(logging.getLogger('huey.consumer').getEffectiveLevel()), "
        "logging.getLevelName(logging.getLogger('django.tasks').getEffectiveLevel()), "
        "logging.getLevelName(logging.getLogger('rendezvous').getEffectiveLevel()))"
    )
    env = os.environ | {"RENDEZVOUS_VAR_DIR": str(tmp_path), "DATABASE_URL": ""}
    env.pop("LOG_LEVEL", None)
    if level:
        env["LOG_LEVEL"] = level
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == [task_level, task_level, level.upper() or "INFO"]
