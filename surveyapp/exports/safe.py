"""Keep text from the data from running as a formula when a spreadsheet opens it.

Two places, two rules:

* **CSV** has no types: every text field is quoted (``csv_files``) *and* neutralised
  here, at its start and after every character a reader might split on. A reader that
  splits on another separator than the file's (Norwegian Excel splits on ``;``, so a
  comma file's ``Bra service;=2+5`` once became a cell ``=2+5`` and ran) or that breaks
  lines inside a field still finds no field that starts a formula.
* **xlsx** cells are typed: text is written as a string cell, which no spreadsheet
  runs, so no apostrophe is added there (``xlsx_text``).
"""

from __future__ import annotations

import re

#: What makes Excel, LibreOffice and Google Sheets read a cell as a formula (OWASP,
#: "CSV Injection"): = + - @, and tab or carriage return before one of them.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Characters a CSV reader may split a field on: both dialects' separators, tab, and
#: line breaks (a reader that ignores the quotes breaks lines inside a field).
SPLITS = ",;\t\r\n"

_AFTER_SPLIT = re.compile(f"(?<=[{re.escape(SPLITS)}])(?=[{re.escape(''.join(FORMULA_STARTS))}])")


def neutralise(text: str) -> str:
    """Text that cannot start a formula: a leading ' when it begins with = + - @ tab or CR.

    OWASP's recommendation for CSV exports: prefix such cells with a single quote so that
    they are read as text; the quote stays visible and nothing runs.
    """
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def neutralise_csv(text: str) -> str:
    """A CSV text field that starts no formula however a reader splits it: a ' at its
    start and after every separator or line break followed by = + - @ tab or CR."""
    text = neutralise(text)
    if any(c in text for c in SPLITS):
        text = _AFTER_SPLIT.sub("'", text)
    return text
