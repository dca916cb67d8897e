"""The email class: Django's EmailMultiAlternatives plus an iCalendar invitation.

**Address headers.** From and To are built from `Address` objects and folded here:
the standard library's folder (Python 3.13) splits a long quoted display name into
bare words, so a customer named `Bob "x" (evil@example.com) aaaa...` came out as a
phrase plus a comment that a client may read as one more address. Here an ASCII name
is always one quoted string, folded only at its own spaces (unfolding gives them
back); any other name is one RFC 2047 encoded word. It is one word even past the
75 characters RFC 2047 asks for: several adjacent encoded words are joined with a
space by some readers (Python's among them) and without one by others.
"""

import base64
import email.policy
from collections.abc import Sequence
from email.headerregistry import Address, HeaderRegistry

from django.core.mail import EmailMultiAlternatives
from django.utils.encoding import punycode

MAX_LINE = 78


def _phrase(name: str, used: int, linesep: str) -> str:
    """`name` as a display name, its first line starting after `used` characters."""
    if not name.isascii():
        return "=?utf-8?b?" + base64.b64encode(name.encode()).decode() + "?="
    words = name.replace("\\", "\\\\").replace('"', '\\"').split(" ")
    out, width = '"' + words[0], used + 1 + len(words[0])
    for word in words[1:]:
        if width + 1 + len(word) > MAX_LINE - 1:
            # The space is the folding white space: unfolding keeps it.
            out, width = out + linesep + " " + word, 1 + len(word)
        else:
            out, width = out + " " + word, width + 1 + len(word)
    return out + '"'


class _WholeNames:
    """Mixed into the registry's address header class: folds each display name itself."""

    addresses: tuple[Address, ...]
    name: str

    def fold(self, *, policy) -> str:
        linesep = policy.linesep
        out = f"{self.name}: "
        width = len(out)
        for i, address in enumerate(self.addresses):
            if i:
                out, width = out + "," + linesep + " ", 1
            if address.display_name:
                phrase = _phrase(address.display_name, width, linesep)
                out += phrase
                last = phrase.rsplit(linesep, 1)[-1]
                width = len(last) if linesep in phrase else width + len(phrase)
                angle = f"<{address.addr_spec}>"
                if width + 1 + len(angle) > MAX_LINE:
                    out, width = out + linesep + " " + angle, 1 + len(angle)
                else:
                    out, width = out + " " + angle, width + 1 + len(angle)
            else:
                out, width = out + address.addr_spec, width + len(address.addr_spec)
        return out + linesep


def address_header(name: str, addresses: Sequence[Address], *, utf8: bool = False):
    """A From/To header object for `addresses` whose display names survive folding.

    Without SMTPUTF8 a non-ASCII domain goes as IDNA, as Django does for its own."""
    if not utf8:
        addresses = [
            Address(
                display_name=a.display_name,
                username=a.username,
                domain=punycode(a.domain) if a.domain else a.domain,
            )
            for a in addresses
        ]
    base = HeaderRegistry()[name]
    cls = type(f"Whole{base.__name__}", (_WholeNames, base), {})
    return cls(name, list(addresses))


class BookingEmail(EmailMultiAlternatives):
    """`from_address` and `to_addresses` give the From and To headers; `from_email` and
    `to` stay the bare envelope addresses."""

    def __init__(
        self,
        *args,
        calendar: str = "",
        calendar_method: str = "",
        from_address: Address | None = None,
        to_addresses: Sequence[Address] = (),
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.calendar = calendar
        self.calendar_method = calendar_method
        self.from_address = from_address
        self.to_addresses = list(to_addresses)

    def message(self, *, policy=email.policy.default):
        msg = super().message(policy=policy)
        utf8 = bool(getattr(msg.policy, "utf8", False))
        if self.from_address is not None:
            del msg["From"]
            msg["From"] = address_header("From", [self.from_address], utf8=utf8)
        if self.to_addresses:
            del msg["To"]
            msg["To"] = address_header("To", self.to_addresses, utf8=utf8)
        msg = self._with_calendar(msg)
        return msg

    def _with_calendar(self, msg):
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
