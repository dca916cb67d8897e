"""The email class: Django's EmailMultiAlternatives plus an iCalendar invitation.

Calendar clients look for the invitation in two places, so it goes in both, as
Google Calendar's own invitations do: a `text/calendar; method=...` part inside
multipart/alternative (Outlook and Gmail show their accept buttons from it) and an
`invite.ics` attachment (`application/ics`) for clients that only import files.
"""

import email.policy

from django.core.mail import EmailMultiAlternatives


class BookingEmail(EmailMultiAlternatives):
    def __init__(self, *args, calendar: str = "", calendar_method: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.calendar = calendar
        self.calendar_method = calendar_method

    def message(self, *, policy=email.policy.default):
        msg = super().message(policy=policy)
        if not self.calendar:
            return msg
        alternative = next(
            part for part in msg.walk() if part.get_content_type() == "multipart/alternative"
        )
        alternative.add_alternative(
            self.calendar,
            subtype="calendar",
            charset="utf-8",
            params={"method": self.calendar_method},
        )
        msg.add_attachment(
            self.calendar.encode(),
            maintype="application",
            subtype="ics",
            filename="invite.ics",
        )
        # Turning the message into multipart/mixed moved the Content-* headers into
        # the inner part; the language belongs to the whole message.
        language = self.extra_headers.get("Content-Language")
        if language:
            del msg["Content-Language"]
            msg["Content-Language"] = language
        return msg
