"""Read the official municipality register (a CSV file); plain data, no database."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from surveyapp.plaintext import has_controls

REGISTER_FILE = Path(__file__).resolve().parent.parent / "data" / "municipalities-2026.csv"
COLUMNS = ("code", "name", "county_code", "county_name")


@dataclass(frozen=True)
class RegisterRow:
    code: str
    name: str
    county_code: str
    county_name: str
    line: int = field(default=0, compare=False)


class RegisterError(ValueError):
    """The register file is malformed; lists every bad line."""

    def __init__(self, filename: str, problems: list[str]) -> None:
        self.filename = filename
        self.problems = problems
        super().__init__("\n".join(f"{filename}: {p}" for p in problems))


def parse_register(data: bytes, filename: str) -> list[RegisterRow]:
    """Parse and validate the register; all-or-nothing."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RegisterError(filename, [f"not valid UTF-8 (byte {exc.start})"]) from exc
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != COLUMNS:
        raise RegisterError(
            filename, [f"line 1: expected columns {', '.join(COLUMNS)}, got {reader.fieldnames}"]
        )
    rows: list[RegisterRow] = []
    problems: list[str] = []
    seen: set[str] = set()
    for line_no, record in enumerate(reader, start=2):
        code = (record.get("code") or "").strip()
        county = (record.get("county_code") or "").strip()
        name = (record.get("name") or "").strip()
        if not re.fullmatch(r"\d{4}", code):
            problems.append(f"line {line_no}: municipality code {code!r} is not four digits")
            continue
        if not re.fullmatch(r"\d{2}", county) or not code.startswith(county):
            problems.append(f"line {line_no}: county code {county!r} does not match {code}")
            continue
        if not name:
            problems.append(f"line {line_no}: name is empty")
            continue
        county_name = (record.get("county_name") or "").strip()
        if has_controls(name):
            problems.append(f"line {line_no}: the name contains a control character")
            continue
        if has_controls(county_name):
            problems.append(f"line {line_no}: the county name contains a control character")
            continue
        if code in seen:
            problems.append(f"line {line_no}: municipality {code} appears twice")
            continue
        seen.add(code)
        rows.append(RegisterRow(code, name, county, county_name, line_no))
    if problems:
        raise RegisterError(filename, problems)
    return rows


BAND_COLUMNS = ("code", "band")


def parse_bands(data: bytes, filename: str, known: set[str]) -> dict[str, str]:
    """Size bands per municipality (CSV: code,band), e.g. from SSB population figures.

    All-or-nothing; every bad line is reported.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RegisterError(filename, [f"not valid UTF-8 (byte {exc.start})"]) from exc
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != BAND_COLUMNS:
        raise RegisterError(
            filename, [f"line 1: expected columns code, band, got {reader.fieldnames}"]
        )
    bands: dict[str, str] = {}
    problems: list[str] = []
    for line_no, record in enumerate(reader, start=2):
        code = (record.get("code") or "").strip()
        band = (record.get("band") or "").strip()
        if code not in known:
            problems.append(f"line {line_no}: {code!r} is not a municipality in the register")
        elif not re.fullmatch(r"[A-Za-z0-9_-]{1,20}", band):
            problems.append(f"line {line_no}: band {band!r} must be 1–20 letters, digits, - or _")
        elif code in bands:
            problems.append(f"line {line_no}: municipality {code} appears twice")
        else:
            bands[code] = band
    if problems:
        raise RegisterError(filename, problems)
    return bands
