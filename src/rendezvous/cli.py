"""The `rendezvous` command: Django's manage.py, plus `rendezvous serve`."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rendezvous.settings")
    from django.core.management import execute_from_command_line  # noqa: PLC0415 (after DJANGO_SETTINGS_MODULE is set)

    execute_from_command_line(["rendezvous", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
