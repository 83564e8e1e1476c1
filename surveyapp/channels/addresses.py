"""Read an e-mail address list (CSV); plain data, no Flask, no database.

One address per line, optionally followed by a municipality number (needed when the
round runs in more than one municipality), separated by a comma or a semicolon. A
header line (``e-post``, ``epost``, ``email``, ``e-mail``, ``address``) is skipped.
Addresses are checked and normalised by email-validator (syntax only: no DNS look-up,
which would be slow and tell mail servers about the list). Duplicates are merged,
also with those already on the round's list; every bad line is reported with its number.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_ADDRESSES = 20_000
MAX_PROBLEMS = 200
HEADERS = {"e-post", "epost", "email", "e-mail", "address", "adresse", "e-postadresse"}


@dataclass(frozen=True)
class Problem:
    """A bad line: ``code`` names the message (``messages``), ``value`` what was wrong."""

    line: int
    code: str
    value: str = ""


@dataclass(frozen=True)
class AddressEntry:
    address: str  # normalised (the domain in lower case)
    municipality_code: str
    line: int


@dataclass(frozen=True)
class AddressList:
    entries: tuple[AddressEntry, ...]
    problems: tuple[Problem, ...]
    duplicates: int  # lines merged with an earlier line or an address already on the list


def normalise(address: str) -> str | None:
    """The address as stored (None when it is not a valid address)."""
    try:
        checked = validate_email(address.strip(), check_deliverability=False)
    except EmailNotValidError:
        return None
    local, _, domain = checked.normalized.rpartition("@")
    return f"{local}@{domain.lower()}"


def _merge_key(address: str) -> str:
    # Mail systems treat the local part without regard to case in practice.
    return address.casefold()


def _decode(data: bytes) -> str | None:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def parse_addresses(
    data: bytes,
    municipality_codes: Collection[str],
    existing: Collection[str] = (),
) -> AddressList:
    """Parse an address file for a round in ``municipality_codes``.

    ``existing`` are the addresses already on the round's list (merged, not added).
    All-or-nothing is the caller's choice: entries are only the valid lines.
    """
    if len(data) > MAX_FILE_BYTES:
        return AddressList((), (Problem(0, "too_large"),), 0)
    text = _decode(data)
    if text is None:
        return AddressList((), (Problem(0, "encoding"),), 0)
    sample = text[:2000]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    only = next(iter(municipality_codes)) if len(municipality_codes) == 1 else None
    seen = {_merge_key(a) for a in existing}
    entries: list[AddressEntry] = []
    problems: list[Problem] = []
    duplicates = 0
    for number, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if number == 1 and cells[0].casefold() in HEADERS:
            continue
        problem, entry = _entry(number, cells, municipality_codes, only)
        if problem is not None:
            problems.append(problem)
            if len(problems) >= MAX_PROBLEMS:
                break
            continue
        assert entry is not None
        key = _merge_key(entry.address)
        if key in seen:
            duplicates += 1
            continue
        seen.add(key)
        entries.append(entry)
        if len(entries) + len(existing) > MAX_ADDRESSES:
            problems.append(Problem(number, "too_many", str(MAX_ADDRESSES)))
            break
    if not entries and not problems and not duplicates:
        problems.append(Problem(0, "empty"))
    return AddressList(tuple(entries), tuple(problems), duplicates)


def _entry(
    number: int, cells: list[str], codes: Collection[str], only: str | None
) -> tuple[Problem | None, AddressEntry | None]:
    if len(cells) > 2:
        return Problem(number, "columns"), None
    address = normalise(cells[0])
    if address is None:
        return Problem(number, "bad_address", cells[0][:100]), None
    code = cells[1] if len(cells) > 1 and cells[1] else only
    if code is None:
        return Problem(number, "no_municipality"), None
    if code not in codes:
        return Problem(number, "unknown_municipality", code[:20]), None
    return None, AddressEntry(address, code, number)
