"""Files named on the command line, read with a size limit. Plain (no Flask).

Every command that loads a file reads at most ``limit`` bytes: a file that is larger (or
a pipe that goes on) is refused with one sentence before it is parsed, so a wrong path
(a database dump, a video) costs neither minutes nor the machine's memory.
"""

from __future__ import annotations

from pathlib import Path

#: What a command reads at most unless it says otherwise (the register is ~20 KB, the
#: change history ~100 KB, a national contact list ~50 KB).
MAX_FILE_BYTES = 10 * 1024 * 1024


class FileTooLarge(ValueError):
    """The file holds more than the command reads; the message says so."""


def too_large_message(size: int | None, limit: int = MAX_FILE_BYTES) -> str:
    """The message for a file refused by its size (None: larger than the limit, size unknown)."""
    told = f"{size:,} bytes" if size is not None else f"more than {limit:,} bytes"
    return (
        f"the file is {told}; at most {limit:,} bytes ({limit // 1024 // 1024} MB) are "
        "imported at a time (split it into smaller files)"
    )


def read_at_most(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The file's bytes; FileTooLarge before reading when it holds more than ``limit``
    (the size is checked again while reading: a pipe or a growing file has no size)."""
    size = path.stat().st_size
    if size > limit:
        raise FileTooLarge(too_large_message(size, limit))
    with path.open("rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise FileTooLarge(too_large_message(None, limit))
    return data
