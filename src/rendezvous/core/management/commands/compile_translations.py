"""Compile every .po catalogue under src/rendezvous to .mo with babel.

Django's own `compilemessages` needs GNU gettext's msgfmt, which a fresh machine may
not have; babel is already a dependency. `make` runs this after installing.
"""

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Compile .po translation catalogues to .mo (no GNU gettext needed)."

    def handle(self, *args, **options):
        count = 0
        for po_path in sorted(Path(settings.BASE_DIR).rglob("locale/*/LC_MESSAGES/*.po")):
            mo_path = po_path.with_suffix(".mo")
            if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                continue
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file, locale=po_path.parent.parent.name)
            with mo_path.open("wb") as mo_file:
                write_mo(mo_file, catalog, use_fuzzy=False)
            count += 1
        self.stdout.write(f"Compiled {count} catalogue(s).")
