"""The demo and its published admin password exist only when asked for, and never on a
production installation (RENDEZVOUS_PRODUCTION=1)."""

import secrets
import sqlite3
import subprocess
import sys

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import override_settings

from rendezvous.companies.models import Company
from tests.processes import process_env

pytestmark = pytest.mark.integration


def rendezvous_command(tmp_path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """`rendezvous ...` in a new process on a SQLite file in tmp_path; a server that
    does start is stopped after a minute (the test then fails on its exit code)."""
    own = {"SECRET_KEY": secrets.token_urlsafe(48)} | env
    environ = process_env(tmp_path, drop=("DJANGO_SETTINGS_MODULE",), **own)
    try:
        return subprocess.run(
            [sys.executable, "-m", "rendezvous.cli", *args],
            env=environ,
            capture_output=True,
            text=True,
            timeout=60,
        )
    except subprocess.TimeoutExpired as expired:
        pytest.fail(f"rendezvous {' '.join(args)} served instead of refusing: {expired}")


def users(tmp_path) -> list[tuple]:
    with sqlite3.connect(tmp_path / "rendezvous.sqlite3") as db:
        return db.execute("select username, password, last_login from auth_user").fetchall()


def test_serve_refuses_the_demo_in_production(tmp_path):
    run = rendezvous_command(tmp_path, "serve", "--demo", "--port", "1", RENDEZVOUS_PRODUCTION="1")
    assert run.returncode != 0
    assert "The demo is refused with RENDEZVOUS_PRODUCTION=1" in run.stderr
    # Refused before migrating: no tables, let alone a superuser.
    with sqlite3.connect(tmp_path / "rendezvous.sqlite3") as db:
        assert db.execute("select name from sqlite_master where type = 'table'").fetchall() == []


def test_serve_refuses_production_while_the_demo_admin_has_its_published_password(tmp_path):
    assert rendezvous_command(tmp_path, "migrate", "--verbosity", "0").returncode == 0
    assert rendezvous_command(tmp_path, "seed_demo").returncode == 0
    before = users(tmp_path)
    run = rendezvous_command(tmp_path, "serve", "--port", "1", RENDEZVOUS_PRODUCTION="1")
    assert run.returncode != 0
    assert "still has the demo's published password" in run.stderr
    assert users(tmp_path) == before


@pytest.mark.django_db
@override_settings(PRODUCTION=True)
def test_seed_demo_refuses_in_production():
    with pytest.raises(CommandError, match="refused with RENDEZVOUS_PRODUCTION=1"):
        call_command("seed_demo")
    assert not Company.objects.exists() and not get_user_model().objects.exists()
