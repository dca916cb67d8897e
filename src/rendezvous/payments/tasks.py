"""Background work: the every-minute sweep that releases abandoned card checkouts."""

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .domain.card import card_holds_release


@db_periodic_task(crontab(minute="*"))
def release_card_holds() -> int:
    return card_holds_release(now=timezone.now())
