"""Text fit to store: no control characters. Plain data, no Flask.

PostgreSQL text cannot hold NUL, and XML 1.0 (xlsx workbooks, their charts, the PDF
report's tags) cannot hold the other C0 control characters or U+FFFE/U+FFFF, so a name
typed with one would break every export that shows it. Tab, newline and carriage
return are ordinary text and stay.
"""

from __future__ import annotations

import re

CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def strip_controls(text: str) -> str:
    """``text`` without control characters (tab, newline and carriage return kept)."""
    return CONTROL_CHARACTERS.sub("", text)


def has_controls(text: str) -> bool:
    """Whether ``text`` holds a character ``strip_controls`` would drop."""
    return CONTROL_CHARACTERS.search(text) is not None
