"""Each rate limit has its own switch: `off` for one leaves the others counting."""

import json
import subprocess
import sys

import pytest
from django.test import override_settings

from tests.processes import process_env

pytestmark = pytest.mark.integration

# A server as configured from its environment alone (not tests.settings): a fresh
# database, a company, six sign-in requests from one client.
CODE = """
import json
import django
django.setup()
from django.core.management import call_command
from django.test import Client
from rendezvous.companies.models import Company
call_command("migrate", verbosity=0)
call_command("createcachetable", verbosity=0)
Company.objects.create(slug="acme", name="Acme")
client = Client()
signin = [client.post("/en/acme/my/", {"email": "x@example.com"}).status_code for _ in range(6)]
print(json.dumps(signin))
"""


def sign_ins(tmp_path, **env) -> list[int]:
    environ = process_env(tmp_path, DJANGO_SETTINGS_MODULE="rendezvous.settings", **env)
    out = subprocess.run([sys.executable, "-c", CODE], env=environ, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.splitlines()[-1])


def test_switching_the_booking_limit_off_keeps_the_sign_in_throttled(tmp_path):
    assert sign_ins(tmp_path, RENDEZVOUS_BOOKING_RATE_LIMIT="off") == [200] * 5 + [429]


@override_settings(SIGNIN_RATE_LIMIT="2/m", BOOKING_RATE_LIMIT="off")
def test_the_sign_in_limit_comes_from_its_own_setting(client, practice):
    url = f"/en/{practice.company.slug}/my/"
    assert [client.post(url, {"email": "x@example.com"}).status_code for _ in range(3)] == [
        200,
        200,
        429,
    ]


@override_settings(SIGNIN_RATE_LIMIT="off", BOOKING_RATE_LIMIT="1/m")
def test_the_sign_in_limit_switches_off_alone(client, practice):
    url = f"/en/{practice.company.slug}/my/"
    assert {client.post(url, {"email": "x@example.com"}).status_code for _ in range(8)} == {200}
