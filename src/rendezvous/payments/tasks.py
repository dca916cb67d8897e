"""Background work: the every-minute sweep that releases abandoned card checkouts, and
the hourly one that cancels bookings whose bank transfer is overdue (where the company
asks for it)."""

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .domain.bank import overdue_transfers_cancel
from .domain.card import card_holds_release


@db_periodic_task(crontab(minute="*"))
def release_card_holds() -> int:
    return card_holds_release(now=timezone.now())


@db_periodic_task(crontab(minute="7"))
def cancel_overdue_transfers() -> int:
    return overdue_transfers_cancel(now=timezone.now())
