import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from rendezvous.core.zones import is_known_zone


def validate_timezone(value: str) -> None:
    if not is_known_zone(value):
        raise ValidationError(
            _("Unknown time zone: %(zone)s"), params={"zone": value}, code="invalid"
        )


def validate_languages(value: list) -> None:
    known = {code for code, _name in settings.LANGUAGES}
    if not isinstance(value, list) or not value or any(v not in known for v in value):
        raise ValidationError(
            _("Choose one or more of: %(codes)s"), params={"codes": ", ".join(sorted(known))}
        )


# Sources a company may list in `frame_ancestors` (the CSP frame-ancestors of its embeds):
# 'self', * (any site), 'none', or origins (scheme, host, optional port; a leading *.
# for every subdomain). Paths are refused: CSP would ignore them for framing, so a
# listed path would allow more than it seems to.
_FRAME_ORIGIN = re.compile(
    r"^https?://(\*\.)?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*"
    r"(:[0-9]{1,5})?$"
)
FRAME_KEYWORDS = ("'self'", "*", "'none'")


def frame_ancestor_problems(value: str) -> list[str]:
    """The entries of a `frame_ancestors` value that are not allowed sources."""
    entries = value.split()
    bad = [e for e in entries if e not in FRAME_KEYWORDS and not _FRAME_ORIGIN.match(e.lower())]
    return bad


def frame_ancestor_sources(value: str) -> list[str]:
    """The CSP sources of a `frame_ancestors` value: the well-formed entries, lower case,
    'self' when empty, only 'none' when it is listed (or nothing valid remains)."""
    entries = [e.lower().rstrip("/") for e in value.split()]
    if not entries:
        return ["'self'"]
    if "'none'" in entries:
        return ["'none'"]
    sources = [e for e in entries if e in FRAME_KEYWORDS or _FRAME_ORIGIN.match(e)]
    return list(dict.fromkeys(sources)) or ["'none'"]


def validate_frame_ancestors(value: str) -> None:
    bad = frame_ancestor_problems(value)
    if bad:
        raise ValidationError(
            _(
                "Not a site origin: %(entries)s. Give origins such as https://www.example.com "
                "(no path), or 'self' or *."
            ),
            params={"entries": ", ".join(bad)},
            code="invalid",
        )
    if "'none'" in value.split() and len(value.split()) > 1:
        raise ValidationError(_("'none' cannot be combined with other sites."), code="invalid")
