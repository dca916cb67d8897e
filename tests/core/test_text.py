"""The one check for invisible and control characters in what people type."""

import pytest

from rendezvous.core.text import has_control_chars

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "name",
    [
        "می\u200cخواهم",  # Persian: ZWNJ keeps the letters apart
        "क्\u200dष",  # Devanagari: ZWJ asks for the half form
        "ශ්\u200dරී",  # Sinhala conjunct
        "Ana-Maria",
    ],
)
def test_joiners_inside_words_are_allowed(name):
    assert not has_control_chars(name)


@pytest.mark.parametrize(
    "value",
    [
        "Bob\r\nBcc: x",
        "evil\u202etxt.exe",  # right-to-left override
        "a\u2066b",  # isolate
        "a\u200bb",  # zero width space
        "a\ufeffb",  # byte order mark
        "\u200cAna",  # a joiner not between two letters
        "Ana\u200d",
        "Ana \u200c Maria",
        "a\u2028b",  # line separator
        "a\x00b",
    ],
)
def test_controls_overrides_and_stray_joiners_are_refused(value):
    assert has_control_chars(value)


def test_newlines_only_where_allowed():
    assert not has_control_chars("line\r\nnext\tcol", allow_newlines=True)
    assert has_control_chars("line\u202enext", allow_newlines=True)
