"""SECRET_KEY as a fresh installation gets it: real processes, an empty data directory."""

import json
import stat
import subprocess
import sys

import pytest

from tests.processes import process_env

pytestmark = pytest.mark.integration

PUBLISHED_KEY = "dev-insecure-key-change-me-in-production-0123456789abcdef"

# What a process of the installation signs with, and whether it accepts a manage link
# forged with the key earlier releases published.
PROBE = (
    f"PUBLISHED = {PUBLISHED_KEY!r}\n"
    + """
import json, uuid
import django
django.setup()
from django.conf import settings
from django.core import signing
from rendezvous.core import tokens
booking_id, token_hash = uuid.uuid4(), "ab" * 32
forged = signing.Signer(key=PUBLISHED, salt=tokens.MANAGE).sign_object(
    {"b": booking_id.hex, "h": token_hash[:tokens.MANAGE_HASH_PREFIX]}
)
print(json.dumps({
    "key": settings.SECRET_KEY,
    "forged_accepted": tokens.manage_token_valid(booking_id, token_hash, forged),
    "own_accepted": tokens.manage_token_valid(
        booking_id, token_hash, tokens.manage_token(booking_id, token_hash)
    ),
}))
"""
)


# This checkout's source, whichever one the virtualenv was installed from.


def environ(var_dir, **env) -> dict:
    own = {"DJANGO_SETTINGS_MODULE": "rendezvous.settings"} | env
    return process_env(var_dir, drop=("SECRET_KEY", "SECRET_KEY_FALLBACKS"), **own)


def start(var_dir, **env) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", PROBE],
        env=environ(var_dir, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def probe(var_dir, **env) -> tuple[dict, str]:
    proc = start(var_dir, **env)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    return json.loads(out), err


def test_first_start_generates_a_private_key_that_later_processes_share(tmp_path):
    first, said = probe(tmp_path)
    path = tmp_path / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().strip() == first["key"]
    assert len(first["key"]) >= 50 and first["key"] != PUBLISHED_KEY
    assert str(path) in said  # told once, by the process that made it
    second, said_again = probe(tmp_path)
    assert second["key"] == first["key"]
    assert str(path) not in said_again
    assert [p.name for p in tmp_path.iterdir() if "secret" in p.name] == ["secret_key"]


def test_processes_starting_at_once_agree_on_one_key(tmp_path):
    procs = [start(tmp_path) for _ in range(4)]
    keys = set()
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        keys.add(json.loads(out)["key"])
    assert keys == {(tmp_path / "secret_key").read_text().strip()}


def test_a_link_signed_with_the_published_key_is_refused(tmp_path):
    result, _ = probe(tmp_path)
    assert result["own_accepted"] is True
    assert result["forged_accepted"] is False


@pytest.mark.parametrize("variable", ["SECRET_KEY", "SECRET_KEY_FALLBACKS"])
def test_the_published_key_is_refused_at_start(tmp_path, variable):
    proc = start(tmp_path, **{variable: PUBLISHED_KEY})
    out, err = proc.communicate(timeout=60)
    assert proc.returncode != 0 and out == ""
    assert "ImproperlyConfigured" in err and "published development key" in err
    assert not (tmp_path / "secret_key").exists()


def test_a_key_from_the_environment_makes_no_file(tmp_path):
    result, _ = probe(tmp_path, SECRET_KEY="an-operator-chosen-key-" + "k" * 40)
    assert result["key"] == "an-operator-chosen-key-" + "k" * 40
    assert not (tmp_path / "secret_key").exists()


def deploy_check(var_dir) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "rendezvous.cli", "check", "--deploy"],
        env=environ(var_dir),
        capture_output=True,
        text=True,
    )
    return out.stdout + out.stderr


def test_check_deploy_accepts_the_generated_key_and_warns_when_others_can_read_it(tmp_path):
    report = deploy_check(tmp_path)
    assert "security.W009" not in report and "rendezvous.W001" not in report
    (tmp_path / "secret_key").chmod(0o644)
    assert "rendezvous.W001" in deploy_check(tmp_path)
