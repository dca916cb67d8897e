"""`[variable]` substitution for company-edited text (docs/architecture.md invariant 7).

One regular expression pass over the *template*: values are inserted, never scanned
again, so a customer named `[online_meeting_link]` stays a name. Per output:

| output | literal template text | values |
| --- | --- | --- |
| subject (a header) | control characters folded to spaces | control characters folded to spaces |
| plain text | as written | as given; a link variable's http(s) URL on a line of its own |
| HTML | escaped, line breaks kept | escaped; a link variable whose value is an http(s) URL becomes a button: an `<a>` with the variable's label |

Links are long (a signed manage link is over 200 characters): shown as text they made
the HTML part scroll sideways and, after a label, wrap mid-sentence; as a button the
address is in the `href` alone, so it is in the message once.

Unknown names are refused when a template is saved (`unknown_variables`); at render
time an unknown `[name]` is left as written (defaults are tested to have none).

Each variable names the recipients it may reach (`audiences`): the staff member's join
link is the host's, who can end the meeting for everyone, so it is refused in a
template for customers (`misplaced_variables`) and, should such a template exist all
the same, rendered empty for them (`for_audience`). A body
line whose every variable is empty ("Video meeting: [online_meeting_link]" for an
in-person booking) is left out, so one template serves both kinds of booking.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from rendezvous.core.text import one_line

from .events import AUDIENCE, CUSTOMER, STAFF, Event

PATTERN = re.compile(r"\[([a-z][a-z0-9_]*)\]")

BUTTON = (
    "display: inline-block; padding: 0.4em 1em; border-radius: 4px; "
    "background: #1f5fbf; color: #ffffff; text-decoration: none; font-weight: bold"
)


EVERYONE = frozenset({CUSTOMER, STAFF})


@dataclass(frozen=True)
class Variable:
    name: str
    help: str
    link: bool = False
    audiences: frozenset[str] = EVERYONE
    label: str = ""  # a link's button text (lazy, in the message's language)
    events: frozenset[str] = frozenset()  # only these events offer it (empty: all)


BOOKING_VARIABLES = [
    Variable("customer_first_name", _("The customer's first name")),
    Variable("customer_last_name", _("The customer's last name")),
    Variable("service_name", _("The service or class booked")),
    Variable("staff_name", _("The staff member")),
    Variable("company_name", _("Your company's name")),
    Variable("booking_start", _("Start, in the recipient's time zone and language")),
    Variable("booking_end", _("End, in the recipient's time zone and language")),
    Variable("location", _("Where: the address, or that it is online")),
    Variable(
        "manage_link",
        _("The customer's page to see, cancel or reschedule"),
        link=True,
        label=_("Manage your booking"),
    ),
    Variable(
        "cancel_link",
        _("Cancels the booking (after a confirmation)"),
        link=True,
        label=_("Cancel the booking"),
    ),
    Variable("reschedule_link", _("Picks a new time"), link=True, label=_("Pick a new time")),
    Variable(
        "online_meeting_link",
        _("The customer's join link, or when it will come"),
        link=True,
        label=_("Join the video meeting"),
    ),
    Variable(
        "online_meeting_provider_link",
        _("The staff member's join link, or when it will come"),
        link=True,
        audiences=frozenset({STAFF}),
        label=_("Join the video meeting as host"),
    ),
    Variable("online_meeting_instructions", _("Instructions for joining the meeting")),
    Variable(
        "payment_instructions",
        _("How to pay while payment is due: a bank transfer's account and reference"),
    ),
    Variable("amount_due", _("The amount still to pay, with its currency")),
    Variable("payment_reference", _("The bank transfer's reference to quote")),
    Variable(
        "receipt",
        _("The receipt: company, number, date, item, method, amount, tax and total"),
        audiences=frozenset({CUSTOMER}),
        events=frozenset({Event.PAYMENT_CONFIRMED}),
    ),
    Variable(
        "staff_message",
        _("What staff wrote to the customer when declining the request"),
        audiences=frozenset({CUSTOMER}),
        events=frozenset({Event.REQUEST_DECLINED}),
    ),
]

SIGN_IN_VARIABLES = [
    Variable("company_name", _("Your company's name")),
    Variable("customer_email", _("The address the link was asked for")),
    Variable(
        "sign_in_link",
        _("The one-time link to My bookings"),
        link=True,
        label=_("See your bookings"),
    ),
]

REGISTRY: dict[str, Variable] = {v.name: v for v in BOOKING_VARIABLES + SIGN_IN_VARIABLES}


def variables_for(event: str) -> list[Variable]:
    if event == Event.SIGN_IN_LINK:
        return SIGN_IN_VARIABLES
    return [v for v in BOOKING_VARIABLES if not v.events or event in v.events]


def unknown_variables(text: str, event: str) -> list[str]:
    """Names in `text` that this event does not offer, in order of appearance."""
    known = {v.name for v in variables_for(event)}
    seen: list[str] = []
    for name in PATTERN.findall(text):
        if name not in known and name not in seen:
            seen.append(name)
    return seen


def allowed_variables(event: str) -> list[Variable]:
    """The variables a template for `event` may use: the event's, for its recipient."""
    audience = AUDIENCE.get(event, "")
    return [v for v in variables_for(event) if not audience or audience in v.audiences]


def misplaced_variables(text: str, event: str) -> list[str]:
    """Names in `text` this event offers, but not to its recipient, in order."""
    allowed = {v.name for v in allowed_variables(event)}
    known = {v.name for v in variables_for(event)}
    seen: list[str] = []
    for name in PATTERN.findall(text):
        if name in known and name not in allowed and name not in seen:
            seen.append(name)
    return seen


def for_audience(values: Mapping[str, str], audience: str) -> dict[str, str]:
    """`values` with every variable not meant for `audience` empty."""
    return {
        name: value if audience in REGISTRY.get(name, Variable(name, "")).audiences else ""
        for name, value in values.items()
    }


def render_subject(template: str, values: Mapping[str, str]) -> str:
    return one_line(PATTERN.sub(lambda m: one_line(values.get(m[1], m[0])), template))


def _without_empty_lines(template: str, values: Mapping[str, str]) -> str:
    kept = []
    for line in template.replace("\r\n", "\n").split("\n"):
        names = PATTERN.findall(line)
        if names and all(values.get(name) == "" for name in names):
            continue
        kept.append(line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip("\n")


def _is_link(name: str, value: str) -> bool:
    variable = REGISTRY.get(name)
    return bool(variable and variable.link and value.startswith(("https://", "http://")))


def render_text(template: str, values: Mapping[str, str]) -> str:
    template = _without_empty_lines(template, values)
    out = ""
    pos = 0
    for match in PATTERN.finditer(template):
        out += template[pos : match.start()]
        pos = match.end()
        value = values.get(match[1], match[0])
        if _is_link(match[1], value):
            # Words before or after it on the line go to lines of their own.
            if out.rsplit("\n", 1)[-1].strip():
                out = out.rstrip(" \t") + "\n"
            rest = template[pos:].split("\n", 1)[0]
            if any(ch.isalnum() or ch == "[" for ch in rest):
                value += "\n"
                pos += len(rest) - len(rest.lstrip(" \t"))
        out += value
    return out + template[pos:]


def render_html(template: str, values: Mapping[str, str]) -> str:
    """Escaped HTML paragraphs; the template's own text is escaped as well."""
    template = _without_empty_lines(template, values)
    out: list[str] = []
    pos = 0
    for match in PATTERN.finditer(template):
        out.append(escape(template[pos : match.start()]))
        name = match[1]
        if name not in values:
            out.append(escape(match[0]))
        else:
            value = values[name]
            if _is_link(name, value):
                label = str(REGISTRY[name].label) or value
                out.append(f'<a href="{escape(value)}" style="{BUTTON}">{escape(label)}</a>')
            else:
                out.append(escape(value))
        pos = match.end()
    out.append(escape(template[pos:]))
    html = "".join(out).replace("\r\n", "\n")
    paragraphs = [p.strip("\n") for p in re.split(r"\n\s*\n", html) if p.strip()]
    return "\n".join(f"<p>{p.replace(chr(10), '<br>')}</p>" for p in paragraphs)
