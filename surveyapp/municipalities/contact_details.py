"""Contact details as typed or loaded from a file: checked and written one way. Plain.

* Phone numbers are stored in E.164 (``+4777790000``) so the call sheet can link them as
  ``tel:``; an 8-digit number without a country code is Norwegian (+47). The check is
  on the form only (country code, 7–15 digits), written here rather than with a
  numbering-plan library: the demo data must use numbers that are deliberately outside
  the Norwegian plan (``+47 00 …``), which such a library rightly calls invalid.
* E-mail addresses are checked with ``email-validator`` (syntax and domain form, no DNS
  look-up: the register is loaded offline).
* Web addresses must be ``http://`` or ``https://`` with a host.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

from surveyapp.plaintext import has_controls

COLUMNS = ("code", "phone", "email", "website")
MAX_BAD_LINES = 200

_PHONE_SEPARATORS = re.compile(r"[\s().-]")
# What a problem key means, for the command line (pages use translated sentences).
PROBLEM_TEXT = {
    "phone": "the phone number must be 8 digits or +country code and 7–15 digits",
    "email": "the e-mail address is not valid",
    "website": "the web address must start with http:// or https:// and name a host",
    "controls": "contains a control character",
}


@dataclass(frozen=True)
class ContactRow:
    code: str  # the municipality
    phone: str | None
    email: str | None
    website: str | None
    unit: str = ""  # a test unit of the municipality (one of Oslo's districts), or ""

    def as_dict(self) -> dict[str, str | None]:
        return {k: v for k, v in asdict(self).items() if k not in ("code", "unit")}


class ContactFileError(ValueError):
    """The file cannot be loaded; lists every bad line."""

    def __init__(self, filename: str, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(f"{filename}: {p}" for p in problems))


def normalise_phone(text: str) -> tuple[str | None, str | None]:
    """(E.164 number or None when empty, problem key or None)."""
    raw = _PHONE_SEPARATORS.sub("", text.strip())
    if not raw:
        return None, None
    if raw.startswith("00"):
        raw = "+" + raw[2:]
    if raw.startswith("+"):
        digits = raw[1:]
        if digits.isascii() and digits.isdigit() and 7 <= len(digits) <= 15:
            return raw, None
        return None, "phone"
    if raw.isascii() and raw.isdigit() and len(raw) == 8:
        return "+47" + raw, None
    return None, "phone"


def display_phone(number: str) -> str:
    """E.164 as people write it: "+47 77 79 00 00" for Norway, else "+CC rest"."""
    if number.startswith("+47") and len(number) == 11:
        rest = number[3:]
        return "+47 " + " ".join(rest[i : i + 2] for i in range(0, 8, 2))
    return number


def normalise_email(text: str) -> tuple[str | None, str | None]:
    raw = text.strip()
    if not raw:
        return None, None
    try:
        return validate_email(raw, check_deliverability=False).normalized, None
    except EmailNotValidError:
        return None, "email"


def normalise_website(text: str) -> tuple[str | None, str | None]:
    raw = text.strip()
    if not raw:
        return None, None
    if len(raw) > 300 or any(c.isspace() for c in raw):
        return None, "website"
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:  # an unclosed "[" host, a port out of range
        return None, "website"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None, "website"
    return raw, None


def check_row(
    code: str, phone: str, email: str, website: str, unit: str = ""
) -> tuple[ContactRow, list[str]]:
    """The row as it will be stored, and the problem keys (empty when it is fine)."""
    problems: list[str] = []
    if any(has_controls(value) for value in (phone, email, website)):
        return ContactRow(code, None, None, None, unit), ["controls"]
    values: list[str | None] = []
    for normalise, text in (
        (normalise_phone, phone),
        (normalise_email, email),
        (normalise_website, website),
    ):
        value, problem = normalise(text)
        values.append(value)
        if problem:
            problems.append(problem)
    phone_value, email_value, website_value = values
    return ContactRow(code, phone_value, email_value, website_value, unit), problems


def parse_contacts(
    data: bytes, filename: str, known: set[str], units: Mapping[str, str] | None = None
) -> list[ContactRow]:
    """Every row of a ``code,phone,email,website`` CSV, or ContactFileError listing each
    bad line by number (all-or-nothing). ``code`` is a municipality of ``known`` or a
    test unit of ``units`` (unit code → its municipality)."""
    units = units or {}
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ContactFileError(filename, [f"not valid UTF-8 (byte {exc.start})"]) from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if tuple(reader.fieldnames or ()) != COLUMNS:
        raise ContactFileError(
            filename, [f"line 1: expected columns {', '.join(COLUMNS)}, got {reader.fieldnames}"]
        )
    rows: list[ContactRow] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for record in reader:
        line = reader.line_num
        if None in record or any(value is None for value in record.values()):
            problems.append(f"line {line}: expected {len(COLUMNS)} columns")
            continue
        code = (record["code"] or "").strip()
        if code not in known and code not in units:
            problems.append(
                f"line {line}: {code!r} is not a municipality in the register or a test unit"
            )
            continue
        if code in seen:
            problems.append(f"line {line}: {code} appears twice (first on line {seen[code]})")
            continue
        seen[code] = line
        municipality, unit = (units[code], code) if code in units else (code, "")
        row, keys = check_row(
            municipality, record["phone"], record["email"], record["website"], unit
        )
        if keys:
            problems.extend(f"line {line}: {PROBLEM_TEXT[key]}" for key in keys)
            continue
        rows.append(row)
    if problems:
        if len(problems) > MAX_BAD_LINES:
            more = len(problems) - MAX_BAD_LINES
            problems = [*problems[:MAX_BAD_LINES], f"… and {more} more problems"]
        raise ContactFileError(filename, problems)
    return rows
