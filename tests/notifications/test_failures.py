"""Which mail server answers are retried and which are final (no database)."""

import smtplib

import pytest

from rendezvous.core.retry import backoff
from rendezvous.notifications.domain.outbox import classify

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("exc", "permanent"),
    [
        (ConnectionRefusedError(111, "Connection refused"), False),
        (TimeoutError("timed out"), False),
        (smtplib.SMTPServerDisconnected("gone"), False),
        (smtplib.SMTPRecipientsRefused({"a@x.example": (451, b"try later")}), False),
        (smtplib.SMTPRecipientsRefused({"a@x.example": (550, b"no such user")}), True),
        (smtplib.SMTPDataError(452, b"mailbox full"), False),
        (smtplib.SMTPDataError(554, b"rejected as spam"), True),
        (smtplib.SMTPSenderRefused(553, b"bad sender", "b@x.example"), True),
        (smtplib.SMTPAuthenticationError(535, b"bad credentials"), False),
        (ValueError("Invalid address"), True),
    ],
)
def test_failures_are_classified(exc, permanent):
    failure = classify(exc)
    assert failure.permanent is permanent
    assert failure.reason


def test_backoff_doubles_up_to_an_hour():
    minutes = [backoff(n).total_seconds() / 60 for n in range(1, 10)]
    assert minutes == [1, 2, 4, 8, 16, 32, 60, 60, 60]
