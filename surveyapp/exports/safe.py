"""Keep text from the data from running as a formula when a spreadsheet opens it."""

from __future__ import annotations

#: What makes Excel, LibreOffice and Google Sheets read a cell as a formula (OWASP,
#: "CSV Injection"): = + - @, and tab or carriage return before one of them.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """Text that cannot start a formula: a leading ' when it begins with = + - @ tab or CR.

    OWASP's recommendation for CSV and spreadsheet exports: prefix such cells with a single
    quote so that they are read as text. Apply it to every free text and every label that
    came from data; written as a string cell, the quote stays visible and nothing runs.
    """
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text
