"""A freshly started worker knows every periodic task, before any request or booking."""

import json
import subprocess
import sys

import pytest

from tests.processes import process_env

pytestmark = pytest.mark.integration

# django.setup() only, as `rendezvous serve` and `rendezvous run_huey` start: the
# periodic tasks registered then, and those registered once every app's tasks module
# has been imported (as a booking with a remote meeting provider used to do lazily).
CODE = """
import importlib, json, pkgutil
import django
django.setup()
from huey.contrib.djhuey import HUEY
import rendezvous

def periodic():
    return sorted(f"{t.__module__}.{t.__name__}" for t in HUEY._registry._periodic_tasks)

at_start = periodic()
for app in pkgutil.iter_modules(rendezvous.__path__):
    if app.ispkg and importlib.util.find_spec(f"rendezvous.{app.name}.tasks"):
        importlib.import_module(f"rendezvous.{app.name}.tasks")
print(json.dumps({"at_start": at_start, "all": periodic()}))
"""


def test_every_periodic_task_is_registered_at_start_up(tmp_path):
    env = process_env(tmp_path, DJANGO_SETTINGS_MODULE="rendezvous.settings")
    out = subprocess.run(
        [sys.executable, "-c", CODE], env=env, capture_output=True, text=True, check=True
    )
    tasks = json.loads(out.stdout)
    assert {
        "rendezvous.meetings.tasks.provision_due_meetings",
        "rendezvous.meetings.tasks.warn_missing_links",
        "rendezvous.notifications.tasks.deliver_due_messages",
        "rendezvous.notifications.tasks.send_due_reminders",
    } <= set(tasks["at_start"])
    assert tasks["at_start"] == tasks["all"]
