"""The code cites only documents that ship with it: a newcomer can open every one."""

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
CITATION = re.compile(r"[A-Za-z0-9_./-]+\.md\b")
SOURCES = ("src", "tests", "bench")
SUFFIXES = {".py", ".html", ".js", ".txt", ".css"}


def test_every_document_the_code_names_is_in_the_repository():
    missing = set()
    for top in SOURCES:
        for path in (ROOT / top).rglob("*"):
            if path.suffix not in SUFFIXES or "egg-info" in str(path):
                continue
            for name in CITATION.findall(path.read_text(encoding="utf-8", errors="ignore")):
                if not (ROOT / name).is_file() and not (path.parent / name).is_file():
                    missing.add(f"{path.relative_to(ROOT)}: {name}")
    assert not missing, sorted(missing)
