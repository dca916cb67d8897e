"""Background work: one task per queued email, and two every-minute sweeps.

The per-row task is the fast path (enqueued on commit); the sweeps are the safety
net that makes delivery independent of it: retries after backoff, rows whose worker
died mid-send (expired lease), and rows whose task was never enqueued. Tasks load by
id and call the domain.
"""

import uuid

from django.tasks import task
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .domain import outbox_deliver, outbox_deliver_due, reminders_send_due


@task()
def deliver_message(message_id: str) -> str | None:
    return outbox_deliver(message_id=uuid.UUID(message_id))


@db_periodic_task(crontab(minute="*"))
def deliver_due_messages() -> int:
    return outbox_deliver_due()


@db_periodic_task(crontab(minute="*"))
def send_due_reminders() -> int:
    return reminders_send_due()
