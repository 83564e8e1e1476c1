"""CSV in two dialects: the standard one (``,`` and a decimal point) and the one
Norwegian Excel reads (``;`` and a decimal comma).

Norwegian Excel splits a line on ``;`` and reads ``,`` as the decimal mark, so a comma
file lands in one column there and its decimals import as text. Both dialects write:

* a UTF-8 byte order mark (so that Excel reads the file as UTF-8) and CRLF line ends;
* every text field in double quotes and neutralised (``safe.neutralise_csv``), so that no
  field starts a formula however a reader splits the line;
* numbers unquoted with the dialect's decimal mark, so that they import as numbers;
  dates as ISO 8601 (2026-03-01, 2026-03-01 14:00).

Plain: no Flask. The file name says the dialect (``…-excel-no.csv``).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from surveyapp.exports.safe import neutralise_csv
from surveyapp.formatting import is_norwegian

CHUNK = 64 * 1024  # characters per piece of a streamed file


@dataclass(frozen=True)
class Dialect:
    name: str  # as in the file name, the web's ?dialect= and the CLI's --dialect
    delimiter: str
    decimal: str


STANDARD = Dialect("standard", ",", ".")
EXCEL_NO = Dialect("excel-no", ";", ",")
DIALECTS = {d.name: d for d in (EXCEL_NO, STANDARD)}


def dialect_for(name: str | None, language: str) -> Dialect:
    """The dialect asked for, else the language's: Norwegian Excel's for nb and nn."""
    if name in DIALECTS:
        return DIALECTS[name]
    return EXCEL_NO if is_norwegian(language) else STANDARD


def _text(value: str) -> str:
    return '"' + neutralise_csv(value).replace('"', '""') + '"'


def field(value: Any, dialect: Dialect) -> str:
    """One value as a CSV field of ``dialect``."""
    if value is None:
        return ""
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, bool):
        return _text(str(value).lower())
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return ""
        shown = repr(value)
        return shown.replace(".", dialect.decimal) if dialect.decimal != "." else shown
    if isinstance(value, Decimal):
        shown = format(value, "f")
        return shown.replace(".", dialect.decimal) if dialect.decimal != "." else shown
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    return _text(str(value))


def line(values: Sequence[Any], dialect: Dialect) -> str:
    return dialect.delimiter.join(field(v, dialect) for v in values) + "\r\n"


class _Fields:
    """``field`` with the common cases first and repeated short texts (option codes,
    languages) quoted once: the answers file has a million fields per 100,000 rows."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self._texts: dict[str, str] = {}

    def line(self, values: Sequence[Any]) -> str:
        parts = []
        texts = self._texts
        for value in values:
            kind = type(value)
            if value is None:
                parts.append("")
            elif kind is str:
                quoted = texts.get(value)
                if quoted is None:
                    quoted = _text(value)
                    if len(value) <= 80 and len(texts) < 50_000:
                        texts[value] = quoted
                parts.append(quoted)
            elif kind is int:
                parts.append(str(value))
            else:
                parts.append(field(value, self.dialect))
        return self.dialect.delimiter.join(parts) + "\r\n"


def stream(
    header: Sequence[Sequence[Any]], rows: Iterable[Sequence[Any]], dialect: Dialect
) -> Iterator[str]:
    """CSV text in pieces: the byte order mark, the header line(s), the rows."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    fields = _Fields(dialect)
    for values in header:
        buffer.write(line(values, dialect))
    for row in rows:
        buffer.write(fields.line(row))
        if buffer.tell() >= CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
