"""System checks of the installation itself (`rendezvous check --deploy`)."""

import stat

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def secret_key_file_private(app_configs, **kwargs):
    """The generated key file must be readable by the installation's user alone: whoever
    reads it can sign every link."""
    path = getattr(settings, "SECRET_KEY_FILE", None)
    if path is None or not path.exists():
        return []
    if path.read_text().strip() != settings.SECRET_KEY:
        return []  # SECRET_KEY comes from the environment; the file is not in use
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        return [
            checks.Warning(
                f"{path} can be read by other users of this machine.",
                hint=f"chmod 600 {path}",
                id="rendezvous.W001",
            )
        ]
    return []
