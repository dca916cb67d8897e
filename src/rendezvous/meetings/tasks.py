"""Meeting tasks: load by id, call the domain. Retries come from the every-minute
sweep (creates, updates and deletes whose backoff passed; meetings.domain.lifecycle),
as the outbox does for emails."""

import uuid

from django.tasks import task
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .domain import (
    meeting_delete_remote,
    meeting_provision,
    meeting_push_update,
    meeting_retry_due,
    meeting_warn_missing_links,
)


@task()
def provision_meeting(meeting_id: str) -> str | None:
    return meeting_provision(meeting_id=uuid.UUID(meeting_id))


@task()
def update_meeting(meeting_id: str) -> None:
    meeting_push_update(meeting_id=uuid.UUID(meeting_id))


@task()
def delete_meeting(meeting_id: str) -> None:
    meeting_delete_remote(meeting_id=uuid.UUID(meeting_id))


@db_periodic_task(crontab(minute="*"))
def provision_due_meetings() -> int:
    return meeting_retry_due()


@db_periodic_task(crontab(minute="*/5"))
def warn_missing_links() -> int:
    return meeting_warn_missing_links()
