"""How long to wait before trying again: one schedule for every retried job (emails,
meeting creation and pushes), so an operator learns it once."""

from datetime import timedelta

MAX_BACKOFF = timedelta(hours=1)


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 ... minutes after the 1st, 2nd, 3rd ... failed attempt, at most an hour."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)
