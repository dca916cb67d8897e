from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from rendezvous.core.zones import is_known_zone


def validate_timezone(value: str) -> None:
    if not is_known_zone(value):
        raise ValidationError(
            _("Unknown time zone: %(zone)s"), params={"zone": value}, code="invalid"
        )


def validate_languages(value: list) -> None:
    from django.conf import settings

    known = {code for code, _name in settings.LANGUAGES}
    if not isinstance(value, list) or not value or any(v not in known for v in value):
        raise ValidationError(
            _("Choose one or more of: %(codes)s"), params={"codes": ", ".join(sorted(known))}
        )
