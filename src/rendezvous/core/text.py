"""The one check for invisible and control characters in what people type.

Names and notes end up in email headers, calendar files and admin pages, where line
breaks inject headers and bidirectional overrides disguise text. Zero width
(non-)joiners are the exception: Persian and Indic scripts need them between the
letters of a word, and there they cannot hide or reorder anything.
"""

import unicodedata

_INVISIBLE = {"Cc", "Cf", "Zl", "Zp"}
_JOINERS = {"\u200c", "\u200d"}  # ZERO WIDTH NON-JOINER, ZERO WIDTH JOINER


def _in_word(ch: str) -> bool:
    return unicodedata.category(ch)[0] in {"L", "M"}


def has_control_chars(value: str, *, allow_newlines: bool = False) -> bool:
    """Whether value holds a control, format or separator character, except a
    joiner between two letters (or marks), and line breaks and tabs if allowed."""
    allowed = {"\n", "\r", "\t"} if allow_newlines else set()
    for i, ch in enumerate(value):
        if ch in allowed or unicodedata.category(ch) not in _INVISIBLE:
            continue
        if (
            ch in _JOINERS
            and 0 < i < len(value) - 1
            and _in_word(value[i - 1])
            and _in_word(value[i + 1])
        ):
            continue
        return True
    return False


def one_line(value: str) -> str:
    """`value` fit for one header line: every control, format or line/paragraph
    separator character becomes a space (a name typed before the checks, a subject
    built from variables)."""
    return "".join(" " if unicodedata.category(ch) in _INVISIBLE else ch for ch in value).strip()


# What a spreadsheet runs as a formula when a cell starts with it.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """A CSV cell a spreadsheet shows as text, never runs as a formula (a leading
    apostrophe before = + - @, a tab or a carriage return)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
