"""Read peer reference values from a CSV file; plain data, no Flask, no database.

The format is described in ``benchmarks/peers/README.md``. Parsing is all-or-nothing:
either every row is valid and a list of rows comes back, or ``PeerFileError`` lists
every bad line.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterator, Set
from dataclasses import dataclass, field, replace

from surveyapp.municipalities.history import History

COLUMNS = ("municipality_code", "year", "indicator", "value", "n", "source")
#: The largest file read at all: refused before reading (a file of a million rows took
#: half a minute and a gigabyte before its row count was checked). Every municipality,
#: ten years, twenty indicators and two sources fit with room to spare.
MAX_ROWS = 200_000
MAX_LINE_LENGTH = 10_000
#: Bad lines reported at most; a file with more is refused after that many.
MAX_PROBLEMS = 200
MAX_NUMBER_LENGTH = 40
YEAR_RANGE = (1990, 2100)
MAX_SOURCE_LENGTH = 200
MAX_N = 2_147_483_647  # the largest value a 32-bit database integer holds
SHARE_SUFFIX = "_share"

# ASCII digits only: \d also matches other scripts' digits, which int() and float() read.
_CODE = re.compile(r"[0-9]{4}")
_YEAR = re.compile(r"[0-9]{4}")
_INDICATOR = re.compile(r"[a-z0-9_]{1,80}")
# Decimal point or decimal comma, no thousands separators; float() alone would also
# accept "nan", "inf" and "1_000".
_NUMBER = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)?(?:[eE][+-]?[0-9]+)?")
_COUNT = re.compile(r"[0-9]+")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class PeerRow:
    """One valid row of a peer file."""

    municipality_code: str
    year: int
    indicator: str
    value: float
    n: int | None
    source: str
    line: int = field(default=0, compare=False)

    @property
    def key(self) -> tuple[str, int, str, str]:
        """What identifies a stored value: municipality, year, indicator and source."""
        return (self.municipality_code, self.year, self.indicator, self.source)


class PeerFileError(ValueError):
    """The peer file cannot be imported; ``problems`` lists every bad line."""

    def __init__(self, filename: str, problems: list[str]) -> None:
        self.filename = filename
        self.problems = problems
        super().__init__("\n".join(f"{filename}: {p}" for p in problems))


def parse_peer_csv(
    data: bytes,
    filename: str,
    known_codes: Set[str],
    *,
    max_rows: int = MAX_ROWS,
    max_line_length: int = MAX_LINE_LENGTH,
    history: History | None = None,
) -> list[PeerRow]:
    """Parse and validate a peer file; all-or-nothing.

    ``known_codes`` are the municipality numbers in today's register; with ``history``,
    a number no longer in use is accepted for a year it was in use (``file_under_today``
    then says where it belongs). Raises ``PeerFileError`` with one "line N: ..." message
    per bad line.
    """
    text = _decode(data, filename)
    if not text.strip():
        raise PeerFileError(filename, ["the file is empty"])
    lines = _LINE_BREAK.split(text)
    too_long = [
        f"line {number}: the line is {len(line)} characters long; "
        f"at most {max_line_length} are allowed"
        for number, line in enumerate(lines, start=1)
        if len(line) > max_line_length
    ]
    if too_long:
        # Nothing sensible can be said about the columns of such a file.
        raise PeerFileError(filename, _at_most(too_long))
    delimiter = _delimiter(lines[0])
    records = _records(text, delimiter)
    _, header = next(records, (1, []))
    if isinstance(header, str):
        raise PeerFileError(filename, [f"line 1: {header}"])
    names = [name.strip() for name in header]
    if tuple(names) != COLUMNS:
        raise PeerFileError(
            filename,
            [
                f"line 1: expected the columns {','.join(COLUMNS)} (separated by commas "
                f"or semicolons), got {delimiter.join(names)!r}"
            ],
        )
    rows, problems = _parse_records(records, known_codes, max_rows, history)
    if problems:
        raise PeerFileError(filename, _at_most(problems))
    if not rows:
        raise PeerFileError(filename, ["the file has a header but no data rows"])
    return rows


def _at_most(problems: list[str]) -> list[str]:
    if len(problems) <= MAX_PROBLEMS:
        return problems
    return problems[:MAX_PROBLEMS] + [
        f"(stopped after {MAX_PROBLEMS} bad lines; fix these and import the file again)"
    ]


def _decode(data: bytes, filename: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    problems = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            problems.append(
                f"line {number}: not valid UTF-8 (byte {exc.start + 1} of the line); "
                "save the file as UTF-8"
            )
    raise PeerFileError(filename, problems)


def _delimiter(header_line: str) -> str:
    """Semicolons when the header uses them (as Norwegian Excel writes), else commas."""
    return ";" if header_line.count(";") > header_line.count(",") else ","


def _records(text: str, delimiter: str) -> Iterator[tuple[int, list[str] | str]]:
    """(first line number, fields) per record, or (line number, message) for broken CSV."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    line = 1
    while True:
        try:
            fields: list[str] | str = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            # The reader drops the broken record and goes on with the next line.
            fields = f"not readable as CSV ({exc})"
        yield line, fields
        line = reader.line_num + 1


def _parse_records(
    records: Iterator[tuple[int, list[str] | str]],
    known_codes: Set[str],
    max_rows: int,
    history: History | None = None,
) -> tuple[list[PeerRow], list[str]]:
    rows: list[PeerRow] = []
    problems: list[str] = []
    first_line: dict[tuple[str, int, str, str], int] = {}
    count = 0
    for line, fields in records:
        if len(problems) > MAX_PROBLEMS:
            break  # enough to show what is wrong; parse_peer_csv says it stopped
        if isinstance(fields, str):
            problems.append(f"line {line}: {fields}")
            continue
        if not any(f.strip() for f in fields):
            continue  # blank lines, e.g. at the end of the file
        count += 1
        if count > max_rows:
            problems.append(f"line {line}: the file has more than {max_rows} data rows")
            break
        row, wrong = _parse_row(fields, known_codes, history, line)
        if row is not None and row.key in first_line:
            wrong = [
                f"repeats line {first_line[row.key]} (same municipality, year, "
                "indicator and source)"
            ]
        if wrong:
            problems.append(f"line {line}: {'; '.join(wrong)}")
            continue
        assert row is not None
        first_line[row.key] = line
        rows.append(row)
    return rows, problems


def _parse_row(
    fields: list[str], known_codes: Set[str], history: History | None = None, line: int = 0
) -> tuple[PeerRow | None, list[str]]:
    """A row, or None and what is wrong with it."""
    if len(fields) != len(COLUMNS):
        return None, [f"expected {len(COLUMNS)} values, got {len(fields)}"]
    code, year_text, indicator, value_text, n_text, source = (f.strip() for f in fields)
    wrong: list[str] = []

    year = 0
    if not _YEAR.fullmatch(year_text):
        wrong.append(f"year {year_text!r} is not a four-digit year")
    else:
        year = int(year_text)
        if not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
            wrong.append(f"year {year} is outside {YEAR_RANGE[0]}–{YEAR_RANGE[1]}")

    former = history is not None and history.knows(code) and code not in known_codes
    if not _CODE.fullmatch(code):
        hint = ""
        padded = code.zfill(4)
        if code.isdigit() and (
            padded in known_codes or (history is not None and history.knows(padded))
        ):
            hint = f" (did a spreadsheet drop the leading zero of {padded}?)"
        wrong.insert(0, f"municipality code {code!r} is not four digits{hint}")
    elif former and year:
        assert history is not None
        periods = history.periods[code]
        if not any(p.covers(year) for p in periods):
            spans = ", ".join(_span(p.first_year, p.last_year) for p in periods)
            wrong.insert(0, f"municipality code {code} was in use {spans}, not in {year}")
    elif code not in known_codes and not former:
        wrong.insert(0, f"municipality code {code} is not in the municipality register")

    if not _INDICATOR.fullmatch(indicator):
        wrong.append(f"indicator {indicator[:90]!r} must be 1–80 characters of a–z, 0–9 and _")

    value = _number(value_text)
    if len(value_text) > MAX_NUMBER_LENGTH:
        wrong.append(
            f"value is {len(value_text)} characters long; a number has at most {MAX_NUMBER_LENGTH}"
        )
    elif value is None:
        wrong.append(f"value {value_text[:40]!r} is not a number")
    elif indicator.endswith(SHARE_SUFFIX) and not 0.0 <= value <= 1.0:
        wrong.append(
            f"value {value_text} of the share indicator {indicator} must be between 0 and 1 "
            "(write 78 % as 0.78)"
        )

    n: int | None = None
    if n_text:
        if not _COUNT.fullmatch(n_text):
            wrong.append(f"n {n_text[:40]!r} is not a whole number of 0 or more")
        elif len(n_text.lstrip("0")) > len(str(MAX_N)) or int(n_text) > MAX_N:
            shown = n_text if len(n_text) <= 20 else f"{n_text[:12]}… ({len(n_text)} digits)"
            wrong.append(f"n {shown} is too large (at most {MAX_N})")
        else:
            n = int(n_text)

    if not source:
        wrong.append("source is empty")
    elif len(source) > MAX_SOURCE_LENGTH:
        wrong.append(
            f"source is {len(source)} characters long; at most {MAX_SOURCE_LENGTH} are allowed"
        )
    elif _CONTROL.search(source):
        wrong.append("source contains a line break or another control character")

    if wrong or value is None:
        return None, wrong
    return PeerRow(code, year, indicator, value, n, source, line), []


def _span(first: int | None, last: int | None) -> str:
    if first is None:
        return f"until {last}"
    if last is None:
        return f"from {first}"
    return f"{first}–{last}"


@dataclass(frozen=True)
class Filing:
    """Rows given under a number no longer in use, and where they were filed."""

    old_code: str
    old_name: str
    now: tuple[str, ...]  # today's municipalities, "5501 Tromsø"
    continuous: bool  # True: filed under today's number; False: kept as a predecessor's
    rows: int

    def describe(self) -> str:
        """English, for the command line."""
        now = " and ".join(self.now)
        rows = f"{self.rows} row{'s' if self.rows != 1 else ''}"
        if self.continuous:
            return f"{self.old_code} {self.old_name} is now {now}: {rows} filed under {now}"
        return (
            f"{self.old_code} {self.old_name} was merged or split into what is now {now}: "
            f"{rows} kept as {self.old_name}'s own figures, shown beside {now} as a "
            "predecessor's"
        )


def file_under_today(
    rows: list[PeerRow], history: History, filename: str = ""
) -> tuple[list[PeerRow], list[Filing]]:
    """Rows under a number that was only renumbered or renamed go under today's number;
    rows of a municipality since merged or split keep their number (a predecessor's own
    figure, never added to another's). All-or-nothing: two rows that become the same
    figure are refused."""
    filed: list[PeerRow] = []
    counts: dict[str, list[int]] = {}
    first_line: dict[tuple[str, int, str, str], tuple[int, str]] = {}
    problems: list[str] = []
    for row in rows:
        found = history.resolve(row.municipality_code, row.year)
        target = row
        if found is not None and history.current(row.municipality_code) is None:
            counts.setdefault(row.municipality_code, []).append(row.year)
            if found.continuous:
                target = replace(row, municipality_code=found.lineage.code)
        earlier = first_line.get(target.key)
        if earlier is not None:
            problems.append(
                f"line {row.line}: {row.municipality_code} in {row.year} is "
                f"{target.municipality_code}, and line {earlier[0]} gives the same figure "
                f"(as {earlier[1]})"
            )
            continue
        first_line[target.key] = (row.line, row.municipality_code)
        filed.append(target)
    if problems:
        raise PeerFileError(filename, problems)
    filings = []
    for code, row_years in sorted(counts.items()):
        found = history.resolve(code, max(row_years))
        assert found is not None
        filings.append(
            Filing(
                code,
                found.period.name,
                tuple(f"{lin.code} {lin.name}" for lin in found.current),
                found.continuous,
                len(row_years),
            )
        )
    return filed, filings


def _number(text: str) -> float | None:
    """A finite number written with a decimal point or a decimal comma, else None."""
    if len(text) > MAX_NUMBER_LENGTH or not _NUMBER.fullmatch(text):
        return None
    number = float(text.replace(",", "."))
    return number if math.isfinite(number) else None
