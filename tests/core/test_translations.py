"""Every string marked for translation has a translation in da, de, ro and es.

The strings come from Django's own extraction (makemessages, GNU xgettext) run on a
copy of the source, exactly as docs/development.md tells contributors to run it; the
translations are what Django serves at run time: all our catalogues merged with
Django's own (so "Home" in an admin template counts as translated by Django).
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.utils import translation
from django.utils.translation import trans_real

LANGUAGES = ["da", "de", "ro", "es"]

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        shutil.which("xgettext") is None, reason="makemessages needs GNU gettext (xgettext)"
    ),
]


def extracted(tmp_path: Path) -> set[tuple[str | None, str, str | None]]:
    """(context, msgid, msgid_plural) of every marked string in src/rendezvous."""
    copy = tmp_path / "rendezvous"
    shutil.copytree(
        settings.BASE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "static")
    )
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "rendezvous.settings",
        "DATABASE_URL": "",
        "RENDEZVOUS_VAR_DIR": str(tmp_path / "var"),
    }
    run = subprocess.run(
        [sys.executable, "-m", "rendezvous.cli", "makemessages", "-l", "de", "--no-obsolete"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    found = set()
    for po in copy.rglob("locale/de/LC_MESSAGES/django.po"):
        with po.open("rb") as f:
            for message in read_po(f, locale="de"):
                if not message.id:
                    continue
                if isinstance(message.id, tuple):
                    found.add((message.context, message.id[0], message.id[1]))
                else:
                    found.add((message.context, message.id, None))
    return found


def test_every_marked_string_is_translated(tmp_path):
    strings = extracted(tmp_path)
    assert len(strings) > 500  # the extraction really ran over the project
    missing = {}
    for language in LANGUAGES:
        with translation.override(language):
            catalog = trans_real.translation(language)._catalog
        absent = []
        for context, msgid, plural in sorted(strings, key=lambda s: s[1]):
            key = msgid if context is None else f"{context}\x04{msgid}"
            if (key, 0) not in catalog if plural else key not in catalog:
                absent.append(msgid)
        if absent:
            missing[language] = absent
    assert not missing, "untranslated: " + "; ".join(
        f"{lang}: {', '.join(map(repr, ids))}" for lang, ids in missing.items()
    )


def test_every_model_names_its_plural():
    # Without verbose_name_plural Django appends "s" to the translated singular: the
    # German admin listed "Buchungs" and "Kundes". The plurals' translations are
    # checked with every other string above.
    from django.apps import apps

    models = [m for m in apps.get_models() if m.__module__.startswith("rendezvous.")]
    assert [m for m in models if "verbose_name_plural" not in m._meta.original_attrs] == []
    with translation.override("de"):
        assert apps.get_model("bookings", "Booking")._meta.verbose_name_plural == "Buchungen"
        assert apps.get_model("bookings", "Customer")._meta.verbose_name_plural == "Kunden"


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="needs GNU gettext (msgfmt)")
def test_every_catalogue_is_well_formed():
    """msgfmt's own checks: merges of catalogues (merge=union) can glue two entries into
    one that has no msgstr, which Django's compiler only warns about."""
    for code in [*LANGUAGES, "en"]:
        po = settings.BASE_DIR / "locale" / code / "LC_MESSAGES" / "django.po"
        run = subprocess.run(
            ["msgfmt", "--check-format", "--check-domain", "-o", os.devnull, str(po)],
            capture_output=True,
            text=True,
        )
        assert run.returncode == 0, run.stderr
